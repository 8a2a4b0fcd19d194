import { randomBytes } from 'node:crypto'
import type { IAMClient } from '@aws-sdk/client-iam'
import type { OrganizationsClient } from '@aws-sdk/client-organizations'
import type { STSClient } from '@aws-sdk/client-sts'
import pLimit from 'p-limit'
import { realSleep, type Sleep } from '../shared/aws/access-advisor.js'
import { awsErrorKind } from '../shared/aws/aws-errors.js'
import type { CallMeter } from '../shared/aws/clients.js'
import { listAccounts } from '../shared/aws/organizations.js'
import { assumeSpokeRole, renewing, type SpokeCredentials } from '../shared/aws/spoke-session.js'
import {
  type AccountSnapshotState,
  BATCH_WRITE_ITEMS,
  priorStateOf,
  type StateStore,
} from '../shared/aws/state-store.js'
import { DECISION_STATUS_NAMES, type UserDecision } from '../shared/domain/decision.js'
import {
  buildDigest,
  mergeNotable,
  notableOf,
  type SlackMessage,
  stalledMessage,
} from '../shared/domain/digest.js'
import { activeExemptions } from '../shared/domain/exemption.js'
import { JobDurations } from '../shared/domain/poll-schedule.js'
import type {
  AccountOutcome,
  AccountProgress,
  AccountState,
  CompletedSweep,
  RunningSweep,
  StalledSweep,
  StatusCounts,
  StoredReport,
  SweepSummary,
} from '../shared/domain/records.js'
import type { IamUser, Mode, ServiceUsage } from '../shared/domain/types.js'
import {
  type AccountResult,
  type PriorUserState,
  readAccountListing,
  sweepAccount,
} from '../shared/engine/sweep-account.js'
import { ConfigError, errorMessage, LeastPrivilegeError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { HubConfig } from './config.js'

export interface SweepDeps {
  organizations: OrganizationsClient
  sts: STSClient
  store: StateStore
  iamFor: (credentials: SpokeCredentials, meter?: CallMeter) => IAMClient
  /** Publishes a completed sweep's figures (CloudWatch metrics, in Lambda). */
  publishMetrics?: (summary: CompletedSweep) => Promise<void>
  log: Logger
  now: () => Date
  /** Time left in this invocation; Infinity outside Lambda. */
  remainingMs: () => number
  /** Hands the rest of the sweep to a fresh invocation (Lambda only). */
  continueWith?: (next: Continuation) => Promise<void>
  /** Posts the sweep's digest (Slack); absent when no webhook is configured. */
  notify?: (message: SlackMessage) => Promise<void>
  /** Called once the accounts to sweep are known, then as each is done (the CLI's progress bar). */
  onSweepStart?: (total: number) => void
  onAccountDone?: (outcome: AccountOutcome, total: number) => void
  sleep?: Sleep
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

export function newSweepId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`
}

/** No sign of life for this many leases means no invocation carries the sweep on (Lambda's retries included). */
export const STALL_AFTER_LEASES = 5

/**
 * The org-wide sweep: the one place that orchestrates accounts. Each account is swept under its lock, so
 * two invocations never sweep one account at once; an account's outcome is recorded once, and one
 * account's failure is its outcome, never the sweep's. An invocation works until its time is short,
 * stops every account at a user boundary, and hands the rest on; the accounts left are always "every
 * target not done yet", read from the ledger, so nothing a dead invocation held is ever lost.
 */
export async function runSweep(
  deps: SweepDeps,
  config: HubConfig,
  request: SweepRequest,
): Promise<SweepReport> {
  const sweep = request.kind === 'new' ? await begin(deps, config, request) : await resume(deps, request)
  const hop = request.kind === 'continuation' ? request.hop : 0
  const log = deps.log.child({ sweepId: sweep.sweepId })
  const report = (
    status: SweepReport['status'],
    accounts: AccountOutcome[] = [],
    deferred = 0,
  ): SweepReport => ({
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
  const targets = await deps.store.sweeps.targets(sweep.sweepId)
  // The sweep's own count, not the event's: a forged hop can neither stop a sweep nor lift its cap.
  if (sweep.invocations > config.maxInvocations) {
    const left = targets.length - (await deps.store.sweeps.accounts(sweep.sweepId)).length
    await stall(deps, sweep, `it reached MAX_INVOCATIONS (${config.maxInvocations})`, left, log)
    return report('stalled')
  }
  log.info({ event: 'sweep.invocation', mode: sweep.mode, hop, accounts: targets.length }, 'sweeping')
  deps.onSweepStart?.(targets.length)

  const stopping = () => deps.remainingMs() < config.continuationThresholdMs
  const jobDurations = new JobDurations(sweep.jobDurationsMs ?? (await previousDurations(deps.store)))
  const outcomes: AccountOutcome[] = []
  if (request.kind === 'continuation') await deps.store.sweeps.heartbeat(sweep.sweepId, deps.now())
  const heartbeat = setInterval(() => {
    deps.store.sweeps.heartbeat(sweep.sweepId, deps.now()).catch(() => undefined) // the next beat tries again
  }, config.accountLeaseMs / 3)
  heartbeat.unref() // a frozen invocation's timers must not keep anything alive
  let left: string[]
  try {
    left = await sweepPending(deps, config, sweep, targets, log, jobDurations, stopping, (outcome) => {
      outcomes.push(outcome)
      deps.onAccountDone?.(outcome, targets.length)
    })
  } finally {
    clearInterval(heartbeat)
  }

  if (left.length > 0 && stopping()) {
    if (!deps.continueWith)
      throw new LeastPrivilegeError('time budget ran out and this runner cannot continue')
    await deps.store.sweeps.recordDurations(sweep.sweepId, jobDurations.snapshot())
    await deps.store.sweeps.heartbeat(sweep.sweepId, deps.now(), true)
    await deps.continueWith({ sweepId: sweep.sweepId, hop: hop + 1 })
    log.info(
      { event: 'sweep.continued', left: left.length, hop: hop + 1 },
      'handed the rest to a new invocation',
    )
    return report('continued', outcomes, left.length)
  }
  const closing = { ...sweep, jobDurationsMs: jobDurations.snapshot() }
  const finished = await finish(deps, closing, targets, log, config.noticeDays)
  return {
    ...report(finished ? 'completed' : 'in-progress', outcomes),
    ...(finished ? { summary: finished.summary } : {}),
    ...(finished?.digest ? { digest: finished.digest } : {}),
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
  sweep: SweepSummary,
  targets: readonly string[],
  log: Logger,
  jobDurations: JobDurations,
  stopping: () => boolean,
  onDone: (outcome: AccountOutcome) => void,
): Promise<string[]> {
  const limit = pLimit(config.accountConcurrency)
  const sleep = deps.sleep ?? realSleep
  // This invocation's locks, told apart from another invocation's of the same sweep.
  const holder = `${sweep.sweepId}#${randomBytes(4).toString('hex')}`
  for (let waited = false; ; waited = true) {
    const done = new Set((await deps.store.sweeps.accounts(sweep.sweepId)).map((r) => r.accountId))
    const pending = targets.filter((a) => !done.has(a))
    const busyUntil: number[] = []
    await settleAll(
      pending.map((accountId) =>
        limit(async () => {
          if (stopping()) return
          const result = await sweepOneAccount(
            deps,
            config,
            sweep,
            log.child({ accountId }),
            accountId,
            jobDurations,
            stopping,
            holder,
          )
          if (result.kind === 'busy') busyUntil.push(result.until)
          if (result.kind !== 'done') return
          // The digest's lists live in the table; the report keeps only the counts, so memory and the
          // Lambda's response stay flat in the number of accounts.
          const { notable: _lists, ...slim } = result.outcome
          onDone(slim)
        }),
      ),
    )
    const finished = new Set((await deps.store.sweeps.accounts(sweep.sweepId)).map((r) => r.accountId))
    const left = targets.filter((a) => !finished.has(a))
    if (left.length === 0 || stopping() || busyUntil.length === 0 || waited) return left
    const waitMs = Math.max(...busyUntil) - deps.now().getTime() + 1_000
    if (deps.remainingMs() - waitMs < config.continuationThresholdMs) return left
    log.info(
      { event: 'sweep.waiting', accounts: busyUntil.length, waitMs },
      'another invocation holds accounts; waiting for its leases',
    )
    await sleep(Math.max(0, waitMs))
  }
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

async function begin(
  deps: SweepDeps,
  config: HubConfig,
  request: Extract<SweepRequest, { kind: 'new' }>,
): Promise<SweepSummary> {
  await detectStalled(deps, config)
  const org = await listAccounts(deps.organizations)
  const active = org
    .filter((a) => a.state === 'ACTIVE' && !config.excludedAccounts.includes(a.id))
    .map((a) => a.id)
  let accounts = active
  if (request.accounts) {
    const unknown = request.accounts.filter((id) => !active.includes(id))
    if (unknown.length > 0) {
      throw new ConfigError(
        `accounts: ${unknown.join(', ')} not an active, non-excluded account of the organization`,
      )
    }
    accounts = [...new Set(request.accounts)]
  }
  accounts.sort()
  const now = deps.now()
  const summary: RunningSweep = {
    sweepId: request.sweepId ?? newSweepId(now),
    mode: request.mode,
    trigger: request.trigger,
    startedAt: now.toISOString(),
    status: 'running',
    accountCount: accounts.length,
    invocations: 1,
    heartbeatAt: now.toISOString(),
    ...(request.confirmLargeChange ? { confirmLargeChange: true } : {}),
    ...(request.fullReads ? { fullReads: true } : {}),
  }
  if (await deps.store.sweeps.start(summary, accounts)) return summary
  // The same trigger delivered twice: carry on with the sweep already recorded.
  return resume(deps, { sweepId: summary.sweepId })
}

/**
 * Running sweeps no invocation has shown life in for STALL_AFTER_LEASES leases are marked stalled and
 * told (log alert, Slack): their invocations died, their retries too, and no one carries them on.
 */
export async function detectStalled(
  deps: Pick<SweepDeps, 'store' | 'now' | 'log' | 'notify'>,
  config: Pick<HubConfig, 'accountLeaseMs'>,
): Promise<StalledSweep[]> {
  const cutoff = deps.now().getTime() - STALL_AFTER_LEASES * config.accountLeaseMs
  const stalled: StalledSweep[] = []
  for (const sweep of await deps.store.sweeps.recent(10)) {
    if (sweep.status !== 'running' || Date.parse(sweep.heartbeatAt ?? sweep.startedAt) >= cutoff) continue
    const left = sweep.accountCount - (await deps.store.sweeps.accounts(sweep.sweepId)).length
    const reason = `no invocation at work since ${sweep.heartbeatAt ?? sweep.startedAt}`
    const marked = await stall(deps, sweep, reason, left, deps.log.child({ sweepId: sweep.sweepId }))
    if (marked) stalled.push(marked)
  }
  return stalled
}

async function stall(
  deps: Pick<SweepDeps, 'store' | 'now' | 'notify'>,
  sweep: SweepSummary,
  reason: string,
  accountsLeft: number,
  log: Logger,
): Promise<StalledSweep | undefined> {
  const summary: StalledSweep = { ...sweep, status: 'stalled', stalledAt: deps.now().toISOString(), reason }
  if (!(await deps.store.sweeps.markStalled(summary))) return undefined
  log.error({ event: 'alert.sweep-stalled', reason, accountsLeft }, `the sweep stalled: ${reason}`)
  try {
    await deps.notify?.(stalledMessage(sweep.sweepId, reason, accountsLeft))
  } catch (error) {
    log.error({ event: 'alert.digest-failed', reason: errorMessage(error) }, 'the stall could not be posted')
  }
  return summary
}

/** The last completed sweep's job durations: today's jobs take about as long as yesterday's. */
async function previousDurations(store: StateStore): Promise<number[]> {
  const recent = await store.sweeps.recent(5)
  return recent.find((s) => s.status === 'completed' && s.jobDurationsMs?.length)?.jobDurationsMs ?? []
}

async function resume(deps: SweepDeps, request: { sweepId: string }): Promise<SweepSummary> {
  const sweep = await deps.store.sweeps.get(request.sweepId)
  if (!sweep) throw new ConfigError(`continuation.sweepId: no sweep ${request.sweepId} in the state table`)
  return sweep
}

type AccountRun =
  | { kind: 'done'; outcome: AccountOutcome }
  /** Another invocation of this sweep holds the account's lock until then (ms). */
  | { kind: 'busy'; until: number }
  /** Time ran out at a user boundary; the account is carried on by the next invocation. */
  | { kind: 'unfinished' }
  /** This invocation's lease lapsed and another writer took the account; nothing more was recorded. */
  | { kind: 'lost' }
  /** Another invocation finished it meanwhile. */
  | { kind: 'skipped' }

/**
 * One account of the sweep, under the account's lock: every writer (sweeps, release, rollback) takes
 * it, so two of them never interleave writes in one account, and its lease, renewed while the work goes
 * on, lapses soon after an invocation dies. An account another writer holds is recorded as failed,
 * naming the holder; its next sweep takes it again.
 */
async function sweepOneAccount(
  deps: SweepDeps,
  config: HubConfig,
  sweep: SweepSummary,
  log: Logger,
  accountId: string,
  jobDurations: JobDurations,
  stopping: () => boolean,
  holder: string,
): Promise<AccountRun> {
  // Asked for before the lock, since a session changes nothing: its round trip overlaps the lock's.
  const spoke = { roleName: config.spokeRoleName, externalId: config.externalId }
  const assume = () => assumeSpokeRole(deps.sts, accountId, spoke, sweep.sweepId)
  const assumed: Promise<Assumed> = assume().then(
    (credentials) => ({ credentials: renewing(credentials, assume) }),
    (error: unknown) => ({ error }),
  )
  const lock = await deps.store.locks.hold(
    accountId,
    holder,
    deps.now,
    config.accountLeaseMs,
    async (lost) => {
      // A lost lock stops the work at the next user boundary, like a short budget, and records nothing.
      const stop = () => stopping() || lost()
      const run = await sweepLockedAccount(
        deps,
        config,
        sweep,
        log,
        accountId,
        assumed,
        jobDurations,
        stop,
        lost,
      )
      if (run.kind === 'skipped') return run
      if (lost()) {
        log.error(
          { event: 'alert.lock-lost', holder },
          'another writer took the account over; this one stopped',
        )
        return { kind: 'lost' } as const
      }
      // Recorded before the lock is given back: whoever takes it next sees the account done.
      if (run.kind === 'done')
        await deps.store.sweeps.completeAccount(sweep.sweepId, run.outcome, deps.now(), sweep.startedAt)
      return run
    },
  )
  if (lock.held && lock.result.kind !== 'lost') return lock.result
  if (lock.held) {
    // Taken by another invocation of this sweep, which finishes the account; taken by another writer,
    // the account is this sweep's failure, recorded so that the sweep can end.
    if ((await deps.store.locks.holderOf(accountId))?.startsWith(`${sweep.sweepId}#`))
      return { kind: 'unfinished' }
    return failedWithoutLock(
      deps,
      sweep,
      accountId,
      'another writer took the account over while this sweep was at work',
    )
  }
  if (lock.heldBy.startsWith(`${sweep.sweepId}#`)) return { kind: 'busy', until: Date.parse(lock.until) }
  const reason = `another writer holds the account: ${lock.heldBy}, until ${lock.until}`
  log.error({ event: 'alert.account-locked', holder: lock.heldBy, until: lock.until }, reason)
  return failedWithoutLock(deps, sweep, accountId, reason)
}

/**
 * An account another writer holds is this sweep's failure. Written without the lock, so only if no
 * invocation of this sweep recorded the account meanwhile.
 */
async function failedWithoutLock(
  deps: SweepDeps,
  sweep: SweepSummary,
  accountId: string,
  reason: string,
): Promise<AccountRun> {
  const outcome: AccountOutcome = {
    accountId,
    outcome: 'failed',
    reason,
    users: 0,
    counts: {},
    writes: 0,
    durationMs: 0,
  }
  await deps.store.sweeps.completeAccount(sweep.sweepId, outcome, deps.now(), sweep.startedAt, true)
  return { kind: 'done', outcome }
}

/** The account's spoke session, renewing itself, or why it could not be had. */
type Assumed = { credentials: SpokeCredentials } | { error: unknown }

/** One account of the sweep: its spoke session, the engine, then what it decided, recorded. */
async function sweepLockedAccount(
  deps: SweepDeps,
  config: HubConfig,
  sweep: SweepSummary,
  log: Logger,
  accountId: string,
  assumed: Promise<Assumed>,
  jobDurations: JobDurations,
  stopping: () => boolean,
  lost: () => boolean,
): Promise<AccountRun> {
  const started = Date.now()
  const now = deps.now()
  // One client per account, closed when the account is done: sockets and memory stay flat however
  // many accounts the sweep covers. The account's listing starts as soon as the session is in hand.
  const meter: CallMeter = { calls: 0, throttled: 0 }
  const session = assumed.then((a) => {
    if ('error' in a) return a
    const iam = deps.iamFor(a.credentials, meter)
    const listing = readAccountListing(iam, config)
    listing.catch(() => undefined) // the engine awaits it; failing before then is not an unhandled one
    return { iam, listing }
  })
  session.catch(() => undefined) // awaited below, after the table's reads: not an unhandled rejection
  const close = async () => {
    const opened = await session
    if ('iam' in opened) opened.iam.destroy()
  }
  // Reads only, so they go at once, beside the listing: each would otherwise add its round trip to every
  // account's time.
  let records: [boolean, AccountSnapshotState, AccountProgress | undefined]
  try {
    records = await Promise.all([
      // Listed as pending before the lock was taken: another invocation may have finished it since.
      deps.store.sweeps.isDone(sweep.sweepId, accountId),
      deps.store.users.loadAccount(accountId),
      // What earlier invocations of this sweep did here stays in the outcome, whatever happens now.
      deps.store.sweeps.progress(sweep.sweepId, accountId),
    ])
  } catch (error) {
    await close()
    throw error
  }
  const [done, past, earlier] = records
  const opened = await session
  if (done) {
    await close()
    return { kind: 'skipped' }
  }
  const onboarding = sweep.mode === 'enforce' && isNewToEnforcement(past)
  const reachability = (status: AccountState['status'], reason: string) => {
    // Set when an enforce sweep reaches the account, then kept whatever the status: an account
    // unreachable for a day is not new when it comes back.
    const enforcedSince =
      past.account?.enforcedSince ??
      (sweep.mode === 'enforce' && status === 'reachable' ? now.toISOString() : undefined)
    return deps.store.users.saveAccountState(past.account, {
      accountId,
      name: past.account?.name ?? accountId,
      status,
      reason,
      sweepId: sweep.sweepId,
      updatedAt: now.toISOString(),
      ...(enforcedSince ? { enforcedSince } : {}),
    })
  }
  const fail = async (outcome: 'unreachable' | 'failed', error: unknown): Promise<AccountOutcome> => {
    const reason = errorMessage(error)
    log.error({ event: `alert.account-${outcome}`, reason }, `account ${outcome}`)
    await reachability(outcome, reason)
    return {
      accountId,
      outcome,
      reason,
      users: earlier?.userIds.length ?? 0,
      counts: earlier?.counts ?? {},
      writes: earlier?.writes ?? 0,
      durationMs: Date.now() - started,
      ...(earlier ? { notable: earlier.notable } : {}),
    }
  }

  if ('error' in opened) {
    // AccessDenied here nearly always means the spoke role is not deployed (yet) or was removed.
    const { error } = opened
    return {
      kind: 'done',
      outcome: await fail(awsErrorKind(error) === 'access-denied' ? 'unreachable' : 'failed', error),
    }
  }

  const { iam, listing } = opened
  try {
    const run = { sweepId: sweep.sweepId, mode: sweep.mode, now }
    // Rows whose update failed are kept: a renamed user's old row is the only record until it moves.
    const unrecorded = new Set<string>()
    const reports = reportKeeper((rows) => deps.store.users.saveReports(accountId, rows), log)
    const result = await sweepAccount(
      {
        iam,
        log,
        now,
        jobDurations,
        shouldStop: stopping,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        priorState: (user) => priorFor(past, user, now),
        reports: {
          stored: (user) => {
            const kept = past.reports.get(user.id)
            if (!kept) return undefined
            return {
              services: usageOf(kept),
              readAt: new Date(kept.readAt),
              ...(kept.grantsDigest ? { grantsDigest: kept.grantsDigest } : {}),
              // A report of this sweep, read since it started (an old sweep's id replayed finds none).
              thisSweep:
                kept.sweepId === sweep.sweepId && Date.parse(kept.readAt) >= Date.parse(sweep.startedAt),
            }
          },
          keep: async (user, report) => reports.keep(storedReport(user, sweep.sweepId, deps.now(), report)),
        },
        record: async (decision) => {
          if (lost()) return // the account is another writer's now: its record is theirs to keep
          const prev = priorStateOf(past, { name: decision.userName, id: decision.userId })
          try {
            await deps.store.users.saveDecision(prev, decision, run, past.users.get(decision.userName))
          } catch (error) {
            if (prev) unrecorded.add(prev.userName)
            throw error
          }
        },
      },
      accountId,
      { ...config, mode: sweep.mode },
      {
        confirmLargeChange: sweep.confirmLargeChange === true,
        fullReads: sweep.fullReads === true,
        onboarding,
        listing,
        ...(earlier ? { decidedEarlier: new Set(earlier.userIds) } : {}),
      },
    )
    await reports.written()
    const progress = mergeProgress(earlier, {
      userIds: result.decisions.map((d) => d.userId),
      counts: countStatuses(result.decisions),
      writes: result.decisions.reduce((n, d) => n + d.writes, 0),
      readsSkipped: result.decisions.filter((d) => d.reportReused).length,
      notable: notableOf(result.decisions, result.orphans, result.foreign, result.onboarding === true),
    })
    if (result.unfinished) {
      if (lost()) return { kind: 'unfinished' } // the new holder's progress is not ours to overwrite
      await deps.store.sweeps.saveProgress(sweep.sweepId, accountId, progress, sweep.startedAt)
      log.info(
        { event: 'account.carried-on', decided: progress.userIds.length },
        'the account is carried on by the next invocation',
      )
      return { kind: 'unfinished' }
    }
    await forget(deps.store, log, config.brake, accountId, past, result.listed, unrecorded)
    await reachability('reachable', '')
    const { counts, writes } = progress
    log.info({ event: 'account.swept', counts, writes }, 'account swept')
    return {
      kind: 'done',
      outcome: {
        accountId,
        outcome: 'swept',
        reason: '',
        users: progress.userIds.length,
        counts,
        writes,
        iamCalls: meter.calls,
        iamThrottled: meter.throttled,
        readsSkipped: progress.readsSkipped,
        usersScheduled: progress.notable.totals.scheduled ?? 0,
        durationMs: Date.now() - started,
        notable: progress.notable,
        ...(result.brake ? { brake: result.brake } : {}),
      },
    }
  } catch (error) {
    return { kind: 'done', outcome: await fail('failed', error) }
  } finally {
    iam.destroy()
  }
}

/**
 * Keeps the reports read in an account beside the work, not in each user's path, 25 to a request (one
 * batch write), so the state table costs a request per 25 users, not per user. Every one is written
 * before the account is done or carried on: an invocation that carries on reads them back.
 */
function reportKeeper(save: (rows: StoredReport[]) => Promise<void>, log: Logger) {
  let pending: StoredReport[] = []
  const writes: Promise<void>[] = []
  const send = () => {
    const rows = pending
    pending = []
    if (rows.length === 0) return
    writes.push(
      save(rows).catch((error: unknown) => {
        // Only costs a read again, later: this sweep plans with the reports in hand.
        log.warn(
          { event: 'report.not-kept', userIds: rows.map((r) => r.userId), reason: errorMessage(error) },
          'reports could not be kept',
        )
      }),
    )
  }
  return {
    keep(row: StoredReport): void {
      pending.push(row)
      if (pending.length === BATCH_WRITE_ITEMS) send()
    },
    async written(): Promise<void> {
      send()
      await Promise.all(writes)
    },
  }
}

/** Statuses only an enforce sweep or an operator's lift leaves on a user. */
const ENFORCE_ONLY: ReadonlySet<string> = new Set([
  'enforced',
  'braked',
  'quota-blocked',
  'released',
  'rolled-back',
])

/**
 * No enforce sweep has reached the account yet: no record of it, and no user with a deny now or before
 * or a status only enforcement leaves (accounts swept before the record was kept, or by an older
 * version, are known that way). The engine also requires that no policy of ours is in the account.
 */
function isNewToEnforcement(past: AccountSnapshotState): boolean {
  if (past.account?.enforcedSince) return false
  for (const user of past.users.values())
    if (user.denied.length > 0 || user.pastDenies || ENFORCE_ONLY.has(user.status)) return false
  return true
}

function mergeProgress(earlier: AccountProgress | undefined, now: AccountProgress): AccountProgress {
  if (!earlier) return now
  return {
    userIds: [...earlier.userIds, ...now.userIds],
    counts: sumCounts([earlier.counts, now.counts]),
    writes: earlier.writes + now.writes,
    readsSkipped: earlier.readsSkipped + now.readsSkipped,
    notable: mergeNotable(earlier.notable, now.notable),
  }
}

function countStatuses(decisions: readonly UserDecision[]): StatusCounts {
  const counts: StatusCounts = {}
  for (const decision of decisions) counts[decision.status] = (counts[decision.status] ?? 0) + 1
  return counts
}

const usageOf = (report: StoredReport): ServiceUsage[] =>
  report.services.map((s) => ({
    namespace: s.namespace,
    ...(s.lastAuthenticated ? { lastAuthenticated: new Date(s.lastAuthenticated) } : {}),
    ...(s.lastRegion ? { lastRegion: s.lastRegion } : {}),
  }))

const storedReport = (
  user: IamUser,
  sweepId: string,
  readAt: Date,
  report: readonly ServiceUsage[],
): StoredReport => ({
  userId: user.id,
  sweepId,
  readAt: readAt.toISOString(),
  grantsDigest: user.grantsDigest,
  services: report.map((s) => ({
    namespace: s.namespace,
    ...(s.lastAuthenticated ? { lastAuthenticated: s.lastAuthenticated.toISOString() } : {}),
    ...(s.lastRegion ? { lastRegion: s.lastRegion } : {}),
  })),
})

/** Forgets users that no longer exist (their history stays), with their last reports. */
async function forget(
  store: StateStore,
  log: Logger,
  brake: HubConfig['brake'],
  accountId: string,
  past: AccountSnapshotState,
  listed: AccountResult['listed'],
  keep: ReadonlySet<string>,
): Promise<void> {
  const seen = new Set([...listed.map((u) => u.name), ...keep])
  const vanished = [...past.users.keys()].filter((userName) => !seen.has(userName))
  // Most recorded users gone at once is a partial reply, not a day's departures: forgetting them would
  // erase their recorded denies and clocks. Kept, alerted, judged again next sweep.
  if (vanished.length >= brake.minMissing && vanished.length / past.users.size > brake.maxMissingShare) {
    log.error(
      { event: 'alert.users-vanished', vanished: vanished.length, recorded: past.users.size },
      'most recorded users are missing from the reply; their records are kept',
    )
  } else {
    for (const userName of vanished) await store.users.forgetUser(accountId, userName)
    const live = new Set(listed.map((u) => u.id))
    for (const userId of past.reports.keys())
      if (!live.has(userId)) await store.users.forgetReport(accountId, userId)
  }
}

/** What the engine needs to know of a user's past: recorded state (by UserId) and live exemptions. */
export function priorFor(past: AccountSnapshotState, user: IamUser, now: Date): PriorUserState {
  const state = priorStateOf(past, user)
  return {
    ...(state?.firstSeen ? { firstSeen: state.firstSeen } : {}),
    ...(state ? { recorded: state } : {}),
    ...(state?.deniedSince ? { deniedSince: state.deniedSince } : {}),
    ...(state?.lastAttempts ? { lastAttempts: state.lastAttempts } : {}),
    ...(state?.pastDenies ? { pastDenies: state.pastDenies } : {}),
    ...(state?.exemptTag ? { exemptTag: state.exemptTag } : {}),
    ...(state?.scheduled ? { scheduled: state.scheduled } : {}),
    ...activeExemptions(user, past.exemptions, now),
  }
}

/**
 * Closes the sweep once every target account is done; only one invocation wins the conditional write,
 * and only that one posts the digest. A digest that fails is logged, never fatal: the record is written.
 */
async function finish(
  deps: SweepDeps,
  sweep: SweepSummary,
  targets: readonly string[],
  log: Logger,
  noticeDays: number,
): Promise<{ summary: CompletedSweep; digest?: SweepReport['digest'] } | undefined> {
  const done = await deps.store.sweeps.accounts(sweep.sweepId)
  const doneIds = new Set(done.map((r) => r.accountId))
  if (!targets.every((a) => doneIds.has(a))) return undefined
  const counts = sumCounts(done.map((r) => r.counts))
  const finishedAt = deps.now()
  const summary: CompletedSweep = {
    ...sweep,
    status: 'completed',
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(sweep.startedAt),
    counts,
    accountsSwept: done.filter((r) => r.outcome === 'swept').length,
    accountsUnreachable: done.filter((r) => r.outcome === 'unreachable').length,
    accountsFailed: done.filter((r) => r.outcome === 'failed').length,
    accountsBraked: done.filter((r) => r.brake).length,
    iamCalls: done.reduce((n, r) => n + (r.iamCalls ?? 0), 0),
    iamThrottled: done.reduce((n, r) => n + (r.iamThrottled ?? 0), 0),
    readsSkipped: done.reduce((n, r) => n + (r.readsSkipped ?? 0), 0),
  }
  if (!(await deps.store.sweeps.finish(summary))) {
    // A duplicated invocation finished it first: report what it recorded.
    const recorded = await deps.store.sweeps.get(sweep.sweepId)
    return recorded?.status === 'completed' ? { summary: recorded } : undefined
  }
  log.info(
    { event: 'sweep.completed', counts, durationMs: summary.durationMs, iamCalls: summary.iamCalls },
    'sweep completed',
  )
  try {
    await deps.publishMetrics?.(summary)
  } catch (error) {
    log.error(
      { event: 'alert.metrics-failed', reason: errorMessage(error) },
      'the metrics could not be published',
    )
  }
  return { summary, digest: await sendDigest(deps, summary, done, log, noticeDays) }
}

/** Decisions per status over several accounts. */
function sumCounts(all: readonly StatusCounts[]): StatusCounts {
  const total: StatusCounts = {}
  for (const counts of all)
    for (const status of DECISION_STATUS_NAMES) {
      const n = counts[status]
      if (n) total[status] = (total[status] ?? 0) + n
    }
  return total
}

async function sendDigest(
  deps: SweepDeps,
  summary: CompletedSweep,
  rows: readonly AccountOutcome[],
  log: Logger,
  noticeDays: number,
): Promise<SweepReport['digest']> {
  if (!deps.notify) return 'none'
  const message = buildDigest({
    sweepId: summary.sweepId,
    mode: summary.mode,
    noticeDays,
    durationMs: summary.durationMs,
    counts: summary.counts,
    accounts: rows.map((r) => ({
      accountId: r.accountId,
      outcome: r.outcome,
      reason: r.reason,
      ...(r.brake ? { brake: r.brake } : {}),
      ...(r.notable ? { notable: r.notable } : {}),
    })),
  })
  try {
    await deps.notify(message)
    log.info({ event: 'sweep.digest-sent', blocks: message.blocks.length }, 'digest posted')
    return 'sent'
  } catch (error) {
    log.error({ event: 'alert.digest-failed', reason: errorMessage(error) }, 'the digest could not be posted')
    return 'failed'
  }
}
