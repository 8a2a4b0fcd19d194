import { describe, expect, it } from 'vitest'
import type { Continuation } from '../../shared/app/org-sweep.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import type { AccountSeed } from '../emulator/seed.js'
import { budget } from '../support/budget.js'
import { startOrgHarness } from '../support/org-harness.js'

const account = (id: string): AccountSeed => ({
  id,
  users: Array.from({ length: 12 }, (_, i) => ({
    name: `user${i}`,
    policies: ['aws:AmazonS3FullAccess'],
    lastUsedDaysAgo: { s3: 1 },
  })),
})
const IDS = ['600000000001', '600000000002']
// Jobs take 600 ms; with a 10 ms first step, a sweep that knows nothing polls several times per job,
// even on a machine loaded enough to stretch a 10 ms timer past 300 ms (seen under CPU steal on 2 cores).
const h = await startOrgHarness({ accounts: IDS.map(account) }, { accessAdvisorLatencyMs: 600 })
const config = h.config({ accessAdvisor: { initialDelayMs: 10, maxDelayMs: 800, timeoutMs: 10_000 } })
const reads = () => h.emulator.count({ action: 'GetServiceLastAccessedDetails' })

describe('Access Advisor polling learns job durations', () => {
  it('records the durations it saw in the sweep record, and the next sweep reads each job about once', async () => {
    const first = await runSweep(h.deps(), config, { kind: 'new', mode: 'plan', trigger: 'test' })
    const firstReads = reads()
    // The first jobs poll blind (10, 20, 30, 40, 60... ms) until one has told its duration: they are read
    // more than once (how many depends on how the jobs interleave, which load shifts).
    expect(firstReads).toBeGreaterThan(24)
    const recorded = (await h.store.sweeps.get(first.sweepId))?.jobDurationsMs ?? []
    expect(recorded.length).toBeGreaterThan(0)
    expect(Math.min(...recorded)).toBeGreaterThanOrEqual(590)

    h.emulator.resetCounts()
    // Every report read again (`--full`): the stored ones would spare the reads this test measures.
    await runSweep(h.deps(), config, { kind: 'new', mode: 'plan', trigger: 'test', fullReads: true })
    expect(reads()).toBeLessThanOrEqual(Math.ceil(24 * 1.3))
  })

  it('a continuation starts from the durations its first invocation saw', async () => {
    // Time runs short once the first account is done: its jobs were read, the second account's not.
    const handedOn: Continuation[] = []
    const first = await runSweep(
      h.deps({
        ...budget(1),
        continueWith: async (next) => void handedOn.push(next),
      }),
      h.config({
        accountConcurrency: 1,
        continuationThresholdMs: 60_000,
        accessAdvisor: config.accessAdvisor,
      }),
      { kind: 'new', mode: 'plan', trigger: 'test', fullReads: true },
    )
    expect(first.status).toBe('continued')
    expect((await h.store.sweeps.get(first.sweepId))?.jobDurationsMs?.length).toBeGreaterThan(0)
  })
})
