import { describe, expect, it } from 'vitest'
import { statusAccount } from '../support/fixtures.js'
import { MemoryStateStore } from '../support/memory-store.js'
import { startOrgHarness } from '../support/org-harness.js'
import { sweepIntent, sweepOneAccount } from '../support/pipeline.js'

// An emulator of its own: the option applies to every account it serves.
const HIDDEN = '444444444444'
const h = await startOrgHarness({ accounts: [statusAccount(HIDDEN)] }, { hideDeniedServices: true })

describe('Access Advisor leaving out explicitly denied services', () => {
  it('keeps denying them: no flapping between sweeps', async () => {
    const store = new MemoryStateStore()
    const first = await sweepOneAccount(h, HIDDEN, { intent: sweepIntent('enforce'), store })
    const bob = first.byUser.bob
    expect(bob?.status).toBe('enforced')

    h.emulator.resetCounts()
    const second = await sweepOneAccount(h, HIDDEN, { intent: sweepIntent('enforce'), store })
    expect(h.emulator.count({ writes: true })).toBe(0)
    expect(second.byUser.bob).toMatchObject({ status: 'unchanged', denied: bob?.denied })
  })
})
