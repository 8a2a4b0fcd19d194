import { capActionKeys } from './action-cap.js'
import { type ActionLevel, actionSeen, actionUsages } from './action-usage.js'
import { covers } from './actions/keys.js'
import { asOnboarding, daysAfter, isDue } from './notice.js'
import type {
  Attempt,
  Cancelled,
  CancelReason,
  DenyPeriod,
  LiftReason,
  ScheduledDeny,
  ServiceChange,
} from './records.js'
import type { ServiceUsage } from './types.js'

const DAY_MS = 86_400_000

export interface PlanInput {
  /** A complete Access Advisor report. Callers never pass a failed or partial one. */
  report: readonly ServiceUsage[]
  /** Services the project's live deny policies deny right now. */
  currentlyDenied: ReadonlySet<string>
  /** When the project's live policy started denying each service (ISO); absent means "from now". */
  deniedSince: Readonly<Record<string, string>>
  /** The latest attempt on each denied service already recorded (ISO), so each is reported once. */
  lastAttempts: Readonly<Record<string, string>>
  /** For services no longer denied: the last period they were (ISO bounds). Activity then was an attempt. */
  pastDenies?: Readonly<Record<string, DenyPeriod>>
  /**
   * First time each granted service was seen for this user (ISO dates), from the previous sweep.
   * Undefined when the user has never been swept: then each service counts as granted since the
   * user was created, because nothing better is known and Access Advisor covers that whole span.
   */
  firstSeen: Readonly<Record<string, string>> | undefined
  userCreateDate: Date
  now: Date
  windowDays: number
  neverDeny: ReadonlySet<string>
  /** Services the user is temporarily exempted from (never denied while the exemption lasts). */
  exemptServices: ReadonlySet<string>
  /** Denies announced by earlier sweeps and not carried out yet. */
  scheduled: Readonly<Record<string, ScheduledDeny>>
  /** Days between announcing a deny and carrying it out; 0 denies at once. */
  noticeDays: number
  /** The account's first enforce sweep: what it schedules is announced as the account's onboarding. */
  onboarding: boolean
  /** Which actions of the services a user keeps are judged one by one; absent, none are. */
  actionLevel?: ActionLevel
}

export interface DenyPlan {
  /** The desired deny set, sorted. */
  deny: string[]
  added: ServiceChange[]
  removed: ServiceChange[]
  /** First-seen dates to persist for the next sweep. */
  firstSeen: Record<string, string>
  /** New attempts on denied services, each reported once. */
  attempts: Attempt[]
  /** Denies announced and not yet carried out, after this plan. */
  scheduled: Record<string, ScheduledDeny>
  /** Services this plan schedules, sorted. */
  newlyScheduled: string[]
  /** Scheduled denies this plan drops, and why. */
  cancelled: Cancelled[]
  /** Actions judged one by one (the brake's measure of the action denies it adds). */
  judgedActions: number
  /** New action denies left out to keep the user's record within MAX_ACTION_KEYS (action-cap.ts). */
  heldBack: string[]
}

/**
 * Decides which services to deny. Pure: the same inputs always give the same plan.
 *
 * A deny stays until a person lifts it (never-deny, exemption, release). Activity on a denied service
 * is never evidence of use: Access Advisor counts denied calls, and the self-service carve-out keeps
 * `iam` calls on the user's own credentials succeeding. Such activity later than the deny is an attempt.
 * A service not denied is denied when the report shows it granted, unused within the window, and
 * granted for at least the window; activity inside a past deny period was an attempt, never use.
 *
 * Lifts differ in what follows them. A release or rollback restarts the service's clock (its first-seen
 * date becomes now): it is denied again only after a full window without use. An exemption or a
 * never-deny setting suspends the deny: once it ends, the deny comes back unless the service was used
 * while it was allowed.
 *
 * A deniable service is first scheduled NOTICE_DAYS ahead (notice.ts), and denied on a plan made on or
 * after its day, on this report: it must still be deniable then. One that stops being deniable before
 * (used, exempted, no longer granted) leaves the schedule, with the reason.
 */
export function planDenySet(input: PlanInput): DenyPlan {
  const plan: DenyPlan = {
    deny: [],
    added: [],
    removed: [],
    firstSeen: {},
    attempts: [],
    scheduled: {},
    newlyScheduled: [],
    cancelled: [],
    judgedActions: 0,
    heldBack: [],
  }
  const deny = new Set<string>()
  const reported = new Set<string>()
  for (const usage of dedupe(input.report)) {
    reported.add(usage.namespace)
    const seen =
      input.firstSeen?.[usage.namespace] ?? (input.firstSeen ? input.now : input.userCreateDate).toISOString()
    plan.firstSeen[usage.namespace] = seen
    judgeService(input, usage, plan, deny, seen)
  }
  // Then the actions of the services the user keeps: a key each, judged as a service is.
  const actions = actionUsages(
    { ...input, report: dedupe(input.report) },
    { deny, scheduled: plan.scheduled },
  )
  plan.judgedActions = actions.judged.length
  for (const usage of actions.judged) {
    reported.add(usage.namespace)
    const restarted = input.firstSeen?.[usage.namespace]
    if (restarted) plan.firstSeen[usage.namespace] = restarted
    judgeService(input, usage, plan, deny, restarted ?? actionSeen(input, plan.firstSeen, usage.namespace))
  }
  for (const key of actions.notJudged) cancelIn(input, plan, key, 'not-judged')
  const notJudged = new Set(actions.notJudged)
  for (const ns of Object.keys(input.scheduled).sort())
    if (!reported.has(ns) && !input.currentlyDenied.has(ns) && !notJudged.has(ns))
      cancelIn(input, plan, ns, 'not-granted')
  for (const ns of [...input.currentlyDenied].sort()) {
    const lift = liftReason(input, ns)
    if (lift) {
      plan.removed.push({ namespace: ns, reason: lift })
    } else {
      deny.add(ns)
      const known = input.firstSeen?.[ns]
      if (known && !plan.firstSeen[ns]) plan.firstSeen[ns] = known
    }
  }
  capActionKeys(input, plan, deny)
  plan.deny = [...deny].sort()
  plan.added.sort((a, b) => a.namespace.localeCompare(b.namespace))
  plan.newlyScheduled.sort()
  plan.cancelled.sort((a, b) => a.namespace.localeCompare(b.namespace))
  return plan
}

function cancelIn(input: PlanInput, plan: DenyPlan, ns: string, reason: CancelReason): void {
  if (input.scheduled[ns]) plan.cancelled.push({ namespace: ns, reason })
}

/** One reported service: an attempt on a deny, kept allowed (with why a schedule drops), scheduled or denied. */
function judgeService(
  input: PlanInput,
  usage: ServiceUsage,
  plan: DenyPlan,
  deny: Set<string>,
  seen: string,
): void {
  const ns = usage.namespace
  if (input.currentlyDenied.has(ns)) {
    const attempt = newAttempt(
      usage,
      input.deniedSince[ns] ?? input.now.toISOString(),
      input.lastAttempts[ns],
    )
    if (attempt) plan.attempts.push(attempt)
    return // kept or lifted by the caller, whatever the report says
  }
  const used = usedAt(usage, input.pastDenies?.[ns])
  const allowed = allowedBecause(input, ns, seen, used)
  if (allowed) {
    cancelIn(input, plan, ns, allowed)
    return
  }
  const notice = input.scheduled[ns]
  if (input.noticeDays > 0 && !resumes(input, ns, seen, used) && !(notice && isDue(notice, input.now))) {
    if (notice) plan.scheduled[ns] = notice
    else {
      plan.scheduled[ns] = {
        on: daysAfter(input.now, input.noticeDays),
        since: input.now.toISOString(),
        ...(input.onboarding ? { onboarding: true as const } : {}),
        ...(used ? { lastUsed: used.toISOString() } : {}),
      }
      plan.newlyScheduled.push(ns)
    }
    return
  }
  deny.add(ns)
  const carried = notice
    ? { scheduledOn: notice.on, ...(asOnboarding(notice, input.now) ? { onboarding: true as const } : {}) }
    : {}
  if (used) plan.added.push({ namespace: ns, reason: 'unused', lastUsed: used.toISOString(), ...carried })
  else
    plan.added.push({ namespace: ns, reason: usage.lastAuthenticated ? 'unused' : 'never-used', ...carried })
}

/** Why a service not denied stays allowed: configuration, an exemption, use within the window, or youth. */
function allowedBecause(
  input: PlanInput,
  ns: string,
  seen: string,
  used: Date | undefined,
): CancelReason | undefined {
  const windowStart = input.now.getTime() - input.windowDays * DAY_MS
  if (covers(input.neverDeny, ns)) return 'never-deny'
  if (covers(input.exemptServices, ns)) return 'exempt'
  if (used && used.getTime() >= windowStart) return 'used'
  if (Date.parse(seen) > windowStart) return 'clock-restarted' // granted too recently to judge
  return undefined
}

/**
 * A deny that an exemption or NEVER_DENY only suspended comes back as it was, with no new notice: else a
 * short exemption and one call during the notice would win the service back. Suspended, the service was
 * seen before its deny began; a release or rollback restarted its clock since.
 */
function resumes(input: PlanInput, ns: string, seen: string, used: Date | undefined): boolean {
  const period = input.pastDenies?.[ns]
  return (
    period !== undefined &&
    Date.parse(seen) < Date.parse(period.from) &&
    (!used || used.getTime() < Date.parse(period.to))
  )
}

/**
 * Lifts some denies for one reason without a report (a whole-user exemption, a release, a rollback):
 * the rest stay denied. A person's release or rollback restarts each lifted service's clock.
 */
export function liftDenies(
  currentlyDenied: ReadonlySet<string>,
  lifted: ReadonlySet<string>,
  reason: LiftReason,
  prior: {
    firstSeen: Readonly<Record<string, string>> | undefined
    scheduled: Readonly<Record<string, ScheduledDeny>>
  },
  now: Date,
): DenyPlan {
  const all = [...currentlyDenied].sort()
  const removed = all.filter((ns) => lifted.has(ns)).map((namespace) => ({ namespace, reason }))
  const firstSeen = { ...prior.firstSeen }
  const restarts = reason === 'released' || reason === 'rolled-back'
  // A scheduled deny is lifted the same way before its day: dropped, its clock restarted on a release.
  const scheduled: Record<string, ScheduledDeny> = {}
  const cancelled: Cancelled[] = []
  for (const [ns, notice] of Object.entries(prior.scheduled).sort(([a], [b]) => a.localeCompare(b))) {
    if (!lifted.has(ns)) scheduled[ns] = notice
    else cancelled.push({ namespace: ns, reason })
  }
  if (restarts)
    for (const { namespace } of [...removed, ...cancelled]) firstSeen[namespace] = now.toISOString()
  return {
    deny: all.filter((ns) => !lifted.has(ns)),
    added: [],
    removed,
    firstSeen,
    attempts: [],
    scheduled,
    newlyScheduled: [],
    cancelled,
    judgedActions: 0,
    heldBack: [],
  }
}

/** A planner-side lift: the configuration or an exemption says so. Releases go through liftDenies. */
function liftReason(input: PlanInput, ns: string): LiftReason | undefined {
  if (covers(input.neverDeny, ns)) return 'never-deny'
  if (covers(input.exemptServices, ns)) return 'exempt'
  return undefined
}

/** The last use the report proves: activity inside the last deny period was an attempt, not use. */
function usedAt(usage: ServiceUsage, period: DenyPeriod | undefined): Date | undefined {
  const at = usage.lastAuthenticated
  if (!at || !period) return at
  const t = at.getTime()
  return t >= Date.parse(period.from) && t <= Date.parse(period.to) ? undefined : at
}

/** Activity later than both the deny and the last attempt already reported. */
function newAttempt(usage: ServiceUsage, deniedSince: string, lastReported: string | undefined) {
  const at = usage.lastAuthenticated
  if (!at) return undefined
  const after = Math.max(Date.parse(deniedSince), lastReported ? Date.parse(lastReported) : 0)
  if (at.getTime() <= after) return undefined
  return {
    namespace: usage.namespace,
    at: at.toISOString(),
    ...(usage.lastRegion ? { region: usage.lastRegion } : {}),
  }
}

/** Keeps the most recent use when a report lists a namespace twice (it should not, but it costs nothing). */
export function dedupe(report: readonly ServiceUsage[]): ServiceUsage[] {
  const byNs = new Map<string, ServiceUsage>()
  for (const usage of report) {
    const prev = byNs.get(usage.namespace)
    const prevTime = prev?.lastAuthenticated?.getTime() ?? -1
    if (!prev || (usage.lastAuthenticated?.getTime() ?? -1) > prevTime) byNs.set(usage.namespace, usage)
  }
  return [...byNs.values()]
}
