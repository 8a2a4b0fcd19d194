/** How a sweep ends: completed once (digest and metrics), or stalled and told. */
import { buildDigest, stalledMessage } from '../domain/digest.js'
import type { AccountOutcome, CompletedSweep, StalledSweep, SweepSummary } from '../domain/records.js'
import type { SlackMessage } from '../domain/slack-message.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Notifier, StateStore } from '../ports.js'
import { sumCounts } from './account-record.js'

/** No sign of life for this many leases means no invocation carries the sweep on (Lambda's retries included). */
export const STALL_AFTER_LEASES = 5

interface CloseDeps {
  store: StateStore
  now: () => Date
  log: Logger
  notifier?: Notifier
  publishMetrics?: (summary: CompletedSweep) => Promise<void>
}

/**
 * Running sweeps no invocation has shown life in for STALL_AFTER_LEASES leases are marked stalled and
 * told (log alert, Slack): their invocations died, their retries too, and no one carries them on.
 */
export async function detectStalled(
  deps: Omit<CloseDeps, 'publishMetrics'>,
  config: { accountLeaseMs: number },
): Promise<StalledSweep[]> {
  const stalled: StalledSweep[] = []
  for (const sweep of await deps.store.sweeps.recent(10)) {
    const seen = asSeen(sweep, deps.now(), config)
    if (seen.status !== 'stalled' || sweep.status !== 'running') continue
    const left = sweep.accountCount - (await deps.store.sweeps.accounts(sweep.sweepId)).length
    const marked = await stall(deps, sweep, seen.reason, left, deps.log.child({ sweepId: sweep.sweepId }))
    if (marked) stalled.push(marked)
  }
  return stalled
}

/**
 * A sweep as it stands: one still `running` that no invocation has carried on for STALL_AFTER_LEASES
 * leases is stalled, whether or not the hub has marked it yet (the audit views show it so, and write
 * nothing: only the hub writes the table).
 */
export function asSeen(sweep: SweepSummary, now: Date, config: { accountLeaseMs: number }): SweepSummary {
  const cutoff = now.getTime() - STALL_AFTER_LEASES * config.accountLeaseMs
  if (sweep.status !== 'running' || Date.parse(sweep.heartbeatAt ?? sweep.startedAt) >= cutoff) return sweep
  const reason = `no invocation at work since ${sweep.heartbeatAt ?? sweep.startedAt}`
  return { ...sweep, status: 'stalled', stalledAt: now.toISOString(), reason }
}

export async function stall(
  deps: Pick<CloseDeps, 'store' | 'now' | 'notifier'>,
  sweep: SweepSummary,
  reason: string,
  accountsLeft: number,
  log: Logger,
): Promise<StalledSweep | undefined> {
  const summary: StalledSweep = { ...sweep, status: 'stalled', stalledAt: deps.now().toISOString(), reason }
  if (!(await deps.store.sweeps.markStalled(summary))) return undefined
  log.error({ event: 'alert.sweep-stalled', reason, accountsLeft }, 'the sweep stalled')
  await post(deps, stalledMessage(sweep.sweepId, reason, accountsLeft), log, 'the stall could not be posted')
  return summary
}

/** The last completed sweep's job durations: today's jobs take about as long as yesterday's. */
export async function previousDurations(store: StateStore): Promise<number[]> {
  const recent = await store.sweeps.recent(5)
  return recent.find((s) => s.status === 'completed' && s.jobDurationsMs?.length)?.jobDurationsMs ?? []
}

/**
 * Closes the sweep once every target account is done; only one invocation wins the conditional write,
 * and only that one posts the digest. A digest that fails is logged, never fatal: the record is written.
 */
export async function finishSweep(
  deps: CloseDeps,
  closing: { sweep: SweepSummary; targets: readonly string[]; log: Logger; noticeDays: number },
): Promise<{ summary: CompletedSweep; digest?: 'sent' | 'failed' | 'none' } | undefined> {
  const { sweep, log } = closing
  const done = await deps.store.sweeps.accounts(sweep.sweepId)
  const doneIds = new Set(done.map((r) => r.accountId))
  if (!closing.targets.every((a) => doneIds.has(a))) return undefined
  const summary = completed(sweep, done, deps.now())
  if (!(await deps.store.sweeps.finish(summary))) {
    // A duplicated invocation finished it first: report what it recorded.
    const recorded = await deps.store.sweeps.get(sweep.sweepId)
    return recorded?.status === 'completed' ? { summary: recorded } : undefined
  }
  log.info(
    {
      event: 'sweep.completed',
      counts: summary.counts,
      durationMs: summary.durationMs,
      iamCalls: summary.iamCalls,
    },
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
  if (!deps.notifier) return { summary, digest: 'none' }
  const digest = digestOf(summary, done, closing.noticeDays)
  const sent = await post(deps, digest, log, 'the digest could not be posted')
  if (sent) log.info({ event: 'sweep.digest-sent', blocks: digest.blocks.length }, 'digest posted')
  return { summary, digest: sent ? 'sent' : 'failed' }
}

function completed(sweep: SweepSummary, done: readonly AccountOutcome[], finishedAt: Date): CompletedSweep {
  return {
    ...sweep,
    status: 'completed',
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(sweep.startedAt),
    counts: sumCounts(done.map((r) => r.counts)),
    accountsSwept: done.filter((r) => r.outcome === 'swept').length,
    accountsUnreachable: done.filter((r) => r.outcome === 'unreachable').length,
    accountsFailed: done.filter((r) => r.outcome === 'failed').length,
    accountsBraked: done.filter((r) => r.brake).length,
    iamCalls: done.reduce((n, r) => n + (r.iamCalls ?? 0), 0),
    iamThrottled: done.reduce((n, r) => n + (r.iamThrottled ?? 0), 0),
    readsSkipped: done.reduce((n, r) => n + (r.readsSkipped ?? 0), 0),
    credentials: {
      scheduled: done.reduce((n, r) => n + (r.credentials?.totals.scheduled ?? 0), 0),
      deactivated: done.reduce((n, r) => n + (r.credentials?.totals.deactivated ?? 0), 0),
      reactivated: done.reduce((n, r) => n + (r.credentials?.totals.reactivated ?? 0), 0),
      deleted: done.reduce((n, r) => n + (r.credentials?.totals.deleted ?? 0), 0),
      accountsHeld: done.filter((r) => r.credentials?.held || r.credentials?.failed).length,
    },
  }
}

function digestOf(
  summary: CompletedSweep,
  rows: readonly AccountOutcome[],
  noticeDays: number,
): SlackMessage {
  return buildDigest({
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
      ...(r.credentials ? { credentials: r.credentials } : {}),
    })),
  })
}

/** Posts a message; a failure is logged as alert.digest-failed, never fatal. */
async function post(
  deps: Pick<CloseDeps, 'notifier'>,
  message: SlackMessage,
  log: Logger,
  failed: string,
): Promise<boolean> {
  if (!deps.notifier) return false
  try {
    await deps.notifier.post(message)
    return true
  } catch (error) {
    log.error({ event: 'alert.digest-failed', reason: errorMessage(error) }, failed)
    return false
  }
}
