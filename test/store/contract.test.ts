import { afterAll, describe, expect, it } from 'vitest'
import { DynamoStateStore } from '../../shared/aws/state/dynamo-store.js'
import type {
  AccountOutcome,
  ChangeRecord,
  CompletedSweep,
  Exemption,
  PlannedUser,
  RunningSweep,
  StoredReport,
  UserState,
} from '../../shared/domain/records.js'
import type { StateStore } from '../../shared/ports.js'
import { startDynalite } from '../support/dynalite.js'
import { freshAccountId } from '../support/fixtures.js'
import { MemoryStateStore } from '../support/memory-store.js'

const dynamo = await startDynalite()
afterAll(() => dynamo.close())
let tables = 0

/** A store of each kind, new for each test: a fresh table on dynalite, or a fresh store in memory. */
const STORES: [string, () => Promise<StateStore>][] = [
  [
    'DynamoDB',
    async () => {
      const name = `contract-${++tables}`
      await dynamo.createTable(name)
      const db = dynamo.documentClient()
      return new DynamoStateStore(db, name)
    },
  ],
  ['memory', async () => new MemoryStateStore()],
]

const T0 = '2026-12-01T06:00:00.000Z'

function running(sweepId: string, startedAt = T0): RunningSweep {
  return {
    sweepId,
    mode: 'enforce',
    trigger: 'test',
    startedAt,
    status: 'running',
    accountCount: 2,
    invocations: 1,
  }
}

function userRow(accountId: string, userName: string, extra: Partial<UserState> = {}): UserState {
  return {
    accountId,
    userName,
    userId: `AIDA${userName.toUpperCase()}`,
    userArn: `arn:aws:iam::${accountId}:user/${userName}`,
    status: 'enforced',
    reason: 'applied',
    denied: ['ec2'],
    policyArns: [],
    policyDigests: [],
    sweepId: 's1',
    updatedAt: T0,
    ...extra,
  }
}

function change(accountId: string, at: string, extra: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    accountId,
    userName: 'bob',
    userId: 'AIDABOB',
    at,
    sweepId: 's1',
    mode: 'enforce',
    status: 'enforced',
    added: [],
    removed: [],
    denied: ['ec2'],
    reason: 'applied',
    ...extra,
  }
}

const outcome = (accountId: string, extra: Partial<AccountOutcome> = {}): AccountOutcome => ({
  accountId,
  outcome: 'swept',
  reason: '',
  users: 2,
  counts: { enforced: 2 },
  writes: 4,
  durationMs: 10,
  ...extra,
})

describe.each(STORES)('the state store on %s', (_kind, storeOf) => {
  describe('the sweep ledger', () => {
    it('starts a sweep once, with its targets', async () => {
      const store = await storeOf()
      expect(await store.sweeps.start(running('a'), ['222222222222', '111111111111'])).toBe(true)
      expect(await store.sweeps.start(running('a'), ['333333333333'])).toBe(false)
      expect(await store.sweeps.targets('a')).toEqual(['222222222222', '111111111111'])
      expect(await store.sweeps.get('a')).toMatchObject({ status: 'running', accountCount: 2 })
      expect(await store.sweeps.get('none')).toBeUndefined()
    })

    it('records each account once, and an outcome written without the lock never overwrites one', async () => {
      const store = await storeOf()
      const sweep = running('b')
      await store.sweeps.start(sweep, ['111111111111', '222222222222'])
      expect(await store.sweeps.isDone('b', '111111111111')).toBe(false)
      await store.sweeps.completeAccount(sweep, outcome('111111111111'), new Date(T0))
      await store.sweeps.completeAccount(
        sweep,
        outcome('111111111111', { outcome: 'failed' }),
        new Date(T0),
        true,
      )
      await store.sweeps.completeAccount(sweep, outcome('222222222222', { writes: 1 }), new Date(T0))
      expect(await store.sweeps.isDone('b', '111111111111')).toBe(true)
      expect(await store.sweeps.accounts('b')).toEqual([
        { ...outcome('111111111111'), doneAt: T0 },
        { ...outcome('222222222222', { writes: 1 }), doneAt: T0 },
      ])
    })

    it('keeps an account carried on, its users in order', async () => {
      const store = await storeOf()
      const sweep = running('c')
      expect(await store.sweeps.progress('c', '111111111111')).toBeUndefined()
      const progress = {
        userIds: ['AIDA1', 'AIDA2'],
        counts: { enforced: 1, unchanged: 1 },
        writes: 2,
        readsSkipped: 1,
        notable: {
          restricted: [],
          tampered: [],
          quotaBlocked: [],
          errors: [],
          attempts: [],
          newlyExempt: [],
          orphans: 0,
          foreign: [],
          foreignCount: 0,
          totals: { restricted: 0, tampered: 0, quotaBlocked: 0, errors: 0, attempts: 0, newlyExempt: 0 },
        },
      }
      await store.sweeps.saveProgress(sweep, '111111111111', progress)
      expect(await store.sweeps.progress('c', '111111111111')).toEqual(progress)
      await store.sweeps.saveProgress(sweep, '111111111111', { ...progress, userIds: [] })
      expect((await store.sweeps.progress('c', '111111111111'))?.userIds).toEqual([])
    })

    it("keeps a plan sweep's users it would change, by account, a user kept again replacing the first", async () => {
      const store = await storeOf()
      const sweep = { sweepId: 'p', startedAt: '2026-12-01T06:00:00.000Z' }
      await store.sweeps.start(running('p'), ['111111111111', '222222222222'])
      const planned = (accountId: string, userId: string, on: string): PlannedUser => ({
        accountId,
        userName: `user-${userId}`,
        userId,
        status: 'unchanged',
        reason: '',
        added: [{ namespace: 'ec2', reason: 'unused', lastUsed: '2026-01-02T00:00:00.000Z' }],
        removed: [],
        scheduled: [{ key: 's3', on, lastUsed: '2026-03-04T00:00:00.000Z' }],
        cancelled: [],
      })
      const many = Array.from({ length: 30 }, (_, i) =>
        planned('222222222222', `AIDA${i + 100}`, '2026-12-08'),
      )
      await store.sweeps.keepPlans(sweep, [planned('111111111111', 'AIDA1', '2026-12-08'), ...many])
      await store.sweeps.keepPlans(sweep, [planned('111111111111', 'AIDA1', '2026-12-09')])
      expect(await store.sweeps.plans('p', '111111111111')).toEqual([
        planned('111111111111', 'AIDA1', '2026-12-09'),
      ])
      expect(await store.sweeps.plans('p')).toHaveLength(31)
      expect(await store.sweeps.plans('other')).toEqual([])
    })

    it('beats and counts invocations only while running; finishes and stalls once', async () => {
      const store = await storeOf()
      await store.sweeps.start(running('d'), [])
      expect(await store.sweeps.heartbeat('d', new Date('2026-12-01T06:01:00Z'))).toBe(true)
      expect(await store.sweeps.heartbeat('d', new Date('2026-12-01T06:02:00Z'), true)).toBe(true)
      await store.sweeps.recordDurations('d', [1200, 900])
      expect(await store.sweeps.get('d')).toMatchObject({
        heartbeatAt: '2026-12-01T06:02:00.000Z',
        invocations: 2,
        jobDurationsMs: [1200, 900],
      })
      const completed: CompletedSweep = {
        ...running('d'),
        status: 'completed',
        finishedAt: '2026-12-01T06:03:00.000Z',
        durationMs: 180_000,
        counts: { enforced: 2 },
        accountsSwept: 2,
        accountsUnreachable: 0,
        accountsFailed: 0,
        accountsBraked: 0,
      }
      expect(await store.sweeps.finish(completed)).toBe(true)
      expect(await store.sweeps.finish(completed)).toBe(false)
      expect(
        await store.sweeps.markStalled({ ...running('d'), status: 'stalled', stalledAt: T0, reason: 'late' }),
      ).toBe(false)
      expect(await store.sweeps.heartbeat('d', new Date())).toBe(false)
      expect(await store.sweeps.get('d')).toMatchObject({ status: 'completed', counts: { enforced: 2 } })
      expect(await store.sweeps.finish({ ...completed, sweepId: 'never-started' })).toBe(false)
    })

    it('lists the last sweeps newest first', async () => {
      const store = await storeOf()
      await store.sweeps.start(running('e1', '2026-12-01T06:00:00.000Z'), [])
      await store.sweeps.start(running('e3', '2026-12-03T06:00:00.000Z'), [])
      await store.sweeps.start(running('e2', '2026-12-02T06:00:00.000Z'), [])
      expect((await store.sweeps.recent(2)).map((s) => s.sweepId)).toEqual(['e3', 'e2'])
    })
  })

  describe("an account's records", () => {
    it('writes a user row only if it is as it was loaded, counting versions', async () => {
      const store = await storeOf()
      const id = freshAccountId()
      const first = userRow(id, 'bob')
      expect(await store.users.saveUser(first, undefined)).toBe(true)
      expect(await store.users.saveUser(first, undefined)).toBe(false) // it exists now
      const loaded = (await store.users.loadAccount(id)).users.get('bob')
      expect(loaded).toMatchObject({ version: 1, denied: ['ec2'] })
      expect(await store.users.saveUser({ ...first, reason: 'second' }, loaded)).toBe(true)
      expect(await store.users.saveUser({ ...first, reason: 'raced' }, loaded)).toBe(false)
      expect(await store.audit.user(id, 'bob')).toMatchObject({ reason: 'second', version: 2 })
      // A row from before versions were kept is written once, by whoever loaded it first.
      const older = { ...userRow(id, 'old'), version: undefined }
      expect(await store.users.saveUser(older, undefined)).toBe(true)
      const unversioned = { ...userRow(id, 'old') }
      expect(await store.users.saveUser(unversioned, { ...unversioned })).toBe(false) // it has version 1
    })

    it('loads users by name and UserId, exemptions, reports and the account row in one read', async () => {
      const store = await storeOf()
      const id = freshAccountId()
      await store.users.saveUser(userRow(id, 'bob'), undefined)
      await store.users.saveUser({ ...userRow(id, 'legacy'), userId: undefined }, undefined)
      const exemption: Exemption = {
        accountId: id,
        userName: 'bob',
        userId: 'AIDABOB',
        service: 'ec2',
        until: '2027-01-01T00:00:00.000Z',
        reason: 'incident',
        createdAt: T0,
      }
      await store.users.putExemption(exemption)
      await store.users.putExemption({ ...exemption, service: undefined })
      const report: StoredReport = {
        userId: 'AIDABOB',
        sweepId: 's1',
        readAt: T0,
        services: [{ namespace: 's3', lastAuthenticated: T0, lastRegion: 'us-east-1' }, { namespace: 'ec2' }],
      }
      const sink = store.users.reportSink(id)
      sink.keep(report)
      sink.keep({ ...report, userId: 'AIDAOTHER' })
      expect(await sink.written()).toEqual([])
      await store.users.saveAccountState({
        accountId: id,
        name: id,
        status: 'reachable',
        reason: '',
        sweepId: 's1',
        updatedAt: T0,
        enforcedSince: T0,
      })
      const records = await store.users.loadAccount(id)
      expect([...records.users.keys()].sort()).toEqual(['bob', 'legacy'])
      expect([...records.usersById.keys()]).toEqual(['AIDABOB'])
      expect(records.exemptions).toHaveLength(2)
      expect(records.reports.get('AIDABOB')).toEqual(report)
      expect(records.account).toMatchObject({ status: 'reachable', enforcedSince: T0 })
      // The audit's view of the same exemptions, without the users and reports around them.
      const view = await store.audit.exemptions(id)
      expect(view.exemptions.map((e) => e.service ?? '*').sort()).toEqual(['*', 'ec2'])
      expect(view.account).toMatchObject({ status: 'reachable' })
      expect(await store.audit.exemptions(freshAccountId())).toEqual({ exemptions: [] })
      await store.users.forgetReport(id, 'AIDAOTHER')
      await store.users.forgetUser(id, 'legacy')
      expect(await store.users.deleteExemption(exemption)).toBe(true)
      expect(await store.users.deleteExemption(exemption)).toBe(false)
      const after = await store.users.loadAccount(id)
      expect([...after.users.keys()]).toEqual(['bob'])
      expect([...after.reports.keys()]).toEqual(['AIDABOB'])
      expect(after.exemptions.map((e) => e.service ?? '*')).toEqual(['*'])
      expect((await store.users.loadAccount(freshAccountId())).users.size).toBe(0)
    })
  })

  describe('the audit views', () => {
    it("finds a user's history newest first, by UserId through a rename, and by name for old rows", async () => {
      const store = await storeOf()
      const id = freshAccountId()
      await store.users.appendHistory(change(id, '2026-12-01T06:00:00.000Z'))
      await store.users.appendHistory(change(id, '2026-12-02T06:00:00.000Z', { reason: 'later' }))
      await store.users.appendHistory(
        change(id, '2026-12-02T06:00:00.000Z', {
          status: 'attempt',
          attempt: { namespace: 'ec2', at: '2026-12-01T12:00:00.000Z' },
        }),
      )
      await store.users.appendHistory(change(id, '2026-11-01T06:00:00.000Z', { userId: undefined }))
      await store.users.saveUser(userRow(id, 'robert', { userId: 'AIDABOB' }), undefined)
      const byName = await store.audit.history(id, { name: 'robert' }, 10)
      expect(byName.map((c) => [c.at, c.status])).toEqual([
        ['2026-12-02T06:00:00.000Z', 'attempt'],
        ['2026-12-02T06:00:00.000Z', 'enforced'],
        ['2026-12-01T06:00:00.000Z', 'enforced'],
      ])
      expect(await store.audit.history(id, { id: 'AIDABOB' }, 1)).toHaveLength(1)
      expect((await store.audit.history(id, { name: 'bob' }, 10)).map((c) => c.at)).toEqual([
        '2026-11-01T06:00:00.000Z',
      ])
    })

    it('lists attempts across the organization from a time on, oldest first, one account when asked', async () => {
      const store = await storeOf()
      const [a, b] = [freshAccountId(), freshAccountId()]
      // One row per attempt time: each is recorded by the sweep that first sees it.
      const attempt = (accountId: string, at: string) =>
        change(accountId, at, { status: 'attempt', attempt: { namespace: 'ec2', at } })
      await store.users.appendHistory(attempt(a, '2026-12-03T00:00:00.000Z'))
      await store.users.appendHistory(attempt(b, '2026-12-02T00:00:00.000Z'))
      await store.users.appendHistory(attempt(a, '2026-11-01T00:00:00.000Z'))
      const since = await store.audit.attemptsSince('2026-12-01T00:00:00.000Z')
      const mine = since.filter((c) => c.accountId === a || c.accountId === b)
      expect(mine.map((c) => c.attempt?.at)).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z'])
      const inA = await store.audit.attemptsSince('2026-01-01T00:00:00.000Z', a)
      expect(inA.map((c) => c.attempt?.at)).toEqual(['2026-11-01T00:00:00.000Z', '2026-12-03T00:00:00.000Z'])
    })

    it('lists users with denies scheduled, soonest first, up to a day', async () => {
      const store = await storeOf()
      const id = freshAccountId()
      const scheduled = (on: string) => ({ ec2: { on, since: T0 } })
      await store.users.saveUser(
        userRow(id, 'late', { scheduled: scheduled('2026-12-20'), nextScheduled: '2026-12-20' }),
        undefined,
      )
      await store.users.saveUser(
        userRow(id, 'soon', { scheduled: scheduled('2026-12-08'), nextScheduled: '2026-12-08' }),
        undefined,
      )
      await store.users.saveUser(userRow(id, 'none'), undefined)
      expect((await store.audit.scheduled(undefined, id)).map((u) => u.userName)).toEqual(['soon', 'late'])
      expect((await store.audit.scheduled('2026-12-08', id)).map((u) => u.userName)).toEqual(['soon'])
      expect(await store.audit.scheduled('2026-12-07', id)).toEqual([])
    })

    it('lists users and accounts by status', async () => {
      const store = await storeOf()
      const id = freshAccountId()
      await store.users.saveUser(userRow(id, 'erin', { status: 'exempt' }), undefined)
      await store.users.saveUser(userRow(id, 'bob'), undefined)
      const exempt = (await store.audit.usersByStatus('exempt')).filter((u) => u.accountId === id)
      expect(exempt.map((u) => u.userName)).toEqual(['erin'])
      await store.users.saveAccountState({
        accountId: id,
        name: id,
        status: 'unreachable',
        reason: 'AccessDenied',
        sweepId: 's1',
        updatedAt: T0,
      })
      const unreachable = await store.audit.accountsByStatus('unreachable')
      expect(unreachable.filter((a) => a.accountId === id)).toEqual([
        expect.objectContaining({ reason: 'AccessDenied' }),
      ])
      expect(await store.audit.user(id, 'nobody')).toBeUndefined()
    })
  })

  describe('the account locks', () => {
    it('hold an account for one holder until its lease lapses, renewed only by that holder', async () => {
      const store = await storeOf()
      const id = freshAccountId()
      const t = Date.parse(T0)
      expect(await store.locks.acquire(id, 'one', new Date(t), 60_000)).toEqual({ acquired: true })
      expect(await store.locks.acquire(id, 'one', new Date(t + 1), 60_000)).toEqual({ acquired: true })
      expect(await store.locks.acquire(id, 'two', new Date(t + 2), 60_000)).toEqual({
        acquired: false,
        heldBy: 'one',
        until: new Date(t + 1 + 60_000).toISOString(),
      })
      expect(await store.locks.renew(id, 'two', new Date(t + 3), 60_000)).toBe(false)
      expect(await store.locks.renew(id, 'one', new Date(t + 10_000), 60_000)).toBe(true)
      expect(await store.locks.acquire(id, 'two', new Date(t + 61_000), 60_000)).toMatchObject({
        acquired: false,
      })
      expect(await store.locks.acquire(id, 'two', new Date(t + 70_001), 60_000)).toEqual({ acquired: true })
      await store.locks.release(id, 'one') // not its holder any more: leaves the lock as it is
      expect(await store.locks.holderOf(id)).toBe('two')
      await store.locks.release(id, 'two')
      expect(await store.locks.holderOf(id)).toBeUndefined()
      expect(await store.locks.renew(id, 'two', new Date(t), 60_000)).toBe(false) // never creates one
      expect(await store.locks.holderOf(id)).toBeUndefined()
    })
  })
})
