/**
 * A reply or a row that cannot be read stops nothing but itself: a malformed Access Advisor row makes its
 * user `error`; an unreadable row in the table is left out and alerted, the rest of the account is swept,
 * the sweep completes with its digest, and operator commands still work on that account.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { listExemptions } from '../../shared/app/exemptions.js'
import { releaseDeny, rollback } from '../../shared/app/operator.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import type { UserSeed } from '../emulator/seed.js'
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

function enforce(accountId: string) {
  return runSweep(h.deps({ sleep: async () => undefined }), h.config(), {
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
})
