import { describe, expect, it } from 'vitest'
import { statusAccount } from '../support/fixtures.js'
import { MemoryStateStore } from '../support/memory-store.js'
import { startOrgHarness } from '../support/org-harness.js'
import { sweepIntent, sweepOneAccount } from '../support/pipeline.js'

const THROTTLED = '333333333333'
const h = await startOrgHarness(
  { accounts: [statusAccount(THROTTLED)] },
  { rateLimitPerSecond: 40, accessAdvisorLatencyMs: 30 },
)
const { emulator } = h

describe('throttling', () => {
  it('is retried and the run still converges', async () => {
    for (const action of [
      'GenerateServiceLastAccessedDetails',
      'CreatePolicy',
      'AttachUserPolicy',
      'GetAccountSummary',
    ]) {
      emulator.injectFault({ action, times: 2, code: 'Throttling', message: 'Rate exceeded' })
    }
    const store = new MemoryStateStore()
    const config = { userConcurrency: 8, iamRequestsPerSecond: 10_000 }
    const first = await sweepOneAccount(h, THROTTLED, { intent: sweepIntent('enforce'), store, config })
    expect(
      emulator.count({ account: THROTTLED }) - emulator.requests.filter((r) => r.status === 200).length,
    ).toBeGreaterThan(0)
    const statuses = Object.fromEntries(first.decisions.map((d) => [d.userName, d.status]))
    expect(statuses).toMatchObject({
      bob: 'enforced',
      alice: 'enforced',
      frank: 'error',
      quinn: 'quota-blocked',
    })

    emulator.resetCounts()
    const second = await sweepOneAccount(h, THROTTLED, { intent: sweepIntent('enforce'), store, config })
    expect(second.decisions.filter((d) => d.status === 'enforced')).toEqual([])
    expect(emulator.count({ writes: true })).toBe(0)
  })
})
