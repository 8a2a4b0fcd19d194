import { describe, expect, it } from 'vitest'
import { createRuntime } from '../../hub/runtime.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { freshAccountId } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'

describe('pacing', () => {
  it("keeps each account's IAM requests under its rate, the first sweep's writes included: nothing throttled", async () => {
    const id = freshAccountId()
    const users = Array.from({ length: 15 }, (_, i) => ({
      name: `dev${i}`,
      createdDaysAgo: 400,
      policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
      lastUsedDaysAgo: { s3: 1 },
    }))
    // The account answers at most 20 requests a second; the sweep is told to send 15.
    const h = await startOrgHarness({ accounts: [{ id, users }] }, { rateLimitPerSecond: 20 }, 'test')
    const config = h.config({ iamRequestsPerSecond: 15 })
    const deps = createRuntime(config, h.logs.log).sweepDeps({
      remainingMs: () => Number.POSITIVE_INFINITY,
      store: h.store,
    })
    const started = Date.now()
    const report = await runSweep(deps, config, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      confirmLargeChange: true,
    })
    const calls = h.emulator.count({ account: id, service: 'iam' })
    expect(report.accounts[0]).toMatchObject({ counts: { enforced: 15 }, iamThrottled: 0 })
    expect(report.summary?.iamThrottled).toBe(0)
    expect(calls).toBeGreaterThan(60)
    // Paced, not bursting: the calls took at least as long as the rate allows (less the first second's).
    expect(Date.now() - started).toBeGreaterThanOrEqual(((calls - 15) / 15) * 1000)
  })
})
