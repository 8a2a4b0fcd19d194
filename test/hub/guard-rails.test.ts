import {
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
} from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { slackNotifier } from '../../hub/runtime.js'
import { runSweep, type SweepDeps, type SweepRequest } from '../../hub/sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import { credentialsFor } from '../emulator/server.js'
import { ourPolicyArn, statusAccount } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'

const MGMT = '500000000001'
const MEMBER = '500000000002'
const h = await startOrgHarness({
  managementAccountId: MGMT,
  accounts: [{ id: MGMT, users: [] }, statusAccount(MEMBER)],
})
const slack = await startSlackStandIn()
const config = h.config()
const notify = slackNotifier(h.runtime, { webhookUrl: slack.url })
const deps = (extra: Partial<SweepDeps> = {}) => h.deps({ ...(notify ? { notify } : {}), ...extra })
const enforce = (extra: Partial<Extract<SweepRequest, { kind: 'new' }>> = {}) =>
  runSweep(deps(), config, { kind: 'new', mode: 'enforce', trigger: 'test', ...extra })
const admin = createIamClient({ credentials: credentialsFor(MEMBER), maxAttempts: 1 })
const account = () => h.emulator.state.accounts.get(MEMBER) ?? (undefined as never)
const bobPolicy = ourPolicyArn(MEMBER, 'bob')
const allText = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks)
/** The digest's lists are kept in the sweep's per-account rows, not in the report. */
const notableOf = async (sweepId: string) =>
  (await h.store.sweepAccounts(sweepId)).find((r) => r.accountId === MEMBER)?.notable

describe('blast-radius brake', () => {
  it('holds back a first enforce sweep that would restrict most users, and says so', async () => {
    h.emulator.resetCounts()
    const report = await enforce()
    expect(h.emulator.count({ writes: true })).toBe(0)
    const member = report.accounts.find((a) => a.accountId === MEMBER)
    expect(member?.brake).toMatch(/would be newly (restricted|denied)/)
    expect(member?.counts.braked).toBeGreaterThan(0)
    expect(report.summary?.accountsBraked).toBe(1)
    expect(await h.store.getUser(MEMBER, 'bob')).toMatchObject({ status: 'braked', denied: [] })
    expect(h.logs.lines().some((l) => l.event === 'alert.brake-tripped' && l.accountId === MEMBER)).toBe(true)
    expect(allText(slack.messages.at(-1) ?? {})).toMatch(/Blast-radius brake tripped/)
  })

  it('lets the same change through when an operator confirms it', async () => {
    const report = await enforce({ confirmLargeChange: true })
    expect(report.accounts.find((a) => a.accountId === MEMBER)?.brake).toBeUndefined()
    expect(await h.store.getUser(MEMBER, 'bob')).toMatchObject({ status: 'enforced' })
  })

  it('trips on a simulated Access Advisor outage ("nothing was used")', async () => {
    const users = [...account().users.values()]
    const saved = users.map((u) => ({ ...u.lastUsed }))
    for (const u of users) u.lastUsed = {}
    h.emulator.resetCounts()
    const report = await enforce()
    expect(h.emulator.count({ writes: true })).toBe(0)
    expect(report.accounts.find((a) => a.accountId === MEMBER)?.brake).toBeDefined()
    users.forEach((u, i) => {
      u.lastUsed = saved[i] ?? {}
    })
    const after = await enforce()
    expect(after.accounts.find((a) => a.accountId === MEMBER)?.brake).toBeUndefined()
  })
})

describe('tamper detection', () => {
  it('restores a policy someone detached, and records it', async () => {
    await admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: bobPolicy }))
    const report = await enforce()
    expect(account().users.get('bob')?.attached).toContain(bobPolicy)
    const history = await h.store.userHistory(MEMBER, { name: 'bob' }, 5)
    expect(history.map((c) => c.status)).toContain('tampered')
    expect(history.find((c) => c.status === 'tampered')?.reason).toMatch(/^detached: /)
    expect((await notableOf(report.sweepId))?.tampered).toEqual([{ userName: 'bob', kinds: ['detached'] }])
    expect(allText(slack.messages.at(-1) ?? {})).toMatch(/changed by someone else, restored/)
    expect(h.logs.lines().some((l) => l.event === 'alert.tampered' && l.userName === 'bob')).toBe(true)
  })

  it('restores a default version someone else wrote', async () => {
    const loose = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*' }],
    })
    await admin.send(
      new CreatePolicyVersionCommand({ PolicyArn: bobPolicy, PolicyDocument: loose, SetAsDefault: true }),
    )
    await enforce()
    const policy = account().policies.get(bobPolicy)
    const current = policy?.versions.find((v) => v.IsDefaultVersion)?.Document ?? ''
    expect(current).toContain('DenyUnusedServices')
    expect(current).toContain('"ec2:*"')
    expect(
      (await h.store.userHistory(MEMBER, { name: 'bob' }, 5)).find((c) => c.status === 'tampered')?.reason,
    ).toMatch(/^modified: /)
  })

  it('re-creates a policy someone deleted', async () => {
    await admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: bobPolicy }))
    for (const v of account()
      .policies.get(bobPolicy)
      ?.versions.filter((x) => !x.IsDefaultVersion) ?? []) {
      await admin.send(new DeletePolicyVersionCommand({ PolicyArn: bobPolicy, VersionId: v.VersionId }))
    }
    await admin.send(new DeletePolicyCommand({ PolicyArn: bobPolicy }))
    await enforce()
    expect(account().policies.has(bobPolicy)).toBe(true)
    expect(account().users.get('bob')?.attached).toContain(bobPolicy)
    expect(
      (await h.store.userHistory(MEMBER, { name: 'bob' }, 5)).find((c) => c.status === 'tampered')?.reason,
    ).toMatch(/^deleted: /)
  })

  it('in plan mode reports tampering without restoring it', async () => {
    await admin.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: bobPolicy }))
    const report = await runSweep(deps(), config, { kind: 'new', mode: 'plan', trigger: 'test' })
    expect(account().users.get('bob')?.attached).not.toContain(bobPolicy)
    expect((await notableOf(report.sweepId))?.tampered).toHaveLength(1)
    expect(allText(slack.messages.at(-1) ?? {})).toMatch(/plan mode: not restored/)
    await enforce()
    expect(account().users.get('bob')?.attached).toContain(bobPolicy)
  })

  it('an unchanged sweep finds nothing to report', async () => {
    const report = await enforce()
    expect((await notableOf(report.sweepId))?.totals.tampered).toBe(0)
  })
})

describe('the Slack digest', () => {
  it('lists counts, newly restricted users with their services, quota-blocked and errored users', async () => {
    const later = new Date(Date.now() + 91 * 86_400_000) // carl last used S3 3 days ago: then 94
    const before = slack.messages.length
    await runSweep(deps({ now: () => later }), config, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      confirmLargeChange: true,
    })
    expect(slack.messages.length).toBe(before + 1)
    const text = allText(slack.messages.at(-1) ?? {})
    expect(text).toMatch(/Decisions:/)
    expect(text).toMatch(new RegExp(`${MEMBER}\\*: \\d+ user\\(s\\) newly restricted`))
    expect(text).toMatch(/carl: s3, s3-object-lambda/)
    expect(text).toMatch(/Quota-blocked.*quinn/)
    expect(text).toMatch(/Errors.*frank.*FAILED/)
  })

  it('waits out a 429 with Retry-After and delivers', async () => {
    slack.script.push({ status: 429, retryAfter: 1, body: 'rate_limited' })
    const before = slack.requests
    const report = await runSweep(deps(), config, { kind: 'new', mode: 'plan', trigger: 'test' })
    expect(report.digest).toBe('sent')
    expect(slack.requests - before).toBe(2)
  })

  it('a Slack failure never fails the sweep or loses its record, and is logged as an alert', async () => {
    slack.script.push({ status: 500, body: 'boom' }, { status: 500 }, { status: 500 }, { status: 500 })
    const report = await runSweep(deps(), config, { kind: 'new', mode: 'plan', trigger: 'test' })
    slack.script.length = 0
    expect(report.status).toBe('completed')
    expect(report.digest).toBe('failed')
    expect((await h.store.getSweep(report.sweepId))?.status).toBe('completed')
    expect(
      h.logs.lines().some((l) => l.event === 'alert.digest-failed' && String(l.reason).includes('HTTP 500')),
    ).toBe(true)
  })

  it('no log line carries the webhook URL or any credential', () => {
    const text = h.logs
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n')
    expect(text.length).toBeGreaterThan(1000)
    expect(text).not.toContain('s3cr3tW3bh00kT0k3n')
    expect(text).not.toContain('/services/T0000')
    expect(text).not.toContain(credentialsFor(MGMT).secretAccessKey)
    expect(text).not.toMatch(/SessionToken|secretAccessKey|sessionToken/i)
  })
})
