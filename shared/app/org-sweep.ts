/**
 * The org-wide sweep: the ledger of one sweep across invocations. It begins (or resumes) a sweep, runs
 * every target account not done yet through the account pipeline, hands the rest to a fresh invocation
 * when time is short, and closes the sweep once every account is done. The accounts left are always
 * "every target not done yet", read from the ledger, so nothing a dead invocation held is ever lost.
 */
import { randomBytes } from 'node:crypto'
import pLimit from 'p-limit'
import { realSleep, type Sleep } from '../aws/access-advisor.js'
import type { HubConfig } from '../config.js'
import type { Mode } from '../domain/decision.js'
import type { SweepIntent } from '../domain/plan/intent.js'
import { JobDurations } from '../domain/poll-schedule.js'
import type { AccountOutcome, CompletedSweep, SweepSummary } from '../domain/records.js'
import { LeastPrivilegeError, UnexpectedReplyError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Notifier, Organization, Spokes, StateStore } from '../ports.js'
import { type AccountRun, runAccount } from './account-pipeline.js'
import type { UserProgress } from './account-run.js'
import { beginSweep, resume } from './sweep-begin.js'
import { asSeen, finishSweep, previousDurations, stall } from './sweep-close.js'

export interface SweepDeps {
  organization: Organization
  spokes: Spokes
  store: StateStore
  log: Logger
  now: () => Date
  /** Time left in this invocation; Infinity outside Lambda. */
  remainingMs: () => number
  /** True once the operator stopped the run (Ctrl-C): time is then short, and the sweep ends stalled. */
  interrupted?: () => boolean
  /** Hands the rest of the sweep to a fresh invocation (Lambda only). */
  continueWith?: (next: Continuation) => Promise<void>
  /** Posts the sweep's digest (Slack); absent when no webhook is configured. */
  notifier?: Notifier
  /** Publishes a completed sweep's figures (CloudWatch metrics, in Lambda). */
  publishMetrics?: (summary: CompletedSweep) => Promise<void>
  /** Told as the sweep goes: the CLI's progress bar. */
  progress?: SweepProgress
  sleep?: Sleep
  /**
   * The most a sweep may do here: the hub's configured mode. Under `plan` an enforce sweep is not
   * carried on (one begun before the switch, or a forged continuation), it is stalled with the reason.
   */
  modeCeiling?: Mode
}

/** How far a sweep has gone, told as it goes: accounts, and within each account its users. */
export interface SweepProgress extends UserProgress {
  /** The accounts this invocation sweeps are known. */
  started(accounts: number): void
  accountDone(outcome: AccountOutcome): void
}

/** What a continuation carries: the sweep, and how many invocations came before it. */
export interface Continuation {
  sweepId: string
  hop: number
}

export type SweepRequest =
  /** A new sweep; `sweepId` is given when the trigger has a stable id (a retried delivery resumes it). */
  | {
      kind: 'new'
      mode: Mode
      trigger: string
      /** The operator who asked, as AWS authenticated them. */
      requestedBy?: string
      accounts?: string[]
      sweepId?: string
      confirmLargeChange?: boolean
      fullReads?: boolean
    }
  | ({ kind: 'continuation' } & Continuation)

export interface SweepReport {
  sweepId: string
  mode: Mode
  /**
   * completed: this invocation finished the sweep; continued: handed on; in-progress: another live
   * invocation holds the accounts left; stalled: the sweep was given up (see `audit sweeps`).
   */
  status: 'completed' | 'continued' | 'in-progress' | 'stalled'
  /** Accounts this invocation swept. */
  accounts: AccountOutcome[]
  /** Accounts left for the next invocation, when handed on. */
  deferred: number
  summary?: CompletedSweep
  /** What happened to the digest: sent, failed (logged as alert.digest-failed) or none configured. */
  digest?: 'sent' | 'failed' | 'none'
}

export async function runSweep(
  deps: SweepDeps,
  config: HubConfig,
  request: SweepRequest,
): Promise<SweepReport> {
  const sweep = request.kind === 'new' ? await beginSweep(deps, config, request) : await resume(deps, request)
  const hop = request.kind === 'continuation' ? request.hop : 0
  const log = deps.log.child({ sweepId: sweep.sweepId })
  const report = (status: SweepReport['status'], accounts: AccountOutcome[] = [], deferred = 0) => ({
    sweepId: sweep.sweepId,
    mode: sweep.mode,
    status,
    accounts,
    deferred,
  })
  if (sweep.status !== 'running') {
    log.warn(
      { event: 'sweep.late-continuation', status: sweep.status },
      `the sweep is ${sweep.status}; nothing to do`,
    )
    return report(sweep.status === 'completed' ? 'completed' : 'stalled')
  }
  const targets = await targetsOf(deps, sweep, log)
  if (!targets) return report('stalled')
  const why = notToCarryOn(deps, config, { sweep, request })
  if (why) {
    const left = targets.length - (await deps.store.sweeps.accounts(sweep.sweepId)).length
    await stall(deps, sweep, why, left, log)
    return report('stalled')
  }
  log.info({ event: 'sweep.invocation', mode: sweep.mode, hop, accounts: targets.length }, 'sweeping')
  deps.progress?.started(targets.length)
  const { left, outcomes, durations } = await invocation(deps, config, { sweep, targets, log, beat: hop > 0 })
  if (left.length > 0 && timeShort(deps, config)) {
    // Stopped by the operator: the accounts in flight stopped at a user boundary and gave their locks
    // back; the sweep ends here, stalled with why, for the next to cover every account again.
    if (deps.interrupted?.()) {
      await stall(deps, sweep, 'interrupted by the operator', left.length, log)
      return report('stalled', outcomes, left.length)
    }
    if (!deps.continueWith)
      throw new LeastPrivilegeError('time budget ran out and this runner cannot continue')
    await deps.store.sweeps.recordDurations(sweep.sweepId, durations.snapshot())
    await deps.store.sweeps.heartbeat(sweep.sweepId, deps.now(), true)
    await deps.continueWith({ sweepId: sweep.sweepId, hop: hop + 1 })
    log.info(
      { event: 'sweep.continued', left: left.length, hop: hop + 1 },
      'handed the rest to a new invocation',
    )
    return report('continued', outcomes, left.length)
  }
  const closing = { ...sweep, jobDurationsMs: durations.snapshot() }
  const finished = await finishSweep(deps, { sweep: closing, targets, log, noticeDays: config.noticeDays })
  return {
    ...report(finished ? 'completed' : 'in-progress', outcomes),
    ...(finished ? { summary: finished.summary } : {}),
    ...(finished?.digest ? { digest: finished.digest } : {}),
  }
}

/** Why this invocation does not carry a running sweep on, if it does not: each ends the sweep, stalled. */
function notToCarryOn(
  deps: SweepDeps,
  config: HubConfig,
  { sweep, request }: { sweep: SweepSummary; request: SweepRequest },
): string | undefined {
  // A continuation of a sweep nobody carried on for a while is a late one, or a forged one: a stale
  // sweep (a confirmed enforce of days ago) is never run against today's state.
  const seen = asSeen(sweep, deps.now(), config)
  if (request.kind === 'continuation' && seen.status === 'stalled') return seen.reason
  if (sweep.mode === 'enforce' && deps.modeCeiling === 'plan')
    return 'SWEEP_MODE is plan: an enforce sweep is not carried on'
  // The sweep's own count, not the event's: a forged hop can neither stop a sweep nor lift its cap.
  if (sweep.invocations > config.maxInvocations)
    return `it reached MAX_INVOCATIONS (${config.maxInvocations})`
  return undefined
}

/**
 * The accounts the sweep chose. A record of them that cannot be read is the sweep's end, stalled with the
 * reason, rather than every later invocation's failure: the next sweep starts afresh.
 */
async function targetsOf(deps: SweepDeps, sweep: SweepSummary, log: Logger): Promise<string[] | undefined> {
  try {
    return await deps.store.sweeps.targets(sweep.sweepId)
  } catch (error) {
    if (!(error instanceof UnexpectedReplyError)) throw error
    await stall(deps, sweep, `its target accounts cannot be read: ${error.message}`, sweep.accountCount, log)
    return undefined
  }
}

const timeShort = (deps: SweepDeps, config: HubConfig) => deps.remainingMs() < config.continuationThresholdMs

/** This invocation's share of the sweep, with a heartbeat on the sweep while it works. */
async function invocation(
  deps: SweepDeps,
  config: HubConfig,
  run: { sweep: SweepSummary; targets: readonly string[]; log: Logger; beat: boolean },
) {
  const { sweep } = run
  const durations = new JobDurations(sweep.jobDurationsMs ?? (await previousDurations(deps.store)))
  const outcomes: AccountOutcome[] = []
  if (run.beat) await deps.store.sweeps.heartbeat(sweep.sweepId, deps.now())
  const heartbeat = setInterval(() => {
    deps.store.sweeps.heartbeat(sweep.sweepId, deps.now()).catch(() => undefined) // the next beat tries again
  }, config.accountLeaseMs / 3)
  heartbeat.unref() // a frozen invocation's timers must not keep anything alive
  try {
    const left = await sweepPending(deps, config, { ...run, durations }, (outcome) => {
      outcomes.push(outcome)
      deps.progress?.accountDone(outcome)
    })
    return { left, outcomes, durations }
  } finally {
    clearInterval(heartbeat)
  }
}

/**
 * Sweeps every target account not done yet, until none is left or time is short; returns the accounts
 * still left. An account another invocation of this sweep holds is waited for once, until its lock's
 * lease lapses: a lease that was renewed meanwhile means its holder is alive and will finish it; one that
 * lapsed means its holder died, and the account is swept here.
 */
async function sweepPending(
  deps: SweepDeps,
  config: HubConfig,
  run: { sweep: SweepSummary; targets: readonly string[]; log: Logger; durations: JobDurations },
  onDone: (outcome: AccountOutcome) => void,
): Promise<string[]> {
  const { sweep, targets } = run
  const limit = pLimit(config.accountConcurrency)
  const intent = intentOf(sweep)
  const pipeline = {
    spokes: deps.spokes,
    store: deps.store,
    log: run.log,
    now: deps.now,
    timeShort: () => timeShort(deps, config),
    durations: run.durations,
    ...(deps.progress ? { progress: deps.progress } : {}),
  }
  for (let waited = false; ; waited = true) {
    const done = new Set((await deps.store.sweeps.accounts(sweep.sweepId)).map((r) => r.accountId))
    const busyUntil: number[] = []
    await settleAll(
      targets
        .filter((a) => !done.has(a))
        .map((accountId) =>
          limit(async () => {
            if (timeShort(deps, config)) return
            const ran = await runAccount(pipeline, config, accountId, intent)
            const result = await sweptAccount(deps, intent, accountId, ran, run.log.child({ accountId }))
            if (result.kind === 'busy') busyUntil.push(result.until)
            // The digest's lists live in the table; the report keeps only the counts, so memory and the
            // Lambda's response stay flat in the number of accounts.
            if (result.kind === 'done') onDone(slim(result.outcome))
          }),
        ),
    )
    const finished = new Set((await deps.store.sweeps.accounts(sweep.sweepId)).map((r) => r.accountId))
    const left = targets.filter((a) => !finished.has(a))
    if (left.length === 0 || timeShort(deps, config) || busyUntil.length === 0 || waited) return left
    const waitMs = Math.max(...busyUntil) - deps.now().getTime() + 1_000
    if (deps.remainingMs() - waitMs < config.continuationThresholdMs) return left
    run.log.info(
      { event: 'sweep.waiting', accounts: busyUntil.length, waitMs },
      'another invocation holds accounts; waiting for its leases',
    )
    await (deps.sleep ?? realSleep)(Math.max(0, waitMs))
  }
}

function slim(outcome: AccountOutcome): AccountOutcome {
  const { notable: _lists, ...rest } = outcome
  return rest
}

function intentOf(sweep: SweepSummary): SweepIntent {
  return {
    kind: 'sweep',
    mode: sweep.mode,
    sweepId: sweep.sweepId,
    startedAt: sweep.startedAt,
    // This invocation's locks, told apart from another invocation's of the same sweep.
    holder: `${sweep.sweepId}#${randomBytes(4).toString('hex')}`,
    confirmLargeChange: sweep.confirmLargeChange === true,
    fullReads: sweep.fullReads === true,
    ...(sweep.keyDeletionEpoch ? { keyDeletionEpoch: sweep.keyDeletionEpoch } : {}),
  }
}

type SweptAccount =
  | { kind: 'done'; outcome: AccountOutcome }
  | { kind: 'busy'; until: number }
  | { kind: 'left' }

/**
 * What the ledger makes of an account's run. Held by another invocation of this sweep, it is busy (and
 * waited for); held or taken over by another writer, it is this sweep's failure, recorded so that the
 * sweep can end; its next sweep takes it again.
 */
async function sweptAccount(
  deps: SweepDeps,
  intent: SweepIntent,
  accountId: string,
  run: AccountRun,
  log: Logger,
): Promise<SweptAccount> {
  const failed = (reason: string) => failedWithoutLock(deps, intent, accountId, reason)
  const ours = (holder: string | undefined) => holder?.startsWith(`${intent.sweepId}#`) === true
  switch (run.kind) {
    case 'done':
      return { kind: 'done', outcome: run.outcome }
    case 'busy': {
      if (ours(run.heldBy)) return { kind: 'busy', until: Date.parse(run.until) }
      const reason = `another writer holds the account: ${run.heldBy}, until ${run.until}`
      log.error({ event: 'alert.account-locked', holder: run.heldBy, until: run.until }, reason)
      return failed(reason)
    }
    case 'lost': {
      // Taken by another invocation of this sweep, which finishes the account; taken by another writer,
      // the account is this sweep's failure.
      if (ours(await deps.store.locks.holderOf(accountId))) return { kind: 'left' }
      return failed('another writer took the account over while this sweep was at work')
    }
    default:
      return { kind: 'left' }
  }
}

/**
 * An account another writer holds is this sweep's failure. Written without the lock, so only if no
 * invocation of this sweep recorded the account meanwhile.
 */
async function failedWithoutLock(
  deps: SweepDeps,
  intent: SweepIntent,
  accountId: string,
  reason: string,
): Promise<SweptAccount> {
  // What earlier invocations did there stays in the outcome (a read: no lock needed).
  const earlier = await deps.store.sweeps.progress(intent.sweepId, accountId)
  const outcome: AccountOutcome = {
    accountId,
    outcome: 'failed',
    reason,
    users: earlier?.userIds.length ?? 0,
    counts: earlier?.counts ?? {},
    writes: earlier?.writes ?? 0,
    durationMs: 0,
    ...(earlier ? { notable: earlier.notable } : {}),
  }
  await deps.store.sweeps.completeAccount(intent, outcome, deps.now(), true)
  return { kind: 'done', outcome }
}

/**
 * Waits for every account task, then fails with the first failure: no task is left running behind a
 * returned invocation (Lambda would freeze it, to thaw later with stale plans).
 */
async function settleAll(tasks: readonly Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(tasks)
  const failure = settled.find((s) => s.status === 'rejected')
  if (failure) throw failure.reason
}
