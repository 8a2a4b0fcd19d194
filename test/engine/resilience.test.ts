import { describe, expect, it } from 'vitest'
import { sweepAccount } from '../../shared/engine/sweep-account.js'
import { statusAccount, testConfig } from '../support/fixtures.js'
import { memoryLogger, startHarness } from '../support/harness.js'

const THROTTLED = '333333333333'
const { emulator, iamFor } = await startHarness(
  { accounts: [statusAccount(THROTTLED)] },
  { rateLimitPerSecond: 40, accessAdvisorLatencyMs: 30 },
)

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
    const deps = { iam: iamFor(THROTTLED), log: memoryLogger().log, now: new Date() }
    const config = testConfig({ mode: 'enforce', userConcurrency: 8 })
    const first = await sweepAccount(deps, THROTTLED, config, { confirmLargeChange: true })
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
    const second = await sweepAccount(deps, THROTTLED, config, { confirmLargeChange: true })
    expect(second.decisions.filter((d) => d.status === 'enforced')).toEqual([])
    expect(emulator.count({ writes: true })).toBe(0)
  })
})
