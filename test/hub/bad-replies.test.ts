/**
 * A reply or a row that cannot be read stops nothing but itself: a malformed Access Advisor row makes its
 * user `error`; an unreadable row in the table is left out and alerted, the rest of the account is swept,
 * the sweep completes with its digest, and operator commands still work on that account.
 */
import { AttachUserPolicyCommand } from '@aws-sdk/client-iam'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { addExemption, listExemptions } from '../../shared/app/exemptions.js'
import { releaseDeny, rollback } from '../../shared/app/operator.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import type { UserSeed } from '../emulator/seed.js'
import { credentialsFor } from '../emulator/server.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { TABLE } from '../support/local-aws.js'
import { startDynamoHarness } from '../support/org-harness.js'

const h = await startDynamoHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const OPERATOR = 'arn:aws:iam::111111111111:role/least-privilege-operator'

const s3User = (name: string, extra: Partial<UserSeed> = {}): UserSeed => ({
  name,
  policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
  lastUsedDaysAgo: { s3: 1, ec2: 200 },
  ...extra,
})

function enforce(accountId: string, now = new Date()) {
  return runSweep(h.deps({ sleep: async () => undefined, now: () => now }), h.config(), {
    kind: 'new',
    mode: 'enforce',
    trigger: 'test',
    accounts: [accountId],
    confirmLargeChange: true,
    fullReads: true,
  })
}

const alerts = (event: string, accountId: string) =>
  h.logs.lines().filter((l) => l.event === event && l.accountId === accountId)

/** Writes a row into the table as it is, past the store: a forged or damaged row. */
const putRaw = (item: Record<string, unknown>) =>
  h.runtime.clients.dynamo.send(new PutCommand({ TableName: TABLE, Item: item }))

describe('bad replies and rows never wedge the sweep', () => {
  it('makes a user whose report names something other than a service `error`, naming it; nothing is denied from it', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('odd', { accessAdvisorOddRows: ['Foo'] }), s3User('plain')] })
    const report = await enforce(id)
    expect(report.status).toBe('completed')
    const odd = await h.store.audit.user(id, 'odd')
    expect(odd).toMatchObject({ status: 'error', denied: [] })
    expect(odd?.reason).toMatch(/names "Foo", not a service namespace/)
    expect(await h.store.audit.user(id, 'plain')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
  })

  it('leaves an unreadable row out, alerted by its key; the account is swept and the row written anew', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('forged'), s3User('plain')] })
    await enforce(id)
    const forged = must(await h.store.audit.user(id, 'forged'), "forged's row")
    // A deny of `*` would render a deny of everything: no such row is ever read as a record.
    await putRaw({ pk: `ACCOUNT#${id}`, sk: 'USER#forged', ...forged, denied: ['*'] })
    await putRaw({
      pk: `ACCOUNT#${id}`,
      sk: `REPORT#${forged.userId}`,
      userId: forged.userId,
      services: 'none',
    })
    const report = await enforce(id)
    expect(report.status).toBe('completed')
    expect(report.accounts[0]).toMatchObject({ outcome: 'swept' })
    expect(
      alerts('alert.row-unreadable', id)
        .map((l) => l.key)
        .sort(),
    ).toEqual([`ACCOUNT#${id} / REPORT#${forged.userId}`, `ACCOUNT#${id} / USER#forged`])
    // Written anew from what IAM shows: the deny in force is kept, and the row reads again.
    const rewritten = await h.store.audit.user(id, 'forged')
    expect(rewritten?.denied).toContain('ec2')
    expect(rewritten?.denied).not.toContain('*')
  })

  it('lets operators work on an account with one bad row', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('kept'), s3User('other')] })
    await enforce(id)
    await putRaw({ pk: `ACCOUNT#${id}`, sk: 'EXEMPTION#AIDAFORGED#*', userName: 'other', until: 'soon' })
    expect(await listExemptions(h.store, id, new Date())).toEqual([])
    const preview = await rollback(h.operator(), h.config(), { accountId: id, dryRun: true })
    expect(preview.map((r) => r.userName).sort()).toEqual(['kept', 'other'])
    const released = await releaseDeny(h.operator(), h.config(), {
      accountId: id,
      userName: 'kept',
      services: ['ec2'],
      reason: 'test',
      enforce: true,
      actor: OPERATOR,
    })
    expect(released.decision.status).toBe('released')
    expect(released.decision.denied).not.toContain('ec2')
  })

  it("completes a sweep whose ledger holds an account's outcome it cannot read", async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('one')] })
    const sweepId = `damaged-${id}`
    const request = { kind: 'new' as const, mode: 'plan' as const, trigger: 'test', accounts: [id], sweepId }
    // The sweep begins, then its outcome row for the account is damaged before it is read back.
    await h.store.sweeps.start(
      {
        sweepId,
        mode: 'plan',
        trigger: 'test',
        startedAt: new Date().toISOString(),
        status: 'running',
        accountCount: 1,
        invocations: 1,
      },
      [id],
    )
    await putRaw({ pk: `SWEEP#${sweepId}`, sk: `ACCOUNT#${id}`, outcome: 'exploded' })
    const report = await runSweep(h.deps(), h.config(), request)
    expect(report.status).toBe('completed')
    expect(report.summary).toMatchObject({ accountsFailed: 1 })
    const [row] = await h.store.sweeps.accounts(sweepId)
    expect(row?.reason).toMatch(/outcome row is unreadable/)
  })

  it("begins a new sweep though a past sweep's summary cannot be read, telling its key", async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('one')] })
    const bad = `zz-damaged-${id}`
    // Newest of all, so that every later sweep's look at the recent ones meets it.
    await putRaw({
      pk: `SWEEP#${bad}`,
      sk: 'SUMMARY',
      gsi1pk: 'SWEEPS',
      gsi1sk: `9999#${bad}`,
      status: 'cancelled',
    })
    const report = await enforce(id)
    expect(report.status).toBe('completed')
    expect(
      h.logs.lines().some((l) => l.event === 'alert.row-unreadable' && l.key === `SWEEP#${bad} / SUMMARY`),
    ).toBe(true)
    expect((await h.store.sweeps.recent(10)).map((s) => s.sweepId)).toContain(report.sweepId)
  })

  it('takes an account whose lock row has a lease that is not a number: it holds nothing', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('one')] })
    await putRaw({ pk: `LOCK#${id}`, sk: 'LOCK', holder: 'someone', leaseExpiresAt: '2020-01-01T00:00:00Z' })
    const report = await enforce(id)
    expect(report.status).toBe('completed')
    expect(report.accounts[0]).toMatchObject({ outcome: 'swept' })
  })

  it('stalls a sweep whose target accounts cannot be read, instead of failing every invocation after', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('one')] })
    const sweepId = `targets-${id}`
    await h.store.sweeps.start(
      {
        sweepId,
        mode: 'plan',
        trigger: 'test',
        startedAt: new Date().toISOString(),
        status: 'running',
        accountCount: 1,
        invocations: 1,
      },
      [id],
    )
    await putRaw({ pk: `SWEEP#${sweepId}`, sk: 'TARGETS#0000', accounts: 'all of them' })
    const report = await runSweep(h.deps(), h.config(), { kind: 'continuation', sweepId, hop: 1 })
    expect(report.status).toBe('stalled')
    expect(await h.store.sweeps.get(sweepId)).toMatchObject({
      status: 'stalled',
      reason: expect.stringMatching(/target accounts cannot be read/),
    })
  })

  it("dates a user's grants from now when their row cannot be read: a lost record never makes a service look unused", async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('kept')] })
    await enforce(id)
    const kept = must(await h.store.audit.user(id, 'kept'), "kept's row")
    expect(kept.denied).toContain('ec2')
    // Granted today, never used: planned on a lost record as if granted at the user's creation, it is denied.
    const admin = createIamClient({ credentials: credentialsFor(id), maxAttempts: 1 })
    await admin.send(
      new AttachUserPolicyCommand({
        UserName: 'kept',
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess',
      }),
    )
    await putRaw({ pk: `ACCOUNT#${id}`, sk: 'USER#kept', ...kept, firstSeen: { s3: 'long ago' } })
    expect((await enforce(id)).accounts[0]).toMatchObject({ outcome: 'swept' })
    const after = must(await h.store.audit.user(id, 'kept'), "kept's row anew")
    expect(after.denied).toContain('ec2')
    expect(after.denied).not.toContain('dynamodb')
    expect(Date.parse(after.firstSeen?.dynamodb ?? '')).toBeGreaterThan(Date.now() - 60_000)
  })

  it('writes anew a user row whose version is not a number, instead of failing its save every day', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('odd')] })
    await enforce(id)
    const odd = must(await h.store.audit.user(id, 'odd'), "odd's row")
    await putRaw({ pk: `ACCOUNT#${id}`, sk: 'USER#odd', ...odd, version: '3' })
    await enforce(id)
    expect(alerts('alert.record-failed', id)).toEqual([])
    expect(await h.store.audit.user(id, 'odd')).toMatchObject({
      version: 1,
      denied: expect.arrayContaining(['ec2']),
    })
  })

  it('holds a user whose exemption row cannot be read: nothing suspended comes back until an operator grants it again', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('held')] })
    await enforce(id)
    const held = must(await h.store.audit.user(id, 'held'), "held's row")
    const now = new Date()
    const grant = { accountId: id, userName: 'held', days: 30, reason: 'migration', actor: OPERATOR }
    await addExemption(h.store, { ...grant, now })
    await enforce(id)
    expect(await h.store.audit.user(id, 'held')).toMatchObject({ status: 'exempt', denied: [] })
    const key = `EXEMPTION#${held.userId}#*`
    await putRaw({ pk: `ACCOUNT#${id}`, sk: key, userName: 'held', userId: held.userId, reason: 42 })
    await enforce(id)
    expect(await h.store.audit.user(id, 'held')).toMatchObject({
      status: 'error',
      denied: [],
      reason: expect.stringMatching(/exemption row .* cannot be read/),
    })
    // Granted again, the row reads and the user is exempt as before.
    await addExemption(h.store, { ...grant, now: new Date() })
    await enforce(id)
    expect(await h.store.audit.user(id, 'held')).toMatchObject({ status: 'exempt', denied: [] })
  })

  it('reads an account row it cannot read as onboarded and resolved: an old name-only exemption stays refused', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('lee')] })
    await enforce(id)
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString()
    await putRaw({ pk: `ACCOUNT#${id}`, sk: 'ACCOUNT', status: 'suspended' })
    // A row written as before UserIds were kept, planted after the account resolved its old ones.
    await putRaw({
      pk: `ACCOUNT#${id}`,
      sk: 'EXEMPTION#lee#*',
      accountId: id,
      userName: 'lee',
      until,
      reason: 'planted',
      createdAt: new Date().toISOString(),
    })
    await enforce(id)
    expect(await h.store.audit.user(id, 'lee')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    const [account] = (await h.store.audit.accountsByStatus('reachable')).filter((a) => a.accountId === id)
    expect(account?.legacyResolvedAt).toBeDefined()
    expect(account?.enforcedSince).toBeDefined()
  })

  it('leaves a row an audit view cannot read out of it, telling its key', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('seen')] })
    await enforce(id)
    await putRaw({
      pk: `ACCOUNT#${id}`,
      sk: 'USER#ghost',
      gsi1pk: 'USER_STATUS#enforced',
      gsi1sk: `${id}#ghost`,
    })
    const enforced = await h.store.audit.usersByStatus('enforced')
    expect(enforced.some((u) => u.accountId === id && u.userName === 'seen')).toBe(true)
    expect(
      h.logs
        .lines()
        .some((l) => l.event === 'alert.row-unreadable' && l.key === `ACCOUNT#${id} / USER#ghost`),
    ).toBe(true)
  })

  it('makes a user whose report dates a use after now `error`: it would hide attempts before it', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('ahead', { lastUsedDaysAgo: { s3: -3, ec2: 200 } })] })
    await enforce(id)
    expect(await h.store.audit.user(id, 'ahead')).toMatchObject({
      status: 'error',
      denied: [],
      reason: expect.stringMatching(/dates a use of s3 after now/),
    })
  })
})
