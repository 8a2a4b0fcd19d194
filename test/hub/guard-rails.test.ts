import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { slackNotifier } from '../../hub/runtime.js'
import { holdLock } from '../../shared/app/account-lock.js'
import { saveDecision } from '../../shared/app/account-writes.js'
import { rollback } from '../../shared/app/operator.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import type { Mode } from '../../shared/domain/decision.js'
import type { SlackMessage } from '../../shared/domain/slack-message.js'
import type { Notifier } from '../../shared/ports.js'
import { credentialsFor } from '../emulator/server.js'
import { freshAccountId, must, ourPolicyArn, statusAccount } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'

const MGMT = '500000000001'
const h = await startOrgHarness({ managementAccountId: MGMT, accounts: [{ id: MGMT, users: [] }] })
const config = h.config()

/**
 * A fresh account with one user per decision status, swept on its own. Digests are collected in memory
 * unless the test brings its own notifier (the Slack stand-in).
 */
function givenAccount(given?: Notifier) {
  const id = freshAccountId()
  const account = h.emulator.addAccount(statusAccount(id))
  const admin = createIamClient({ credentials: credentialsFor(id), maxAttempts: 1 })
  const digests: SlackMessage[] = []
  const notifier: Notifier = given ?? {
    post: async (message) => {
      digests.push(message)
    },
  }
  // Every sweep reads every report (`--full`): these stories change usage between sweeps of one day.
  const sweep = (mode: Mode, options: { confirm?: boolean; now?: Date } = {}) =>
    runSweep(h.deps({ notifier, ...(options.now ? { now: () => options.now as Date } : {}) }), config, {
      kind: 'new',
      mode,
      trigger: 'test',
      accounts: [id],
      fullReads: true,
      ...(options.confirm ? { confirmLargeChange: true } : {}),
    })
  const writesDuring = async <T>(run: () => Promise<T>) => {
    const before = h.emulator.count({ account: id, writes: true })
    const result = await run()
    return { result, writes: h.emulator.count({ account: id, writes: true }) - before }
  }
  return {
    id,
    account,
    admin,
    sweep,
    writesDuring,
    bob: () => must(account.users.get('bob'), 'bob'),
    bobPolicy: ourPolicyArn(id, 'bob'),
    lastDigest: () => JSON.stringify(digests.at(-1)?.blocks ?? []),
    notable: async (sweepId: string) =>
      (await h.store.sweeps.accounts(sweepId)).find((r) => r.accountId === id)?.notable,
    alerts: (event: string) => h.logs.lines().filter((l) => l.event === event && l.accountId === id),
  }
}

async function givenEnforced(notifier?: Notifier) {
  const world = givenAccount(notifier)
  await world.sweep('enforce', { confirm: true })
  return world
}

describe('blast-radius brake', () => {
  it('holds back a first enforce sweep that would restrict most users, and says so', async () => {
    const w = givenAccount()
    const { result: report, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(writes).toBe(0)
    const member = report.accounts.find((a) => a.accountId === w.id)
    expect(member?.brake).toMatch(/would be newly (restricted|denied)/)
    expect(member?.counts.braked).toBeGreaterThan(0)
    expect(report.summary?.accountsBraked).toBe(1)
    expect(await h.store.audit.user(w.id, 'bob')).toMatchObject({ status: 'braked', denied: [] })
    expect(w.alerts('alert.brake-tripped')).toHaveLength(1)
    expect(w.lastDigest()).toMatch(/Blast-radius brake tripped/)
  })

  it("counts denies put back on the record's word alone as new ones: forged rows wait for an operator", async () => {
    const w = await givenEnforced()
    // Rows naming services the users use every day, which no live policy denies: what a forged row is.
    const forged = { bob: 's3', carl: 's3', alice: 'sts' }
    const { users } = await h.store.users.loadAccount(w.id)
    for (const [name, service] of Object.entries(forged)) {
      const row = must(users.get(name), name)
      expect(await h.store.users.saveUser({ ...row, denied: [...row.denied, service].sort() }, row)).toBe(
        true,
      )
    }
    const { result: report, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(report.accounts.find((a) => a.accountId === w.id)?.brake).toMatch(
      /3 of \d+ users .* newly restricted/,
    )
    expect(writes).toBe(0)
    expect(w.alerts('alert.brake-tripped')).toHaveLength(1)
  })

  it('lets the same change through when an operator confirms it', async () => {
    const w = givenAccount()
    await w.sweep('enforce')
    const report = await w.sweep('enforce', { confirm: true })
    expect(report.accounts.find((a) => a.accountId === w.id)?.brake).toBeUndefined()
    expect(await h.store.audit.user(w.id, 'bob')).toMatchObject({ status: 'enforced' })
  })

  it('holds an account where most recorded policies vanished at once (a partial reply), and alerts', async () => {
    const w = await givenEnforced()
    const ours = [...w.account.policies.keys()].filter((arn) => arn.includes('/least-privilege/'))
    expect(ours.length).toBeGreaterThanOrEqual(3)
    for (const arn of ours) w.account.policies.delete(arn)
    for (const u of w.account.users.values()) u.attached = u.attached.filter((a) => !ours.includes(a))
    const { result: report, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(writes).toBe(0)
    expect(report.accounts[0]?.brake).toMatch(
      new RegExp(`${ours.length} of ${ours.length} policies recorded last sweep .* are missing`),
    )
    const bob = await h.store.audit.user(w.id, 'bob')
    expect(bob).toMatchObject({ status: 'braked', denied: expect.arrayContaining(['ec2']) }) // kept on record
    expect(w.alerts('alert.brake-tripped')).toHaveLength(1)
    // Confirmed, the sweep re-creates what the record still says is denied.
    await w.sweep('enforce', { confirm: true })
    expect(w.account.policies.has(w.bobPolicy)).toBe(true)
    expect(await h.store.audit.user(w.id, 'bob')).toMatchObject({ status: 'enforced', denied: bob?.denied })
  })

  it('keeps the records of users missing all at once from a reply, and alerts', async () => {
    const w = await givenEnforced()
    const recorded = must(await h.store.audit.user(w.id, 'bob'), "bob's state")
    const users = new Map(w.account.users)
    w.account.users.clear() // a partial reply: no users at all
    await w.sweep('plan')
    expect(await h.store.audit.user(w.id, 'bob')).toMatchObject({ denied: recorded.denied })
    expect(w.alerts('alert.users-vanished')).toHaveLength(1)
    for (const [k, u] of users) w.account.users.set(k, u)
  })

  it('takes names from ARNs: a reply without policy names changes nothing and alarms no one', async () => {
    const w = await givenEnforced()
    w.account.omitPolicyNames = true
    const { result: report, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(writes).toBe(0)
    expect(report.accounts[0]).toMatchObject({ outcome: 'swept' })
    expect(report.accounts[0]?.brake).toBeUndefined()
    expect(w.alerts('alert.tampered')).toEqual([])
    expect((await h.store.audit.user(w.id, 'bob'))?.status).toBe('enforced')
  })

  it('calls an older version of ours set as default tampering: it drops a recorded deny', async () => {
    const w = await givenEnforced()
    w.bob().lastUsed.s3 = new Date(Date.now() - 100 * 86_400_000)
    await w.sweep('enforce') // v2 adds s3
    await w.admin.send(new SetDefaultPolicyVersionCommand({ PolicyArn: w.bobPolicy, VersionId: 'v1' }))
    await w.sweep('plan')
    expect(w.alerts('alert.tampered')).toEqual([
      expect.objectContaining({ userName: 'bob', findings: [expect.objectContaining({ kind: 'modified' })] }),
    ])
    expect((await h.store.audit.user(w.id, 'bob'))?.denied).toContain('s3') // still on record in plan mode
  })

  it('keeps the recorded denies of a user whose evaluation fails, whatever the reply left out', async () => {
    const w = await givenEnforced()
    const recorded = must(await h.store.audit.user(w.id, 'bob'), "bob's state")
    w.account.policies.delete(w.bobPolicy) // the reply no longer shows bob's policy...
    w.bob().attached = w.bob().attached.filter((a) => a !== w.bobPolicy)
    w.bob().accessAdvisorFails = true // ...and his report fails
    await w.sweep('enforce')
    expect(await h.store.audit.user(w.id, 'bob')).toMatchObject({
      status: 'error',
      denied: recorded.denied,
      policyArns: recorded.policyArns,
      policyDigests: recorded.policyDigests,
    })
  })

  it('trips on a simulated Access Advisor outage ("nothing was used")', async () => {
    const w = await givenEnforced()
    const users = [...w.account.users.values()]
    const saved = users.map((u) => ({ ...u.lastUsed }))
    for (const u of users) u.lastUsed = {}
    const { result: report, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(writes).toBe(0)
    expect(report.accounts.find((a) => a.accountId === w.id)?.brake).toBeDefined()
    users.forEach((u, i) => {
      u.lastUsed = saved[i] ?? {}
    })
    const after = await w.sweep('enforce')
    expect(after.accounts.find((a) => a.accountId === w.id)?.brake).toBeUndefined()
  })
})

describe('one writer per account', () => {
  it('a sweep, a release and a rollback wait for the writer that holds the account', async () => {
    const w = await givenEnforced()
    const other = 'manual-sweep-in-progress'
    expect(await h.store.locks.acquire(w.id, other, new Date(), 60_000)).toEqual({ acquired: true })

    const { result: held, writes } = await w.writesDuring(() => w.sweep('enforce'))
    expect(writes).toBe(0)
    expect(held.accounts[0]).toMatchObject({ outcome: 'failed', reason: expect.stringContaining(other) })
    expect(w.alerts('alert.account-locked')).toHaveLength(1)
    await expect(rollback(h.operator(), config, { accountId: w.id, userName: 'bob' })).rejects.toThrow(
      new RegExp(`account ${w.id} is busy: ${other} holds it`),
    )
    expect(w.bob().attached).toContain(w.bobPolicy)

    await h.store.locks.release(w.id, other)
    const after = await w.sweep('enforce')
    expect(after.accounts[0]?.outcome).toBe('swept')
    expect(await h.store.locks.acquire(w.id, 'next', new Date(), 60_000)).toEqual({ acquired: true }) // released
  })

  it('renews the lease while the work runs, so long work is never taken over', async () => {
    const id = freshAccountId()
    const others: boolean[] = []
    const held = await holdLock(
      h.store.locks,
      { accountId: id, holder: 'long-rollback', now: () => new Date(), leaseMs: 300 },
      async () => {
        for (let i = 0; i < 4; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200)) // 800 ms in all: past two leases
          others.push((await h.store.locks.acquire(id, 'sweep', new Date(), 300)).acquired)
        }
        return 'done'
      },
    )
    expect(held).toEqual({ held: true, result: 'done' })
    expect(others).toEqual([false, false, false, false])
    expect((await h.store.locks.acquire(id, 'sweep', new Date(), 300)).acquired).toBe(true) // given back
  })

  it('takes over a lock whose holder died once its lease runs out', async () => {
    const w = await givenEnforced()
    const long = new Date(Date.now() - 2 * config.accountLeaseMs)
    expect(await h.store.locks.acquire(w.id, 'died', long, config.accountLeaseMs)).toEqual({ acquired: true })
    const report = await w.sweep('enforce')
    expect(report.accounts[0]?.outcome).toBe('swept')
  })
})

describe('tamper detection', () => {
  it('restores a policy someone detached, and records it', async () => {
    const w = await givenEnforced()
    await w.admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: w.bobPolicy }))
    const report = await w.sweep('enforce')
    expect(w.bob().attached).toContain(w.bobPolicy)
    const history = await h.store.audit.history(w.id, { name: 'bob' }, 5)
    expect(history.find((c) => c.status === 'tampered')?.reason).toMatch(/^detached: /)
    expect((await w.notable(report.sweepId))?.tampered).toEqual([{ userName: 'bob', kinds: ['detached'] }])
    expect(w.lastDigest()).toMatch(/changed by someone else, restored/)
    expect(w.alerts('alert.tampered')).toEqual([expect.objectContaining({ userName: 'bob' })])
  })

  it('restores a default version someone else set: an older one of ours', async () => {
    const w = await givenEnforced()
    // A narrower deny of ours, written as if by an earlier sweep, then made the default by someone else.
    const policy = must(w.account.policies.get(w.bobPolicy), "bob's policy")
    const ours = must(policy.versions.find((v) => v.IsDefaultVersion)?.Document, 'our document')
    const narrower = ours.replace('"ec2:*",', '')
    expect(narrower).not.toBe(ours)
    await w.admin.send(
      new CreatePolicyVersionCommand({
        PolicyArn: w.bobPolicy,
        PolicyDocument: narrower,
        SetAsDefault: true,
      }),
    )
    await w.sweep('enforce')
    const current = must(w.account.policies.get(w.bobPolicy), "bob's policy").versions.find(
      (v) => v.IsDefaultVersion,
    )
    expect(current?.Document).toContain('"ec2:*"')
    expect(
      (await h.store.audit.history(w.id, { name: 'bob' }, 5)).find((c) => c.status === 'tampered')?.reason,
    ).toMatch(/^modified: /)
  })

  it('replaces a policy whose version someone else wrote: not ours any more, removed once the new one holds', async () => {
    const w = await givenEnforced()
    const loose = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*' }],
    })
    await w.admin.send(
      new CreatePolicyVersionCommand({ PolicyArn: w.bobPolicy, PolicyDocument: loose, SetAsDefault: true }),
    )
    await w.sweep('enforce')
    expect(w.account.policies.has(w.bobPolicy)).toBe(false)
    const bob = must(await h.store.audit.user(w.id, 'bob'), "bob's state")
    expect(bob.denied).toContain('ec2')
    expect(w.bob().attached).toContain(bob.policyArns[0])
    expect(
      (await h.store.audit.history(w.id, { name: 'bob' }, 5)).find((c) => c.status === 'tampered')?.reason,
    ).toMatch(/^deleted: /)
  })

  it('re-creates a policy someone deleted', async () => {
    const w = await givenEnforced()
    await w.admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: w.bobPolicy }))
    const policy = must(w.account.policies.get(w.bobPolicy), "bob's policy")
    for (const v of policy.versions.filter((x) => !x.IsDefaultVersion)) {
      await w.admin.send(new DeletePolicyVersionCommand({ PolicyArn: w.bobPolicy, VersionId: v.VersionId }))
    }
    await w.admin.send(new DeletePolicyCommand({ PolicyArn: w.bobPolicy }))
    await w.sweep('enforce')
    expect(w.account.policies.has(w.bobPolicy)).toBe(true)
    expect(w.bob().attached).toContain(w.bobPolicy)
    expect(
      (await h.store.audit.history(w.id, { name: 'bob' }, 5)).find((c) => c.status === 'tampered')?.reason,
    ).toMatch(/^deleted: /)
  })

  it('never calls our own rendering tampering, even when the record fell behind the live policy', async () => {
    const w = await givenEnforced()
    const recorded = must(await h.store.audit.user(w.id, 'bob'), "bob's state")
    // As if the last sweep's writes landed but its record did not: the digest on record is older.
    await saveDecision(
      h.store,
      { prev: recorded, current: recorded },
      {
        ...recorded,
        userId: must(recorded.userId, 'UserId'),
        status: 'enforced',
        added: [],
        removed: [],
        writes: 0,
        policyDigests: ['0000000000000000'],
      },
      { sweepId: 'stale', mode: 'enforce', now: new Date() },
    )
    const report = await w.sweep('enforce')
    expect((await w.notable(report.sweepId))?.totals.tampered).toBe(0)
    expect(w.alerts('alert.tampered')).toEqual([])
  })

  it('removes a policy planted under the project path from every holder, and alerts', async () => {
    const w = await givenEnforced()
    const allowAll = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    })
    const planted = await w.admin.send(
      new CreatePolicyCommand({
        PolicyName: 'backdoor',
        Path: '/least-privilege/',
        PolicyDocument: allowAll,
      }),
    )
    const arn = must(planted.Policy?.Arn, 'planted policy ARN')
    await w.admin.send(new AttachUserPolicyCommand({ UserName: 'carl', PolicyArn: arn }))
    w.account.groups.set('ops', { name: 'ops', attached: [arn], inline: [] })

    const plan = await w.sweep('plan')
    expect(w.account.policies.has(arn)).toBe(true) // plan mode: found, not removed
    // Beside it, gina's look-alike outside the path: told, never touched.
    expect((await w.notable(plan.sweepId))?.foreign).toEqual([
      arn,
      expect.stringMatching(/:policy\/LeastPrivilegeDeny\.1\.\w+ \(outside the path: not removed\)$/),
    ])
    expect(w.lastDigest()).toMatch(/did not write under its path, found \(plan mode: not removed\)/)

    await w.sweep('enforce')
    expect(w.account.policies.has(arn)).toBe(false)
    expect(w.account.users.get('carl')?.attached).not.toContain(arn)
    expect(w.account.groups.get('ops')?.attached).toEqual([])
    expect(w.alerts('alert.foreign-policy').filter((a) => a.policyArn === arn)).toEqual([
      expect.objectContaining({ policyArn: arn, removed: false }),
      expect.objectContaining({ policyArn: arn, removed: true }),
    ])
  })

  it("takes a policy named like a user's, attached to them, as foreign when it allows anything: removed, the user's deny written anew", async () => {
    const w = await givenEnforced()
    // Someone with the spoke role's reach adds a version that allows everything to bob's own policy.
    const allowAll = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyUnusedServices', Effect: 'Allow', Action: '*', Resource: '*' }],
    })
    await w.admin.send(new CreatePolicyVersionCommand({ PolicyArn: w.bobPolicy, PolicyDocument: allowAll }))
    await w.sweep('enforce')
    expect(w.account.policies.has(w.bobPolicy)).toBe(false)
    expect(w.bob().attached).not.toContain(w.bobPolicy)
    const bob = must(await h.store.audit.user(w.id, 'bob'), "bob's state")
    expect(bob.denied).toContain('ec2')
    const [fresh] = bob.policyArns
    expect(fresh).toMatch(new RegExp(`${w.bobPolicy.replace(/[.]/g, '\\.')}\\.[0-9a-f]{8}$`))
    expect(w.bob().attached).toContain(fresh)
    expect(w.alerts('alert.foreign-policy')).toContainEqual(
      expect.objectContaining({ policyArn: w.bobPolicy, removed: true }),
    )
  })

  it('takes a policy of ours that a group or a role holds as foreign: detached from them too', async () => {
    const w = await givenEnforced()
    w.account.groups.set('admins', { name: 'admins', attached: [w.bobPolicy], inline: [] })
    await w.sweep('enforce')
    expect(w.account.policies.has(w.bobPolicy)).toBe(false)
    expect(w.account.groups.get('admins')?.attached).toEqual([])
    expect((await h.store.audit.user(w.id, 'bob'))?.denied).toContain('ec2')
  })

  it('in plan mode reports tampering without restoring it', async () => {
    const w = await givenEnforced()
    await w.admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: w.bobPolicy }))
    const report = await w.sweep('plan')
    expect(w.bob().attached).not.toContain(w.bobPolicy)
    expect((await w.notable(report.sweepId))?.tampered).toHaveLength(1)
    expect(w.lastDigest()).toMatch(/plan mode: not restored/)
    await w.sweep('enforce')
    expect(w.bob().attached).toContain(w.bobPolicy)
  })

  it('an unchanged sweep finds nothing to report', async () => {
    const w = await givenEnforced()
    const report = await w.sweep('enforce')
    expect((await w.notable(report.sweepId))?.totals.tampered).toBe(0)
  })
})

describe('the Slack digest', () => {
  it('lists counts, newly restricted users with their services, quota-blocked and errored users', async () => {
    const w = await givenEnforced()
    const later = new Date(Date.now() + 91 * 86_400_000) // carl last used S3 3 days ago: then 94
    await w.sweep('enforce', { confirm: true, now: later })
    const text = w.lastDigest()
    expect(text).toMatch(/Decisions:/)
    expect(text).toMatch(new RegExp(`${w.id}\\*: \\d+ user\\(s\\) newly restricted`))
    expect(text).toMatch(/carl: s3, s3-object-lambda/)
    expect(text).toMatch(/Quota-blocked.*quinn/)
    expect(text).toMatch(/Errors.*frank.*FAILED/)
  })

  it('waits out a 429 with Retry-After and delivers', async () => {
    const slack = await startSlackStandIn()
    const w = givenAccount(slackNotifier(h.runtime, { webhookUrl: slack.url }))
    slack.script.push({ status: 429, retryAfter: 1, body: 'rate_limited' })
    const report = await w.sweep('plan')
    expect(report.digest).toBe('sent')
    expect(slack.requests).toBe(2)
    expect(slack.messages).toHaveLength(1)
  })

  it('a Slack failure never fails the sweep or loses its record, and is logged as an alert', async () => {
    const slack = await startSlackStandIn()
    const w = givenAccount(slackNotifier(h.runtime, { webhookUrl: slack.url }))
    slack.script.push({ status: 500, body: 'boom' }, { status: 500 }, { status: 500 }, { status: 500 })
    const report = await w.sweep('plan')
    expect(report.status).toBe('completed')
    expect(report.digest).toBe('failed')
    expect((await h.store.sweeps.get(report.sweepId))?.status).toBe('completed')
    const failed = h.logs
      .lines()
      .filter((l) => l.event === 'alert.digest-failed' && l.sweepId === report.sweepId)
    expect(failed).toEqual([expect.objectContaining({ reason: expect.stringContaining('HTTP 500') })])
  })

  it('no log line carries the webhook URL or any credential', async () => {
    const slack = await startSlackStandIn()
    const w = await givenEnforced(slackNotifier(h.runtime, { webhookUrl: slack.url }))
    slack.script.push({ status: 500, body: 'boom' }, { status: 500 }, { status: 500 }, { status: 500 })
    await w.sweep('plan')
    const text = h.logs
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n')
    expect(text).toContain(w.id)
    expect(text).toContain('alert.digest-failed')
    expect(text).not.toContain('s3cr3tW3bh00kT0k3n')
    expect(text).not.toContain('/services/T0000')
    expect(text).not.toContain(credentialsFor(MGMT).secretAccessKey)
    expect(text).not.toMatch(/SessionToken|secretAccessKey|sessionToken/i)
  })
})
