/**
 * What a sweep records of an account, in its ledger and the account's rows: what it carried on when
 * time ran short; or, once the account is done, the users gone from IAM forgotten, the account's
 * reachability, and its outcome, written before the lock is given back.
 */

import type { BrakeSettings } from '../domain/brake.js'
import { DECISION_STATUS_NAMES, type DecisionStatus } from '../domain/decision.js'
import { mergeNotable, notableOf } from '../domain/notable.js'
import type { Stray } from '../domain/ownership.js'
import type { AccountPlan } from '../domain/plan/account-plan.js'
import type { SweepIntent } from '../domain/plan/intent.js'
import { plannedUsers } from '../domain/plan/review.js'
import type {
  AccountOutcome,
  AccountProgress,
  AccountState,
  CredentialNotes,
  StatusCounts,
  UserDecision,
} from '../domain/records.js'
import { errorMessage } from '../errors.js'
import type { AccountRecords } from '../ports.js'
import type { Account, AccountRun, Run } from './account-run.js'
import type { Acted } from './account-writes.js'

type SweptAccount = Account & { intent: SweepIntent }

/** The account's users done: carried on (time ran short) or recorded done with its outcome. */
export async function recordSweptAccount(
  run: Run,
  account: SweptAccount,
  result:
    | {
        plan: Extract<AccountPlan, { kind: 'ready' }>
        acted: Acted & { strays: Stray[]; credentials?: CredentialNotes }
      }
    | { unread: number; read: number },
): Promise<AccountRun> {
  if ('unread' in result) {
    run.log.info(
      { event: 'account.unfinished', reportsRead: result.read, unread: result.unread },
      'time is short: the reports read are kept, the account carries on in the next invocation',
    )
    return carryOn(run, account, progressOf(account, { decisions: [], strays: [], onboarding: false }))
  }
  const { plan, acted } = result
  const decisions = acted.done.map((d) => d.decision)
  const progress = progressOf(account, { decisions, strays: acted.strays, onboarding: plan.onboarding })
  // A plan sweep keeps what it would change, user by user, for review before enforcing (`audit plan`).
  if (account.intent.mode === 'plan' && !run.budget.lost())
    await run.store.sweeps.keepPlans(account.intent, plannedUsers(decisions))
  if (acted.unfinished) {
    run.log.info(
      { event: 'account.unfinished', decided: acted.done.length },
      'time is short: the account carries on in the next invocation',
    )
    return carryOn(run, account, progress)
  }
  // The account is another writer's now: nothing more of it is ours to write.
  if (run.budget.lost()) return lockLost(run, account.intent)
  await forgetVanished(run, { ...account, listed: plan.listed }, acted, account.settings.brake)
  await saveReachability(run, account, 'reachable', '')
  const { counts, writes } = progress
  run.log.info({ event: 'account.swept', counts, writes }, 'account swept')
  const outcome: AccountOutcome = {
    accountId: account.accountId,
    outcome: 'swept',
    reason: '',
    users: progress.userIds.length,
    counts,
    writes,
    iamCalls: account.iam.meter.calls,
    iamThrottled: account.iam.meter.throttled,
    readsSkipped: progress.readsSkipped,
    usersScheduled: progress.notable.totals.scheduled ?? 0,
    durationMs: Date.now() - account.started,
    notable: progress.notable,
    ...(plan.brake ? { brake: plan.brake } : {}),
    ...(acted.credentials ? { credentials: acted.credentials } : {}),
  }
  const done = await complete(run, account.intent, outcome)
  return done.kind === 'done' ? { ...done, users: acted.done, strays: acted.strays } : done
}

/**
 * An account the sweep could not carry through (its role not there, a reply that failed): alerted,
 * recorded with the reason when its records are known (else nothing about it may be written), and its
 * outcome keeps what earlier invocations did there.
 */
export async function sweepAccountFailed(
  run: Run,
  account: {
    accountId: string
    intent: SweepIntent
    now: Date
    started: number
    records?: AccountRecords | undefined
    earlier?: AccountProgress | undefined
  },
  failure: { kind: 'unreachable' | 'failed'; error: unknown },
): Promise<AccountRun> {
  const reason = errorMessage(failure.error)
  run.log.error({ event: `alert.account-${failure.kind}`, reason }, `account ${failure.kind}`)
  const { records, earlier } = account
  if (records) await saveReachability(run, { ...account, records }, failure.kind, reason)
  const outcome: AccountOutcome = {
    accountId: account.accountId,
    outcome: failure.kind,
    reason,
    users: earlier?.userIds.length ?? 0,
    counts: earlier?.counts ?? {},
    writes: earlier?.writes ?? 0,
    durationMs: Date.now() - account.started,
    ...(earlier ? { notable: earlier.notable } : {}),
  }
  // Without its records, whether another invocation finished the account is not known either.
  return complete(run, account.intent, outcome, records === undefined)
}

/** Recorded before the lock is given back: whoever takes it next sees the account done. */
async function complete(
  run: Run,
  intent: SweepIntent,
  outcome: AccountOutcome,
  ifAbsent = false,
): Promise<AccountRun> {
  if (run.budget.lost()) return lockLost(run, intent)
  await run.store.sweeps.completeAccount(intent, outcome, run.now(), ifAbsent)
  return { kind: 'done', outcome, users: [], strays: [] }
}

async function carryOn(run: Run, account: SweptAccount, progress: AccountProgress): Promise<AccountRun> {
  if (run.budget.lost()) return lockLost(run, account.intent) // the new holder's progress is not ours
  await run.store.sweeps.saveProgress(account.intent, account.accountId, progress)
  run.log.info(
    { event: 'account.carried-on', decided: progress.userIds.length },
    'the account is carried on by the next invocation',
  )
  return { kind: 'unfinished' }
}

function lockLost(run: Run, intent: SweepIntent): AccountRun {
  run.log.error(
    { event: 'alert.lock-lost', holder: intent.holder },
    'another writer took the account over; this one stopped',
  )
  return { kind: 'lost' }
}

/** This invocation's users merged with what earlier invocations of the sweep decided in the account. */
function progressOf(
  account: SweptAccount,
  now: { decisions: readonly UserDecision[]; strays: readonly Stray[]; onboarding: boolean },
): AccountProgress {
  const { decisions } = now
  const arns = (kind: Stray['kind']) => now.strays.filter((s) => s.kind === kind).map((s) => s.policy.arn)
  const here: AccountProgress = {
    userIds: decisions.map((d) => d.userId),
    counts: countStatuses(decisions.map((d) => d.status)),
    writes: decisions.reduce((n, d) => n + d.writes, 0),
    readsSkipped: decisions.filter((d) => d.reportReused).length,
    notable: notableOf(
      decisions,
      {
        orphans: arns('orphan'),
        foreign: [
          ...arns('foreign'),
          ...arns('posing').map((arn) => `${arn} (outside the path: not removed)`),
        ],
      },
      now.onboarding,
    ),
  }
  const earlier = account.earlier
  if (!earlier) return here
  return {
    userIds: [...earlier.userIds, ...here.userIds],
    counts: sumCounts([earlier.counts, here.counts]),
    writes: earlier.writes + here.writes,
    readsSkipped: earlier.readsSkipped + here.readsSkipped,
    notable: mergeNotable(earlier.notable, here.notable),
  }
}

/**
 * Forgets users that no longer exist (their history stays), with their last reports. Most recorded
 * users gone at once is a partial reply, not a day's departures: forgetting them would erase their
 * recorded denies and clocks. Kept, alerted, judged again next sweep.
 */
async function forgetVanished(
  run: Run,
  account: { accountId: string; records: AccountRecords; listed: readonly { name: string; id: string }[] },
  keep: { moved: ReadonlySet<string>; unrecorded: ReadonlySet<string> },
  brake: Pick<BrakeSettings, 'minMissing' | 'maxMissingShare'>,
): Promise<void> {
  const { accountId, records, listed } = account
  const seen = new Set([...listed.map((u) => u.name), ...keep.unrecorded])
  const vanished = [...records.users.keys()].filter((name) => !seen.has(name))
  if (vanished.length >= brake.minMissing && vanished.length / records.users.size > brake.maxMissingShare) {
    run.log.error(
      { event: 'alert.users-vanished', vanished: vanished.length, recorded: records.users.size },
      'most recorded users are missing from the reply; their records are kept',
    )
    return
  }
  for (const name of vanished) if (!keep.moved.has(name)) await run.store.users.forgetUser(accountId, name)
  const live = new Set(listed.map((u) => u.id))
  for (const userId of records.reports.keys())
    if (!live.has(userId)) await run.store.users.forgetReport(accountId, userId)
}

/**
 * The account's reachability, written only when it changed. `enforcedSince` is set when an enforce sweep
 * reaches the account, then kept whatever the status: an account unreachable for a day is not new when
 * it comes back.
 */
async function saveReachability(
  run: Run,
  account: { accountId: string; intent: SweepIntent; records: AccountRecords; now: Date },
  status: AccountState['status'],
  reason: string,
): Promise<void> {
  const prev = account.records.account
  const reached = status === 'reachable'
  const enforcedSince =
    prev?.enforcedSince ??
    (account.intent.mode === 'enforce' && reached ? account.now.toISOString() : undefined)
  // Set by the sweep that reached the account, which resolved its old rows before planning (legacy.ts).
  const legacyResolvedAt = prev?.legacyResolvedAt ?? (reached ? account.now.toISOString() : undefined)
  const next: AccountState = {
    accountId: account.accountId,
    name: prev?.name ?? account.accountId,
    status,
    reason,
    sweepId: account.intent.sweepId,
    updatedAt: account.now.toISOString(),
    ...(enforcedSince ? { enforcedSince } : {}),
    ...(legacyResolvedAt ? { legacyResolvedAt } : {}),
  }
  const same =
    prev &&
    prev.status === next.status &&
    prev.reason === next.reason &&
    prev.name === next.name &&
    (next.enforcedSince === undefined || prev.enforcedSince === next.enforcedSince) &&
    (next.legacyResolvedAt === undefined || prev.legacyResolvedAt === next.legacyResolvedAt)
  if (!same) await run.store.users.saveAccountState(next)
}

function countStatuses(statuses: readonly DecisionStatus[]): StatusCounts {
  const counts: StatusCounts = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

/** Decisions per status over several accounts or invocations, in the order of the status list. */
export function sumCounts(all: readonly StatusCounts[]): StatusCounts {
  const total: StatusCounts = {}
  for (const counts of all)
    for (const status of DECISION_STATUS_NAMES) {
      const n = counts[status]
      if (n) total[status] = (total[status] ?? 0) + n
    }
  return total
}
