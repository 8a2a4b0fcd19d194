import { describe, expect, it } from 'vitest'
import { type Continuation, runSweep } from '../../shared/app/org-sweep.js'
import { startSweep } from '../../shared/app/sweep-begin.js'
import type { AccountSeed } from '../emulator/seed.js'
import { budget } from '../support/budget.js'
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

const sweepsPerAccount = () =>
  IDS.map((id) => h.emulator.count({ action: 'GetAccountAuthorizationDetails', account: id }))

const noWait = async () => undefined

describe('continuation across invocations', () => {
  for (let cut = 0; cut <= IDS.length; cut++) {
    it(`cut after ${cut} accounts, continuation delivered twice: every account swept exactly once`, async () => {
      h.emulator.resetCounts()
      const handedOn: Continuation[] = []
      const continueWith = async (next: Continuation) => void handedOn.push(next)

      const first = await runSweep(h.deps({ ...budget(cut), continueWith }), config, {
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
        expect(first.deferred).toBe(IDS.length - cut)
        // The event names the sweep only: its size never grows with the organization.
        expect(handedOn).toEqual([{ sweepId: first.sweepId, hop: 1 }])
        expect(await h.store.sweeps.get(first.sweepId)).toMatchObject({ status: 'running', invocations: 2 })
        const next = handedOn[0] ?? { sweepId: '', hop: 1 }
        const [a, b] = await Promise.all([
          runSweep(h.deps({ continueWith, sleep: noWait }), config, { kind: 'continuation', ...next }),
          runSweep(h.deps({ continueWith, sleep: noWait }), config, { kind: 'continuation', ...next }),
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

  it('does nothing for a continuation of a finished sweep (a late retry or a replay)', async () => {
    const done = await runSweep(h.deps(), config, {
      kind: 'new',
      mode: 'plan',
      trigger: 'test',
      accounts: [IDS[2] ?? ''],
    })
    expect(done.status).toBe('completed')
    const before = h.emulator.count({ action: 'GetAccountAuthorizationDetails' })
    const replay = await runSweep(h.deps(), config, { kind: 'continuation', sweepId: done.sweepId, hop: 1 })
    expect(replay.accounts).toEqual([])
    expect(h.emulator.count({ action: 'GetAccountAuthorizationDetails' })).toBe(before)
  })

  it('stalls an enforce sweep handed on after the hub was set to plan: plan is a ceiling', async () => {
    const handedOn: Continuation[] = []
    const continueWith = async (next: Continuation) => void handedOn.push(next)
    const first = await runSweep(h.deps({ ...budget(1), continueWith }), config, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
    })
    expect(first.status).toBe('continued')
    const writes = h.emulator.requests.filter((r) => r.write).length
    const next = handedOn[0] ?? { sweepId: '', hop: 1 }
    const after = await runSweep(h.deps({ continueWith, modeCeiling: 'plan' }), config, {
      kind: 'continuation',
      ...next,
    })
    expect(after).toMatchObject({ status: 'stalled', accounts: [] })
    expect(h.emulator.requests.filter((r) => r.write).length).toBe(writes)
    expect(await h.store.sweeps.get(first.sweepId)).toMatchObject({
      status: 'stalled',
      reason: expect.stringContaining('SWEEP_MODE is plan'),
    })
  })

  it('says a started sweep stalled when it cannot be handed on, rather than leave it running', async () => {
    const continueWith = async () => {
      throw new Error('Lambda refused the invocation')
    }
    await expect(
      startSweep(h.deps({ continueWith }), config, {
        kind: 'new',
        mode: 'plan',
        trigger: 'test',
        sweepId: 'not-handed-on',
      }),
    ).rejects.toThrow(/Lambda refused/)
    expect(await h.store.sweeps.get('not-handed-on')).toMatchObject({
      status: 'stalled',
      reason: expect.stringContaining('could not be handed on'),
    })
  })
})
