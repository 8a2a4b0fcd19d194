import { randomBytes } from 'node:crypto'
import type { IAMClient } from '@aws-sdk/client-iam'
import type { OrganizationsClient } from '@aws-sdk/client-organizations'
import type { STSClient } from '@aws-sdk/client-sts'
import pLimit from 'p-limit'
import type { Sleep } from '../shared/aws/access-advisor.js'
import { awsErrorKind } from '../shared/aws/aws-errors.js'
import { listAccounts } from '../shared/aws/organizations.js'
import { assumeSpokeRole, type TemporaryCredentials } from '../shared/aws/spoke-session.js'
import { type AccountSnapshotState, priorStateOf, type StateStore } from '../shared/aws/state-store.js'
import { DECISION_STATUS_NAMES, type UserDecision } from '../shared/domain/decision.js'
import { buildDigest, notableOf, type SlackMessage } from '../shared/domain/digest.js'
import { activeExemptions } from '../shared/domain/exemption.js'
import { JobDurations } from '../shared/domain/poll-schedule.js'
import {
  type AccountOutcome,
  type AccountState,
  type CompletedSweep,
  isDone,
  type RunningSweep,
  type StatusCounts,
  type SweepSummary,
} from '../shared/domain/records.js'
import type { IamUser, Mode } from '../shared/domain/types.js'
import { type PriorUserState, sweepAccount } from '../shared/engine/sweep-account.js'
import { ConfigError, errorMessage, LeastPrivilegeError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { HubConfig } from './config.js'

export interface SweepDeps {
  organizations: OrganizationsClient
  sts: STSClient
  store: StateStore
  iamFor: (credentials: TemporaryCredentials) => IAMClient
  log: Logger
  now: () => Date
  /** Time left in this invocation; Infinity outside Lambda. */
  remainingMs: () => number
  /** Hands the rest of the sweep to a fresh invocation (Lambda only). */
  continueWith?: (next: { sweepId: string; accounts: string[] }) => Promise<void>
  /** Posts the sweep's digest (Slack); absent when no webhook is configured. */
  notify?: (message: SlackMessage) => Promise<void>
  /** Called as each account is done (the CLI's progress bar). */
  onAccountDone?: (outcome: AccountOutcome, total: number) => void
  sleep?: Sleep
}

export type SweepRequest =
  /** A new sweep; `sweepId` is given when the trigger has a stable id (a retried schedule resumes it). */
  | {
      kind: 'new'
      mode: Mode
      trigger: string
      accounts?: string[]
      sweepId?: string
      confirmLargeChange?: boolean
    }
  | { kind: 'continuation'; sweepId: string; accounts: string[] }

export interface SweepReport {
  sweepId: string
  mode: Mode
  /** completed: this invocation finished the sweep; continued: handed on; in-progress: others still at work. */
  status: 'completed' | 'continued' | 'in-progress'
  /** Accounts this invocation swept. */
  accounts: AccountOutcome[]
  /** Accounts handed to the next invocation. */
  deferred: string[]
  summary?: CompletedSweep
  /** What happened to the digest: sent, failed (logged as alert.digest-failed) or none configured. */
  digest?: 'sent' | 'failed' | 'none'
}

export function newSweepId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`
}

/**
 * The org-wide sweep: the one place that orchestrates accounts. Every account is claimed with a
 * conditional write before it is swept, so a retried or duplicated invocation never sweeps an account
 * twice in one sweep; one account's failure is its outcome, never the sweep's.
 */
export async function runSweep(
  deps: SweepDeps,
  config: HubConfig,
  request: SweepRequest,
): Promise<SweepReport> {
  const sweep = request.kind === 'new' ? await begin(deps, config, request) : await resume(deps, request)
  const log = deps.log.child({ sweepId: sweep.sweepId })
  const targets =
    request.kind === 'continuation' ? continuationTargets(sweep, request.accounts, log) : sweep.accounts
  log.info({ event: 'sweep.invocation', mode: sweep.mode, accounts: targets.length }, 'sweeping')

  const limit = pLimit(config.accountConcurrency)
  const jobDurations = new JobDurations(sweep.jobDurationsMs ?? (await previousDurations(deps.store)))
  const outcomes: AccountOutcome[] = []
  const deferred: string[] = []
  await Promise.all(
    targets.map((accountId) =>
      limit(async () => {
        if (deps.remainingMs() < config.continuationThresholdMs) {
          deferred.push(accountId)
          return
        }
        if (
          !(await deps.store.sweeps.claimAccount(sweep.sweepId, accountId, deps.now(), config.accountLeaseMs))
        ) {
          log.info({ event: 'account.skipped', accountId }, 'already claimed in this sweep')
          return
        }
        const outcome = await sweepOneAccount(
          deps,
          config,
          sweep,
          log.child({ accountId }),
          accountId,
          jobDurations,
        )
        await deps.store.sweeps.completeAccount(sweep.sweepId, outcome)
        // The digest's lists live in the table; the report keeps only the counts, so memory and the
        // Lambda's response stay flat in the number of accounts.
        const { notable: _lists, ...slim } = outcome
        outcomes.push(slim)
        deps.onAccountDone?.(slim, targets.length)
      }),
    ),
  )

  if (deferred.length > 0) {
    if (!deps.continueWith)
      throw new LeastPrivilegeError('time budget ran out and this runner cannot continue')
    deferred.sort()
    await deps.store.sweeps.recordContinuation(sweep.sweepId, deferred, jobDurations.snapshot())
    await deps.continueWith({ sweepId: sweep.sweepId, accounts: deferred })
    log.info({ event: 'sweep.continued', deferred: deferred.length }, 'handed the rest to a new invocation')
    return { sweepId: sweep.sweepId, mode: sweep.mode, status: 'continued', accounts: outcomes, deferred }
  }
  const finished = await finish(deps, { ...sweep, jobDurationsMs: jobDurations.snapshot() }, log)
  return {
    sweepId: sweep.sweepId,
    mode: sweep.mode,
    status: finished ? 'completed' : 'in-progress',
    accounts: outcomes,
    deferred,
    ...(finished ? { summary: finished.summary } : {}),
    ...(finished?.digest ? { digest: finished.digest } : {}),
  }
}

async function begin(
  deps: SweepDeps,
  config: HubConfig,
  request: Extract<SweepRequest, { kind: 'new' }>,
): Promise<SweepSummary> {
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
  const now = deps.now()
  const summary: SweepSummary = {
    sweepId: request.sweepId ?? newSweepId(now),
    mode: request.mode,
    trigger: request.trigger,
    startedAt: now.toISOString(),
    status: 'running',
    accounts: accounts.sort(),
    invocations: 1,
    ...(request.confirmLargeChange ? { confirmLargeChange: true } : {}),
  }
  if (await deps.store.sweeps.start(summary)) return summary
  // The same trigger delivered twice: carry on with the sweep already recorded.
  return resume(deps, { sweepId: summary.sweepId })
}

/** The last completed sweep's job durations: today's jobs take about as long as yesterday's. */
async function previousDurations(store: StateStore): Promise<number[]> {
  const recent = await store.sweeps.recent(5)
  return recent.find((s) => s.status === 'completed' && s.jobDurationsMs?.length)?.jobDurationsMs ?? []
}

/**
 * A continuation may only carry on a sweep that is still running, and only over accounts that sweep
 * chose when it began (active, in the organization, not excluded): a forged or replayed event can
 * neither widen a sweep nor reopen a finished one. A late retry for a finished sweep does nothing.
 */
function continuationTargets(sweep: SweepSummary, accounts: readonly string[], log: Logger): string[] {
  if (sweep.status !== 'running') {
    log.warn(
      { event: 'sweep.late-continuation', accounts: accounts.length },
      'the sweep is finished; nothing to do',
    )
    return []
  }
  const chosen = new Set(sweep.accounts)
  const foreign = accounts.filter((a) => !chosen.has(a))
  if (foreign.length > 0) {
    log.error(
      { event: 'alert.forged-continuation', accounts: foreign },
      'continuation names accounts outside its sweep',
    )
    throw new ConfigError(
      `continuation.accounts: ${foreign.join(', ')} are not accounts of sweep ${sweep.sweepId}`,
    )
  }
  return [...accounts]
}

async function resume(deps: SweepDeps, request: { sweepId: string }): Promise<SweepSummary> {
  const sweep = await deps.store.sweeps.get(request.sweepId)
  if (!sweep) throw new ConfigError(`continuation.sweepId: no sweep ${request.sweepId} in the state table`)
  return sweep
}

/**
 * One account of the sweep, under the account's lock: every writer (sweeps, release, rollback) takes
 * it, so two of them never interleave writes in one account. An account held by another writer is
 * recorded as failed, naming the holder; its next sweep takes it again.
 */
async function sweepOneAccount(
  deps: SweepDeps,
  config: HubConfig,
  sweep: SweepSummary,
  log: Logger,
  accountId: string,
  jobDurations: JobDurations,
): Promise<AccountOutcome> {
  // One holder per invocation: a second invocation of the same sweep is another writer.
  const holder = `${sweep.sweepId}#${randomBytes(3).toString('hex')}`
  const lock = await deps.store.locks.hold(accountId, holder, deps.now, config.accountLeaseMs, () =>
    sweepLockedAccount(deps, config, sweep, log, accountId, jobDurations),
  )
  if (lock.held) return lock.result
  const reason = `another writer holds the account: ${lock.heldBy}, until ${lock.until}`
  log.error({ event: 'alert.account-locked', holder: lock.heldBy, until: lock.until }, reason)
  return { accountId, outcome: 'failed', reason, users: 0, counts: {}, writes: 0, durationMs: 0 }
}

/** One account of the sweep: its spoke session, the engine, then what it decided, recorded. */
async function sweepLockedAccount(
  deps: SweepDeps,
  config: HubConfig,
  sweep: SweepSummary,
  log: Logger,
  accountId: string,
  jobDurations: JobDurations,
): Promise<AccountOutcome> {
  const started = Date.now()
  const now = deps.now()
  const past = await deps.store.users.loadAccount(accountId)
  const reachability = (status: AccountState['status'], reason: string) =>
    deps.store.users.saveAccountState(past.account, {
      accountId,
      name: past.account?.name ?? accountId,
      status,
      reason,
      sweepId: sweep.sweepId,
      updatedAt: now.toISOString(),
    })
  const fail = async (outcome: 'unreachable' | 'failed', error: unknown): Promise<AccountOutcome> => {
    const reason = errorMessage(error)
    log.error({ event: `alert.account-${outcome}`, reason }, `account ${outcome}`)
    await reachability(outcome, reason)
    return { accountId, outcome, reason, users: 0, counts: {}, writes: 0, durationMs: Date.now() - started }
  }

  let credentials: TemporaryCredentials
  try {
    credentials = await assumeSpokeRole(
      deps.sts,
      accountId,
      { roleName: config.spokeRoleName, externalId: config.externalId },
      sweep.sweepId,
    )
  } catch (error) {
    // AccessDenied here nearly always means the spoke role is not deployed (yet) or was removed.
    return fail(awsErrorKind(error) === 'access-denied' ? 'unreachable' : 'failed', error)
  }

  // One client per account, closed when the account is done: sockets and memory stay flat however
  // many accounts the sweep covers.
  const iam = deps.iamFor(credentials)
  try {
    const run = { sweepId: sweep.sweepId, mode: sweep.mode, now }
    // Rows whose update failed are kept: a renamed user's old row is the only record until it moves.
    const unrecorded = new Set<string>()
    const result = await sweepAccount(
      {
        iam,
        log,
        now,
        jobDurations,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        priorState: (user) => priorFor(past, user, now),
        record: async (decision) => {
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
      { confirmLargeChange: sweep.confirmLargeChange === true },
    )
    const { counts, writes } = await forgetAndCount(
      deps.store,
      log,
      config.brake,
      accountId,
      past,
      result.decisions,
      unrecorded,
    )
    await reachability('reachable', '')
    log.info({ event: 'account.swept', counts, writes }, 'account swept')
    return {
      accountId,
      outcome: 'swept',
      reason: '',
      users: result.decisions.length,
      counts,
      writes,
      durationMs: Date.now() - started,
      notable: notableOf(result.decisions, result.orphans, result.foreign),
      ...(result.brake ? { brake: result.brake } : {}),
    }
  } catch (error) {
    return fail('failed', error)
  } finally {
    iam.destroy()
  }
}

/** Forgets users that no longer exist (their history stays), and counts the decisions. */
async function forgetAndCount(
  store: StateStore,
  log: Logger,
  brake: HubConfig['brake'],
  accountId: string,
  past: AccountSnapshotState,
  decisions: readonly UserDecision[],
  keep: ReadonlySet<string>,
): Promise<{ counts: StatusCounts; writes: number }> {
  const seen = new Set([...decisions.map((d) => d.userName), ...keep])
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
  }
  const counts: StatusCounts = {}
  for (const decision of decisions) counts[decision.status] = (counts[decision.status] ?? 0) + 1
  return { counts, writes: decisions.reduce((n, d) => n + d.writes, 0) }
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
  log: Logger,
): Promise<{ summary: CompletedSweep; digest?: SweepReport['digest'] } | undefined> {
  const rows = await deps.store.sweeps.accounts(sweep.sweepId)
  const done = rows.filter(isDone)
  if (done.length < sweep.accounts.length) return undefined
  const counts = sumCounts(done.map((r) => r.counts))
  const finishedAt = deps.now()
  const { cursor: _handedOn, ...started } = sweep as RunningSweep
  const summary: CompletedSweep = {
    ...started,
    status: 'completed',
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(sweep.startedAt),
    counts,
    accountsSwept: done.filter((r) => r.outcome === 'swept').length,
    accountsUnreachable: done.filter((r) => r.outcome === 'unreachable').length,
    accountsFailed: done.filter((r) => r.outcome === 'failed').length,
    accountsBraked: done.filter((r) => r.brake).length,
  }
  if (!(await deps.store.sweeps.finish(summary))) {
    // A duplicated invocation finished it first: report what it recorded.
    const recorded = await deps.store.sweeps.get(sweep.sweepId)
    return recorded?.status === 'completed' ? { summary: recorded } : undefined
  }
  log.info({ event: 'sweep.completed', counts, durationMs: summary.durationMs }, 'sweep completed')
  return { summary, digest: await sendDigest(deps, summary, done, log) }
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
): Promise<SweepReport['digest']> {
  if (!deps.notify) return 'none'
  const message = buildDigest({
    sweepId: summary.sweepId,
    mode: summary.mode,
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
