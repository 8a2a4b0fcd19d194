import { GetPolicyVersionCommand, ListPolicyVersionsCommand } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import type { HubConfig } from '../../hub/config.js'
import type { SessionOptions } from '../../hub/runtime.js'
import { createIamClient } from '../../shared/aws/clients.js'
import { deniedServicesOf } from '../../shared/domain/deny-policy.js'
import type { UserDecision } from '../../shared/domain/records.js'
import type { Logger } from '../../shared/logger.js'
import type { StateStore } from '../../shared/ports.js'
import { type AccountSeed, seededUserId } from '../emulator/seed.js'
import { credentialsFor } from '../emulator/server.js'
import { freshAccountId, must, PATH, PREFIX, statusAccount } from '../support/fixtures.js'
import { memoryLogger } from '../support/harness.js'
import { MemoryStateStore } from '../support/memory-store.js'
import { startOrgHarness } from '../support/org-harness.js'
import { sweepIntent, sweepOneAccount } from '../support/pipeline.js'

const h = await startOrgHarness({ accounts: [statusAccount(freshAccountId())] })
const { emulator } = h
const byUser = (r: { decisions: UserDecision[] }) =>
  Object.fromEntries(r.decisions.map((d) => [d.userName, d])) as Record<string, UserDecision>

interface SweepExtra {
  store?: StateStore
  log?: Logger
  session?: SessionOptions
}

/** A fresh account with one user per decision status (see statusAccount), and what a test needs of it. */
function givenAccount(extra: Partial<AccountSeed> = {}) {
  const id = freshAccountId()
  const account = emulator.addAccount({ ...statusAccount(id), ...extra })
  const iam = createIamClient({ credentials: credentialsFor(id), maxAttempts: 8 })
  const user = (name: string) => must(account.users.get(name), `user ${name}`)
  const policyArn = (name: string, part = 1, path = PATH) =>
    `arn:aws:iam::${id}:policy${path}${PREFIX}.${part}.${seededUserId(id, name)}`
  /** The account's records, from one run to the next. */
  const store = new MemoryStateStore()
  /**
   * The first enforce run is a large change by design: confirmed here (the brake has its own tests).
   * Every report is read afresh: these tests change the emulated usage between runs.
   */
  const sweep = (mode: 'plan' | 'enforce', overrides: Partial<HubConfig> = {}, more: SweepExtra = {}) =>
    sweepOneAccount(h, id, {
      intent: sweepIntent(mode, { fullReads: true }),
      config: overrides,
      store: more.store ?? store,
      log: more.log ?? memoryLogger().log,
      ...(more.session ? { session: more.session } : {}),
    })
  /** Calls made in this account from now on. */
  const counter = () => {
    const from = emulator.requests.length
    const mine = () => emulator.requests.slice(from).filter((r) => r.account === id)
    return {
      writes: () => mine().filter((r) => r.write).length,
      action: (name: string) => mine().filter((r) => r.action === name).length,
    }
  }
  const liveDeny = async (name: string, part = 1): Promise<string[] | undefined> => {
    const arn = policyArn(name, part)
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))
    const current = versions.Versions?.find((v) => v.IsDefaultVersion)
    const got = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: current?.VersionId }))
    return deniedServicesOf(decodeURIComponent(got.PolicyVersion?.Document ?? ''))
  }
  return { id, account, user, policyArn, sweep, counter, liveDeny, store }
}

async function givenEnforced() {
  const world = givenAccount()
  await world.sweep('enforce')
  return world
}

describe('one account through the pipeline, against the emulator', () => {
  it('in plan mode reports every status and makes no write call', async () => {
    const { sweep, counter } = givenAccount()
    const calls = counter()
    const d = byUser(await sweep('plan'))
    expect(calls.writes()).toBe(0)
    expect(d.bob?.status).toBe('planned')
    expect(d.bob?.added.map((c) => c.namespace)).toEqual([
      'autoscaling',
      'ec2',
      'elasticloadbalancing',
      's3-object-lambda',
    ])
    expect(d.bob?.denied).toEqual([])
    expect(d.carl?.status).toBe('unchanged')
    expect(d.erin).toMatchObject({ status: 'exempt', reason: 'exempt by tag least-privilege-exempt=True' })
    expect(d.dave?.status).toBe('too-young')
    expect(d.quinn).toMatchObject({
      status: 'quota-blocked',
      reason: 'needs 1 more attached policies, the quota leaves 0',
    })
    expect(d.frank?.status).toBe('error')
    expect(d.frank?.reason).toMatch(/FAILED/)
    expect(d.gina?.status).toBe('planned') // under another name: see the test on taken names
  })

  it('first enforce run creates and attaches the deny policies', async () => {
    const { sweep, user, policyArn, liveDeny } = givenAccount()
    const d = byUser(await sweep('enforce'))
    expect(d.bob).toMatchObject({
      status: 'enforced',
      denied: ['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'],
    })
    expect(user('bob').attached).toContain(policyArn('bob'))
    expect(await liveDeny('bob')).toEqual(['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'])

    // The administrator's 450+ services need more than one document; all are attached.
    expect(d.alice?.status).toBe('enforced')
    expect(d.alice?.policyArns.length).toBeGreaterThan(1)
    for (const arn of d.alice?.policyArns ?? []) expect(user('alice').attached).toContain(arn)
    expect(d.alice?.denied).toContain('iam')
    expect(d.alice?.denied).not.toContain('s3')
    expect(d.alice?.denied).not.toContain('sts')
  })

  it('never touches a policy that is not ours, and uses another name when ours is taken', async () => {
    const { user, account, policyArn, sweep } = givenAccount()
    const d = byUser(await sweep('enforce'))
    const foreign = must(account.policies.get(policyArn('gina', 1, '/')), "gina's look-alike policy")
    expect(foreign.versions).toHaveLength(1)
    expect(user('gina').attached).not.toContain(foreign.arn)
    expect(d.gina?.status).toBe('enforced')
    const [ours] = d.gina?.policyArns ?? []
    expect(ours).toMatch(new RegExp(`${PATH}${PREFIX}\\.1\\.${user('gina').id}\\.[0-9a-f]{8}$`))
    expect(user('gina').attached).toContain(ours)
    // The next sweep recognises the suffixed policy as gina's and writes nothing.
    const again = byUser(await sweep('enforce'))
    expect(again.gina).toMatchObject({ status: 'unchanged', writes: 0, policyArns: [ours] })
  })

  it('never touches failed, quota-blocked, exempt or young users', async () => {
    const { user } = await givenEnforced()
    expect(user('frank').attached).toEqual([expect.stringContaining('AmazonEC2FullAccess')])
    expect(user('quinn').attached).toHaveLength(10)
    expect(user('erin').attached).toHaveLength(1)
    expect(user('dave').attached).toHaveLength(1)
  })

  it('writes what fits a user with too few free slots: the guards first, the rest said, and steady after', async () => {
    // alice holds every service: her denies need two parts, and her quota leaves one slot.
    const { sweep, user, policyArn, counter } = givenAccount({ attachedPoliciesPerUserQuota: 2 })
    const d = byUser(await sweep('enforce'))
    expect(d.alice?.status).toBe('quota-blocked')
    expect(d.alice?.reason).toMatch(
      /needs 2 more attached policies, the quota leaves 1: the guards and 1 of 2 parts written; not denied: /,
    )
    expect(user('alice').attached).toEqual([
      expect.stringContaining('AdministratorAccess'),
      policyArn('alice'),
    ])
    const part1 = d.alice?.denied ?? []
    expect(part1).toContain('iam')
    expect(part1.length).toBeGreaterThan(100)
    expect(d.alice?.policyArns).toEqual([policyArn('alice')])
    // The next sweep finds the same: nothing to write, still said.
    const calls = counter()
    const again = byUser(await sweep('enforce'))
    expect(again.alice).toMatchObject({ status: 'quota-blocked', denied: part1, writes: 0 })
    expect(calls.writes()).toBe(0)
  })

  it('keeps every deny in force when a new one would push one out of the parts that fit', async () => {
    // Packing is sorted: a new service that sorts early shifts part 1's last services into part 2, which
    // has no slot. They stay denied; the new service waits, said.
    const { sweep, user, liveDeny } = givenAccount({ attachedPoliciesPerUserQuota: 2 })
    const alice = user('alice')
    const planned = byUser(await sweep('plan', {}, { store: new MemoryStateStore() })).alice?.added ?? []
    const early = planned
      .map((a) => a.namespace)
      .filter((ns) => ns !== 'iam')
      .sort()
      .slice(0, 3)
    expect(early).toHaveLength(3)
    for (const ns of early) alice.lastUsed[ns] = new Date()
    const before = byUser(await sweep('enforce')).alice
    expect(before?.status).toBe('quota-blocked')
    const inForce = before?.denied ?? []
    for (const ns of early) expect(inForce).not.toContain(ns)

    for (const ns of early) alice.lastUsed[ns] = new Date(Date.now() - 100 * 86_400_000)
    const after = byUser(await sweep('enforce')).alice
    expect(after?.status).toBe('quota-blocked')
    expect(after?.removed ?? []).toEqual([])
    expect(after?.denied).toEqual(expect.arrayContaining(inForce))
    expect(await liveDeny('alice')).toEqual(expect.arrayContaining(inForce))
    // What part 1 had room for is denied; the rest waits, said.
    const waiting = early.filter((ns) => !after?.denied.includes(ns))
    expect(waiting.length).toBeGreaterThan(0)
    expect(after?.reason).toContain(`not denied: ${waiting.join(', ')}`)
  })

  it('second run with the same data makes no write call', async () => {
    const { sweep, counter } = await givenEnforced()
    const calls = counter()
    const d = byUser(await sweep('enforce'))
    expect(calls.writes()).toBe(0)
    expect(Object.values(d).filter((x) => x.status === 'enforced')).toEqual([])
  })

  it('a newly unused service becomes a new default version, with no detach or delete', async () => {
    const { sweep, counter, user, liveDeny } = await givenEnforced()
    user('bob').lastUsed.s3 = new Date(Date.now() - 100 * 86_400_000)
    const calls = counter()
    const d = byUser(await sweep('enforce'))
    expect(d.bob?.status).toBe('enforced')
    expect(d.bob?.added).toEqual([expect.objectContaining({ namespace: 's3', reason: 'unused' })])
    expect(calls.action('CreatePolicyVersion')).toBe(1)
    expect(calls.action('DetachUserPolicy')).toBe(0)
    expect(calls.action('DeletePolicy')).toBe(0)
    expect(calls.action('DeletePolicyVersion')).toBe(0)
    expect(await liveDeny('bob')).toContain('s3')
  })

  it('keeps at most 5 versions, pruning the oldest non-default first', async () => {
    const { id, sweep, account, policyArn, store, user } = await givenEnforced()
    const bob = user('bob')
    const exemption = {
      accountId: id,
      userName: 'bob',
      userId: bob.id,
      service: 'ec2',
      until: new Date(Date.now() + 86_400_000).toISOString(),
      reason: 'on and off',
      createdAt: new Date().toISOString(),
    }
    // A temporary exemption of ec2, on and off: each sweep writes a new default version.
    for (const [i, exempt] of [true, false, true, false, true, false].entries()) {
      if (exempt) await store.users.putExemption(exemption)
      else await store.users.deleteExemption(exemption)
      await sweep('enforce')
      const versions = account.policies.get(policyArn('bob'))?.versions ?? []
      expect(versions.length, `after update ${i}`).toBeLessThanOrEqual(5)
    }
    const versions = account.policies.get(policyArn('bob'))?.versions ?? []
    expect(versions.map((v) => v.VersionId)).toEqual(['v3', 'v4', 'v5', 'v6', 'v7'])
    expect(versions.find((v) => v.IsDefaultVersion)?.VersionId).toBe('v7')
  })

  it('keeps a deny when the denied service shows activity: it is an attempt, not use', async () => {
    const { sweep, counter, user, liveDeny } = await givenEnforced()
    user('bob').lastUsed.ec2 = new Date(Date.now() + 1_000)
    const calls = counter()
    const d = byUser(await sweep('enforce'))
    expect(d.bob?.removed).toEqual([])
    expect(d.bob?.attempts).toEqual([expect.objectContaining({ namespace: 'ec2' })])
    expect(calls.writes()).toBe(0)
    expect(await liveDeny('bob')).toContain('ec2')
  })

  it('an exemption tag added on a user who holds denies is a request: it lifts nothing', async () => {
    const { sweep, user, account, policyArn, counter } = await givenEnforced()
    user('bob').tags.push({ Key: 'least-privilege-exempt', Value: 'true' })
    const calls = counter()
    const d = byUser(await sweep('enforce'))
    expect(d.bob).toMatchObject({ status: 'unchanged', exemptionRequest: 'least-privilege-exempt=true' })
    expect(d.bob?.denied).toEqual(['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'])
    expect(account.policies.has(policyArn('bob'))).toBe(true)
    expect(user('bob').attached).toContain(policyArn('bob'))
    expect(calls.writes()).toBe(0)
    // Told once: the next sweep sees the same tag and asks nothing new.
    expect(byUser(await sweep('enforce')).bob?.exemptionRequest).toBeUndefined()
  })

  it('retries an attach IAM does not see the new policy for yet (eventual consistency)', async () => {
    const { id, sweep, user, policyArn } = givenAccount()
    emulator.injectFault({ action: 'AttachUserPolicy', account: id, times: 2, code: 'NoSuchEntity' })
    const waits: number[] = []
    const d = byUser(await sweep('enforce', {}, { session: { sleep: async (ms) => void waits.push(ms) } }))
    expect(d.bob?.status).toBe('enforced')
    expect(user('bob').attached).toContain(policyArn('bob'))
    expect(waits.filter((ms) => ms === 250)).toHaveLength(2) // the first wait, once per refused attach
    expect(Object.values(d).filter((x) => x.status === 'error')).toEqual([d.frank])
  })

  it("holds users whose new policies do not fit the account's policy quota, and makes no failing call", async () => {
    // The seed holds 11 customer-managed policies: room for one more.
    const { sweep, counter, user, policyArn } = givenAccount({ policiesQuota: 12 })
    const calls = counter()
    const d = byUser(await sweep('enforce'))
    expect(d.bob?.status).toBe('enforced') // first in line: its one policy fits
    expect(user('bob').attached).toContain(policyArn('bob'))
    for (const name of ['alice', 'gina']) {
      expect(d[name]).toMatchObject({ status: 'quota-blocked', writes: 0 })
      expect(d[name]?.reason).toMatch(/customer-managed policies quota \(12, 11 in use\)/)
    }
    expect(calls.action('CreatePolicy')).toBe(1)
  })

  it("records each user's decision right after that user's writes, before the account is done", async () => {
    const { sweep, user, policyArn, store } = givenAccount()
    const recorded: string[] = []
    let bobAttachedWhenRecorded = false
    const saveUser = store.users.saveUser.bind(store.users)
    store.users.saveUser = async (next, expected) => {
      recorded.push(next.userName)
      if (next.userName === 'bob') bobAttachedWhenRecorded = user('bob').attached.includes(policyArn('bob'))
      return saveUser(next, expected)
    }
    const result = await sweep('enforce')
    expect(recorded.sort()).toEqual(result.decisions.map((d) => d.userName).sort())
    expect(bobAttachedWhenRecorded).toBe(true)
  })

  it('a decision that cannot be recorded is alerted, and the rest of the account carries on', async () => {
    const { sweep, store } = givenAccount()
    const logs = memoryLogger()
    const appendHistory = store.users.appendHistory.bind(store.users)
    store.users.appendHistory = async (change) => {
      if (change.userName === 'bob') throw new Error('table unavailable')
      return appendHistory(change)
    }
    const result = await sweep('enforce', {}, { log: logs.log })
    expect(result.decisions.find((d) => d.userName === 'alice')?.status).toBe('enforced')
    expect(logs.lines().filter((l) => l.event === 'alert.record-failed')).toEqual([
      expect.objectContaining({ userName: 'bob', reason: expect.stringContaining('table unavailable') }),
    ])
  })

  it('a FAILED Access Advisor job changes nothing for that user', async () => {
    const { sweep, user } = givenAccount()
    const d = byUser(await sweep('enforce'))
    expect(d.frank).toMatchObject({ status: 'error', writes: 0, added: [], removed: [], policyArns: [] })
    expect(user('frank').attached).toEqual([expect.stringContaining('AmazonEC2FullAccess')])
  })
})
