import { describe, expect, it } from 'vitest'
import { sweepAccount } from '../../shared/engine/sweep-account.js'
import { statusAccount, testConfig } from '../support/fixtures.js'
import { memoryLogger, startHarness } from '../support/harness.js'

// An emulator of its own: the option applies to every account it serves.
const HIDDEN = '444444444444'
const hidden = await startHarness({ accounts: [statusAccount(HIDDEN)] }, { hideDeniedServices: true })

describe('Access Advisor leaving out explicitly denied services', () => {
  it('keeps denying them: no flapping between sweeps', async () => {
    const deps = { iam: hidden.iamFor(HIDDEN), log: memoryLogger().log, now: new Date() }
    const config = testConfig({ mode: 'enforce' })
    const first = await sweepAccount(deps, HIDDEN, config, { confirmLargeChange: true })
    const bob = first.decisions.find((d) => d.userName === 'bob')
    expect(bob?.status).toBe('enforced')

    hidden.emulator.resetCounts()
    const second = await sweepAccount(deps, HIDDEN, config, { confirmLargeChange: true })
    expect(hidden.emulator.count({ writes: true })).toBe(0)
    expect(second.decisions.find((d) => d.userName === 'bob')).toMatchObject({
      status: 'unchanged',
      denied: bob?.denied,
    })
  })
})
