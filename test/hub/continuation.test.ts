import { describe, expect, it } from 'vitest'
import { runSweep, type SweepDeps } from '../../hub/sweep.js'
import type { AccountSeed } from '../emulator/seed.js'
import { startOrgHarness } from '../support/org-harness.js'

const account = (id: string): AccountSeed => ({
  id,
  users: [
    { name: 'dev', policies: ['aws:AmazonS3FullAccess'], lastUsedDaysAgo: { s3: 1 } },
    { name: 'ops', policies: ['aws:AmazonEC2FullAccess'] },
  ],
})
const IDS = ['300000000001', '300000000002', '300000000003', '300000000004', '300000000005']
const h = await startOrgHarness({ accounts: IDS.map(account) })
const config = h.config({ accountConcurrency: 1, continuationThresholdMs: 60_000 })

/** Time left: plenty for the first `n` account starts, then below the threshold. */
function budget(n: number): () => number {
  let calls = 0
  return () => (calls++ < n ? 600_000 : 1_000)
}

const sweepsPerAccount = () =>
  IDS.map((id) => h.emulator.count({ action: 'GetAccountAuthorizationDetails', account: id }))

describe('continuation across invocations', () => {
  for (let cut = 0; cut <= IDS.length; cut++) {
    it(`cut after ${cut} accounts, continuation delivered twice: every account swept exactly once`, async () => {
      h.emulator.resetCounts()
      const handedOn: { sweepId: string; accounts: string[] }[] = []
      const deps = (remainingMs: () => number): SweepDeps =>
        h.deps({ remainingMs, continueWith: async (next) => void handedOn.push(next) })

      const first = await runSweep(deps(budget(cut)), config, {
        kind: 'new',
        mode: 'enforce',
        trigger: 'test',
      })
      expect(first.accounts).toHaveLength(cut)
      if (cut === IDS.length) {
        expect(first.status).toBe('completed')
        expect(handedOn).toEqual([])
      } else {
        expect(first.status).toBe('continued')
        expect(handedOn).toEqual([{ sweepId: first.sweepId, accounts: IDS.slice(cut) }])
        expect(await h.store.sweeps.get(first.sweepId)).toMatchObject({
          status: 'running',
          cursor: IDS.slice(cut),
        })
        const next = handedOn[0] ?? { sweepId: '', accounts: [] }
        const [a, b] = await Promise.all([
          runSweep(
            deps(() => 600_000),
            config,
            { kind: 'continuation', ...next },
          ),
          runSweep(
            deps(() => 600_000),
            config,
            { kind: 'continuation', ...next },
          ),
        ])
        expect(a.accounts.length + b.accounts.length).toBe(IDS.length - cut)
        expect([a.status, b.status]).toContain('completed')
      }
      expect(sweepsPerAccount()).toEqual(IDS.map(() => 1))
      const summary = await h.store.sweeps.get(first.sweepId)
      if (summary?.status !== 'completed') throw new Error(`sweep ${first.sweepId} is not completed`)
      expect(summary.accountsSwept).toBe(IDS.length)
      expect(Object.values(summary.counts).reduce((a, b) => a + b, 0)).toBe(2 * IDS.length)
      expect(summary.finishedAt).toBeDefined()
    })
  }

  it('a retried scheduled delivery resumes the same sweep instead of starting another', async () => {
    h.emulator.resetCounts()
    const request = {
      kind: 'new' as const,
      mode: 'plan' as const,
      trigger: 'schedule',
      sweepId: 'sched-20261125T060000Z-abcdef12',
    }
    const first = await runSweep(h.deps(), config, request)
    const retry = await runSweep(h.deps(), config, request)
    expect(first.status).toBe('completed')
    expect(retry.accounts).toEqual([])
    expect(sweepsPerAccount()).toEqual(IDS.map(() => 1))
  })

  it('takes over an account whose claim expired without an outcome (the invocation died)', async () => {
    const sweepId = 'died-mid-account'
    const start = new Date()
    await h.store.sweeps.start({
      sweepId,
      mode: 'plan',
      trigger: 'test',
      startedAt: start.toISOString(),
      status: 'running',
      accounts: [IDS[0] ?? ''],
      invocations: 1,
    })
    expect(await h.store.sweeps.claimAccount(sweepId, IDS[0] ?? '', start, config.accountLeaseMs)).toBe(true)
    const soon = await runSweep(h.deps(), config, { kind: 'continuation', sweepId, accounts: [IDS[0] ?? ''] })
    expect(soon.accounts).toEqual([]) // the lease still holds
    const later = new Date(start.getTime() + config.accountLeaseMs + 1)
    const after = await runSweep(h.deps({ now: () => later }), config, {
      kind: 'continuation',
      sweepId,
      accounts: [IDS[0] ?? ''],
    })
    expect(after.accounts.map((a) => a.accountId)).toEqual([IDS[0]])
    expect(after.status).toBe('completed')
  })

  it('refuses a continuation naming an account outside its sweep, and sweeps nothing', async () => {
    const sweepId = `forged-${Date.now()}`
    await h.store.sweeps.start({
      sweepId,
      mode: 'enforce',
      trigger: 'test',
      startedAt: new Date().toISOString(),
      status: 'running',
      accounts: [IDS[0] ?? ''],
      invocations: 1,
    })
    const before = h.emulator.count({ action: 'GetAccountAuthorizationDetails' })
    await expect(
      runSweep(h.deps(), config, { kind: 'continuation', sweepId, accounts: [IDS[1] ?? ''] }),
    ).rejects.toThrow(/continuation.accounts: 300000000002 are not accounts of sweep/)
    expect(h.emulator.count({ action: 'GetAccountAuthorizationDetails' })).toBe(before)
    expect(
      h.logs.lines().filter((l) => l.event === 'alert.forged-continuation' && l.sweepId === sweepId),
    ).toHaveLength(1)
  })

  it('does nothing for a continuation of a finished sweep (a late retry or a replay)', async () => {
    const done = await runSweep(h.deps(), config, {
      kind: 'new',
      mode: 'plan',
      trigger: 'test',
      accounts: [IDS[2] ?? ''],
    })
    expect(done.status).toBe('completed')
    const before = h.emulator.count({ action: 'GetAccountAuthorizationDetails' })
    const replay = await runSweep(h.deps(), config, {
      kind: 'continuation',
      sweepId: done.sweepId,
      accounts: [IDS[2] ?? ''],
    })
    expect(replay.accounts).toEqual([])
    expect(h.emulator.count({ action: 'GetAccountAuthorizationDetails' })).toBe(before)
  })
})
