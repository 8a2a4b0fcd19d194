import { describe, expect, it } from 'vitest'
import { addExemption, revokeExemption } from '../../shared/app/exemptions.js'
import { rollback } from '../../shared/app/operator.js'
import { runSweep, type SweepReport } from '../../shared/app/org-sweep.js'
import { type AccountSeed, seededUserId } from '../emulator/seed.js'
import { must, ourPolicyArn, PREFIX, statusAccount } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'

const OPERATOR = 'arn:aws:iam::111111111111:role/least-privilege-operator'

const MGMT = '100000000001'
const MEMBER = '100000000002'
const NO_ROLE = '100000000003'
const SUSPENDED = '100000000004'
const LEGACY = '100000000005'
const LEGACY_SUSPENDED = '100000000006'
const EXCLUDED = '100000000007'
const small = (id: string, extra: Partial<AccountSeed> = {}): AccountSeed => ({
  id,
  users: [{ name: 'dev', policies: ['aws:AmazonS3FullAccess'], lastUsedDaysAgo: { s3: 1 } }],
  ...extra,
})
// 25 accounts: more than one page of ListAccounts (20 per page).
const fillers = Array.from({ length: 18 }, (_, i) => small(String(200000000000 + i)))

/** The whole organization, new for each test: every test here builds the world it needs. */
async function givenOrg(store: 'memory' | 'dynamo' = 'memory') {
  const h = await startOrgHarness(
    {
      managementAccountId: MGMT,
      accounts: [
        small(MGMT),
        statusAccount(MEMBER),
        small(NO_ROLE, { spokeRole: false }),
        small(SUSPENDED, { state: 'SUSPENDED' }),
        small(LEGACY, { legacyStatusOnly: true }),
        small(LEGACY_SUSPENDED, { legacyStatusOnly: true, state: 'SUSPENDED' }),
        small(EXCLUDED),
        ...fillers,
      ],
    },
    {},
    'test',
    store,
  )
  const config = h.config({ excludedAccounts: [EXCLUDED] })
  // Enforce sweeps here confirm the large first change; the brake has its own tests.
  const sweep = (mode: 'plan' | 'enforce', accounts?: string[]) =>
    runSweep(h.deps(), config, {
      kind: 'new',
      mode,
      trigger: 'test',
      confirmLargeChange: true,
      ...(accounts ? { accounts } : {}),
    })
  /** An enforce sweep of the member account alone, at a given time. */
  const enforceMember = (now = new Date()) =>
    runSweep(h.deps({ now: () => now }), config, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      confirmLargeChange: true,
      accounts: [MEMBER],
    })
  const member = h.emulator.state.accounts.get(MEMBER)
  const user = (name: string) => must(member?.users.get(name), `user ${name}`)
  return { h, config, sweep, enforceMember, user, member }
}
const outcome = (r: SweepReport, id: string) => r.accounts.find((a) => a.accountId === id)

describe('the org-wide sweep', () => {
  it('sweeps every ACTIVE account across ListAccounts pages, reading State or the legacy Status', async () => {
    const { h, sweep } = await givenOrg()
    const first = await sweep('enforce')
    const swept = first.accounts.map((a) => a.accountId).sort()
    expect(swept).toContain(MGMT)
    expect(swept).toContain(LEGACY)
    expect(swept).not.toContain(SUSPENDED)
    expect(swept).not.toContain(LEGACY_SUSPENDED)
    expect(swept).not.toContain(EXCLUDED)
    expect(swept).toHaveLength(22)
    expect(h.emulator.count({ action: 'ListAccounts' })).toBe(2)
  })

  it('isolates an account whose spoke role cannot be assumed, and completes the rest', async () => {
    const { sweep } = await givenOrg()
    const first = await sweep('enforce')
    expect(outcome(first, NO_ROLE)).toMatchObject({
      outcome: 'unreachable',
      reason: expect.stringContaining('AccessDenied'),
    })
    expect(outcome(first, MEMBER)).toMatchObject({ outcome: 'swept', users: 8 })
    expect(first.status).toBe('completed')
    expect(first.summary).toMatchObject({ accountsSwept: 21, accountsUnreachable: 1, accountsFailed: 0 })
    expect(first.summary?.finishedAt).toBeDefined()
  })

  it('records current state and history per user', async () => {
    const { h, sweep } = await givenOrg()
    const first = await sweep('enforce')
    const bob = await h.store.audit.user(MEMBER, 'bob')
    expect(bob).toMatchObject({
      status: 'enforced',
      denied: ['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'],
    })
    expect(bob?.firstSeen?.s3).toBeDefined()
    const history = await h.store.audit.history(MEMBER, { name: 'bob' }, 10)
    expect(history).toHaveLength(1)
    expect(history[0]).toMatchObject({ status: 'enforced', mode: 'enforce', sweepId: first.sweepId })
    expect(history[0]?.added.map((c) => c.namespace)).toEqual([
      'autoscaling',
      'ec2',
      'elasticloadbalancing',
      's3-object-lambda',
    ])
  })

  it('a second sweep over an unchanged org writes only the sweep records', async () => {
    const { h, sweep } = await givenOrg('dynamo')
    await sweep('enforce')
    h.dynamo?.reset()
    h.emulator.resetCounts()
    const second = await sweep('enforce')
    expect(second.status).toBe('completed')
    expect(h.emulator.count({ writes: true })).toBe(0)
    // Summary and targets at the start, the summary at the finish; per account its outcome, the lock
    // and its release: no user, history or account-state row, and one report: quinn's plan adds a deny
    // his full quota blocks, so his report is read (and kept) every day.
    expect(h.dynamo?.writes()).toBe(3 + 3 * 22 + 1)
  })

  it('answers audit queries without a scan', async () => {
    const { h, sweep } = await givenOrg('dynamo')
    await sweep('enforce')
    await sweep('enforce')
    h.dynamo?.reset()
    expect((await h.store.audit.usersByStatus('exempt')).map((u) => `${u.accountId}/${u.userName}`)).toEqual([
      `${MEMBER}/erin`,
    ])
    expect((await h.store.audit.usersByStatus('quota-blocked')).map((u) => u.userName)).toEqual(['quinn'])
    expect((await h.store.audit.usersByStatus('error')).map((u) => u.userName)).toEqual(['frank'])
    expect((await h.store.audit.accountsByStatus('unreachable')).map((a) => a.accountId)).toEqual([NO_ROLE])
    const sweeps = await h.store.sweeps.recent(2)
    expect(sweeps).toHaveLength(2)
    expect((sweeps[0]?.startedAt ?? '') >= (sweeps[1]?.startedAt ?? '')).toBe(true)
    expect(sweeps[0]).toMatchObject({
      status: 'completed',
      counts: expect.objectContaining({ unchanged: expect.any(Number) }),
    })
    expect(h.dynamo?.operations).not.toContain('Scan')
  })

  it('sweeps only the requested accounts, and names an unknown one', async () => {
    const { sweep } = await givenOrg()
    const only = await sweep('plan', [MEMBER])
    expect(only.accounts.map((a) => a.accountId)).toEqual([MEMBER])
    await expect(sweep('plan', ['999999999999'])).rejects.toThrow(/accounts: 999999999999/)
    await expect(sweep('plan', [SUSPENDED])).rejects.toThrow(/not an active/)
  })

  it('rollback detaches and deletes the deny policy and records it', async () => {
    const { h, config, enforceMember } = await givenOrg()
    await enforceMember()
    const results = await rollback(h.operator(), config, {
      accountId: MEMBER,
      userName: 'bob',
      actor: OPERATOR,
    })
    expect(results).toEqual([
      expect.objectContaining({ userName: 'bob', released: expect.arrayContaining(['ec2']) }),
    ])
    const account = h.emulator.state.accounts.get(MEMBER)
    expect(account?.policies.has(ourPolicyArn(MEMBER, 'bob'))).toBe(false)
    expect(account?.users.get('bob')?.attached.some((a) => a.includes(PREFIX))).toBe(false)
    expect(await h.store.audit.user(MEMBER, 'bob')).toMatchObject({ status: 'rolled-back', denied: [] })
    expect((await h.store.audit.history(MEMBER, { name: 'bob' }, 1))[0]).toMatchObject({
      status: 'rolled-back',
      previousStatus: 'enforced',
    })

    // The rollback is recorded as an exemption: the next sweeps leave bob alone until it is lifted.
    await enforceMember()
    expect(await h.store.audit.user(MEMBER, 'bob')).toMatchObject({ status: 'exempt', denied: [] })
    expect(account?.policies.has(ourPolicyArn(MEMBER, 'bob'))).toBe(false)
    await revokeExemption(h.store, {
      accountId: MEMBER,
      userName: 'BOB',
      now: new Date(),
      actor: OPERATOR,
      reason: 'test',
    }) // as an operator may spell it
    await enforceMember(new Date(Date.now() + 91 * 86_400_000)) // each clock restarted at the rollback
    expect((await h.store.audit.user(MEMBER, 'bob'))?.denied).toContain('ec2')
  })

  it('honours a temporary exemption until it expires by itself', async () => {
    const { h, enforceMember } = await givenOrg()
    await enforceMember()
    await addExemption(h.store, {
      accountId: MEMBER,
      userName: 'alice',
      days: 2,
      reason: 'incident 42',
      now: new Date(),
      actor: OPERATOR,
    })
    await addExemption(h.store, {
      accountId: MEMBER,
      userName: 'alice',
      services: ['lambda'],
      days: 5,
      reason: 'migration',
      now: new Date(),
      actor: OPERATOR,
    })
    const during = await enforceMember()
    expect(during.accounts[0]?.counts.exempt).toBe(2) // erin (tag) and alice (temporary)
    expect(await h.store.audit.user(MEMBER, 'alice')).toMatchObject({
      status: 'exempt',
      denied: [],
      reason: expect.stringMatching(/^exempt until /),
    })

    // The whole-user exemption ends: its denies come back, but lambda's exemption still holds.
    await enforceMember(new Date(Date.now() + 3 * 86_400_000))
    const after = await h.store.audit.user(MEMBER, 'alice')
    expect(after).toMatchObject({ status: 'enforced', denied: expect.arrayContaining(['sqs']) })
    expect(after?.denied).not.toContain('lambda')
    await enforceMember(new Date(Date.now() + 6 * 86_400_000))
    expect((await h.store.audit.user(MEMBER, 'alice'))?.denied).toContain('lambda')
  })

  it('gives a newly granted service the full window before denying it', async () => {
    const { h, enforceMember, user } = await givenOrg()
    const carl = user('carl')
    await enforceMember()
    expect((await h.store.audit.user(MEMBER, 'carl'))?.denied).toEqual([])
    carl.attached.push('arn:aws:iam::aws:policy/AmazonEC2FullAccess') // never used: unused "forever"
    await enforceMember()
    const granted = await h.store.audit.user(MEMBER, 'carl')
    expect(granted?.denied).toEqual([])
    expect(Date.parse(granted?.firstSeen?.ec2 ?? '')).toBeGreaterThan(Date.now() - 60_000)

    const afterWindow = new Date(Date.now() + 91 * 86_400_000)
    await enforceMember(afterWindow)
    expect((await h.store.audit.user(MEMBER, 'carl'))?.denied).toEqual(
      expect.arrayContaining(['ec2', 'autoscaling']),
    )
  })

  it('forgets users that no longer exist, keeping their history', async () => {
    const { h, config, enforceMember, member } = await givenOrg()
    await enforceMember()
    member?.users.delete('carl')
    await runSweep(h.deps(), config, { kind: 'new', mode: 'plan', trigger: 'test', accounts: [MEMBER] })
    expect(await h.store.audit.user(MEMBER, 'carl')).toBeUndefined()
    expect(
      (await h.store.audit.history(MEMBER, { id: seededUserId(MEMBER, 'carl') }, 5)).length,
    ).toBeGreaterThan(0)
  })

  it('logs carry the sweep id, the account and the user', async () => {
    const { h, enforceMember } = await givenOrg()
    await enforceMember()
    const decision = h.logs.lines().find((l) => l.event === 'user.decision' && l.userName === 'bob')
    expect(decision).toMatchObject({ sweepId: expect.any(String), accountId: MEMBER, userName: 'bob' })
  })
})
