import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { SessionOptions } from '../../hub/runtime.js'
import { holdLock } from '../../shared/app/account-lock.js'
import { type Continuation, runSweep, type SweepDeps, type SweepReport } from '../../shared/app/org-sweep.js'
import { detectStalled } from '../../shared/app/sweep-close.js'
import { createIamClient } from '../../shared/aws/clients.js'
import type { SlackMessage } from '../../shared/domain/slack-message.js'
import type { UserSeed } from '../emulator/seed.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const noWait = async () => undefined

/** Users who used S3 yesterday, and `idle` who never did (each gets a deny). */
function users(count: number, idle: number): UserSeed[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `u${String(i).padStart(5, '0')}`,
    createdDaysAgo: 200,
    policies: ['aws:AmazonS3FullAccess'],
    ...(i < idle ? {} : { lastUsedDaysAgo: { s3: 1, 's3-object-lambda': 1 } }),
  }))
}

/**
 * Runs a sweep as Lambda would: each invocation has time until `budget` says it is short, and its
 * continuation is the next invocation. Returns every invocation's report.
 */
async function chain(
  deps: (remainingMs: () => number) => Partial<SweepDeps>,
  budget: () => () => number,
  request: Parameters<typeof runSweep>[2],
  config = h.config({ continuationThresholdMs: 60_000 }),
): Promise<SweepReport[]> {
  const reports: SweepReport[] = []
  let next: Continuation | undefined
  let current = request
  for (let i = 0; i < 40; i++) {
    const remainingMs = budget()
    const report = await runSweep(
      h.deps({
        ...deps(remainingMs),
        remainingMs,
        continueWith: async (c) => {
          next = c
        },
      }),
      config,
      current,
    )
    reports.push(report)
    if (report.status !== 'continued' || !next) return reports
    current = { kind: 'continuation', ...next }
    next = undefined
  }
  throw new Error('the sweep never finished')
}

describe('sweeps that never stall silently', () => {
  it('sweeps a 5,000-user account across invocations of a short budget, reading each user once', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: users(5_000, 200) })
    // Counted as the requests come, not by scanning them all at each look: the budget is asked often.
    let seen = 0
    let generated = 0
    const reads = () => {
      const requests = h.emulator.requests
      for (; seen < requests.length; seen++) {
        const r = requests[seen]
        if (r?.action === 'GenerateServiceLastAccessedDetails' && r.account === id) generated++
      }
      return generated
    }
    const before = reads()
    // Each invocation may start about 1,200 reports before time is short.
    const budget = () => {
      const start = reads()
      return () => (reads() - start < 1_200 ? 600_000 : 30_000)
    }
    // Service level: the subject is the budget, and 5,000 reports of every S3 action cost a minute here
    // (`npm run bench` measures action-level reads).
    const reports = await chain(
      () => ({ sleep: noWait }),
      budget,
      { kind: 'new', mode: 'enforce', trigger: 'test', accounts: [id] },
      h.config({ continuationThresholdMs: 60_000, actionLevel: 'off' }),
    )
    expect(reports.length).toBeGreaterThanOrEqual(5)
    expect(reports.slice(0, -1).every((r) => r.status === 'continued' && r.accounts.length === 0)).toBe(true)
    const last = must(reports.at(-1), 'last report')
    expect(last.status).toBe('completed')
    expect(reads() - before).toBe(5_000)
    expect(last.summary).toMatchObject({ accountsSwept: 1, invocations: reports.length })
    expect(last.accounts[0]).toMatchObject({ users: 5_000, counts: { enforced: 200, unchanged: 4_800 } })
    expect(h.emulator.count({ action: 'AttachUserPolicy', account: id })).toBe(200)
  }, 240_000)

  it('carries an account on at a user boundary when time runs short while writing', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: users(30, 30) })
    const writes = () => h.emulator.count({ writes: true, account: id })
    const budget = () => {
      const start = writes()
      return () => (writes() - start < 20 ? 600_000 : 30_000)
    }
    const reports = await chain(() => ({ sleep: noWait }), budget, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      accounts: [id],
      confirmLargeChange: true,
    })
    expect(reports.length).toBeGreaterThan(1)
    expect(h.emulator.count({ action: 'GenerateServiceLastAccessedDetails', account: id })).toBe(30)
    expect(h.emulator.count({ action: 'CreatePolicy', account: id })).toBe(30)
    const last = must(reports.at(-1), 'last report')
    // The outcome counts every user once, whichever invocation decided it.
    expect(last.accounts[0]).toMatchObject({ users: 30, writes: 60, counts: { enforced: 30 } })
    const [row] = await h.store.sweeps.accounts(last.sweepId)
    expect(row?.notable?.totals.restricted).toBe(30)
  })

  it('takes over an account whose invocation was killed mid-account, once its lease lapses', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: users(6, 6) })
    const t0 = Date.now()
    let frozen = false
    // The first invocation freezes for good after a few IAM calls, as a killed one does.
    const killedDeps: Partial<SweepDeps> & SessionOptions = {
      now: () => new Date(t0),
      sleep: async () => undefined,
      iamClient: (credentials) => {
        const iam = createIamClient({ credentials, maxAttempts: 1 })
        let calls = 0
        iam.middlewareStack.add(
          (next) => async (args) => {
            if (++calls > 4) {
              frozen = true
              return new Promise<never>(() => undefined)
            }
            return next(args)
          },
          { step: 'initialize', name: 'killedHere' },
        )
        return iam
      },
    }
    const config = h.config()
    const request = {
      kind: 'new' as const,
      mode: 'enforce' as const,
      trigger: 'test',
      sweepId: `killed-${id}`,
      accounts: [id],
    }
    void runSweep(h.deps(killedDeps), config, request)
    await expect.poll(() => frozen).toBe(true)

    // Lambda's retry of the same event, a minute later: it waits for the dead holder's lease, then sweeps.
    let clock = t0 + 60_000
    const retry = await runSweep(
      h.deps({
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms
        },
      }),
      config,
      request,
    )
    expect(retry.status).toBe('completed')
    expect(retry.accounts).toEqual([expect.objectContaining({ accountId: id, outcome: 'swept', users: 6 })])
    expect(h.logs.lines().some((l) => l.event === 'sweep.waiting' && l.sweepId === request.sweepId)).toBe(
      true,
    )
  })

  it('marks a sweep no invocation carries on as stalled, alerts, tells Slack and shows it in the audit', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: users(2, 0) })
    const t0 = Date.now()
    const config = h.config()
    // An invocation that hands on, and a continuation that never comes (its invocations all died).
    const handedOn = await runSweep(
      h.deps({ remainingMs: () => 1_000, continueWith: async () => undefined, now: () => new Date(t0) }),
      config,
      { kind: 'new', mode: 'plan', trigger: 'test', accounts: [id] },
    )
    expect(handedOn.status).toBe('continued')
    const posted: SlackMessage[] = []
    const later = new Date(t0 + 6 * config.accountLeaseMs)
    const stalled = await detectStalled(
      {
        store: h.store,
        log: h.logs.log,
        now: () => later,
        notifier: { post: async (m) => void posted.push(m) },
      },
      config,
    )
    expect(stalled.map((s) => s.sweepId)).toContain(handedOn.sweepId)
    expect(await h.store.sweeps.get(handedOn.sweepId)).toMatchObject({ status: 'stalled' })
    expect(
      h.logs.lines().filter((l) => l.event === 'alert.sweep-stalled' && l.sweepId === handedOn.sweepId),
    ).toHaveLength(1)
    expect(posted.map((m) => m.text).join()).toContain(
      `Sweep ${handedOn.sweepId} stalled with 1 account(s) left`,
    )
    // A late continuation does nothing.
    const late = await runSweep(h.deps(), config, { kind: 'continuation', sweepId: handedOn.sweepId, hop: 1 })
    expect(late).toMatchObject({ status: 'stalled', accounts: [] })
  })

  it('stops a sweep at MAX_INVOCATIONS with an alert instead of chaining for ever', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: users(2, 0) })
    const config = h.config({ maxInvocations: 3 })
    // Invocations that never get anywhere (time is always short), each handing on to the next.
    const shortOfTime = h.deps({ remainingMs: () => 1_000, continueWith: async () => undefined })
    const first = await runSweep(shortOfTime, config, {
      kind: 'new',
      mode: 'plan',
      trigger: 'test',
      accounts: [id],
    })
    // A forged hop count changes nothing: the cap counts the sweep's own invocations.
    const forged = await runSweep(shortOfTime, config, {
      kind: 'continuation',
      sweepId: first.sweepId,
      hop: 999,
    })
    expect(forged.status).toBe('continued')
    const statuses: string[] = []
    for (let hop = 2; hop <= 4; hop++) {
      statuses.push(
        (await runSweep(shortOfTime, config, { kind: 'continuation', sweepId: first.sweepId, hop })).status,
      )
    }
    expect(statuses).toEqual(['continued', 'stalled', 'stalled'])
    const capped = { status: statuses[1] }
    expect(capped.status).toBe('stalled')
    expect(await h.store.sweeps.get(first.sweepId)).toMatchObject({
      status: 'stalled',
      reason: 'it reached MAX_INVOCATIONS (3)',
    })
    expect(h.logs.lines().some((l) => l.event === 'alert.sweep-stalled' && l.sweepId === first.sweepId)).toBe(
      true,
    )
  })
})

describe('the account lock', () => {
  it("tells a holder whose lease was taken over, which stops; its release leaves the new holder's lock", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const accountId = freshAccountId()
    const t0 = Date.now()
    let resume: () => void = () => undefined
    const frozen = new Promise<void>((r) => {
      resume = r
    })
    let sawLost: boolean | undefined
    const holding = holdLock(
      h.store.locks,
      { accountId, holder: 'frozen', now: () => new Date(t0), leaseMs: 60_000 },
      async (lost) => {
        await frozen // a Lambda environment frozen past its lease
        sawLost = lost()
      },
    )
    const holder = () => h.store.locks.holderOf(accountId)
    await expect.poll(holder).toBe('frozen')
    // The lease lapsed: another writer takes the account over; then the frozen holder's renewal fires.
    expect(await h.store.locks.acquire(accountId, 'other', new Date(t0 + 61_000), 60_000)).toEqual({
      acquired: true,
    })
    vi.advanceTimersByTime(20_000)
    await new Promise((r) => setTimeout(r, 300))
    resume()
    await holding
    expect(sawLost).toBe(true)
    expect(await holder()).toBe('other')
  })
})
