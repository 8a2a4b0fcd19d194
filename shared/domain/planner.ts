import {
  asOnboarding,
  type Cancelled,
  type CancelReason,
  daysAfter,
  isDue,
  type ScheduledDeny,
} from './notice.js'
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
}

export interface DenyPeriod {
  from: string
  to: string
}

/** Why a service became denied. */
export type AddReason = 'unused' | 'never-used'
/** Why a deny was lifted: only a person's decision ever lifts one. */
export type LiftReason = 'never-deny' | 'exempt' | 'released' | 'rolled-back'
export type ChangeReason = AddReason | LiftReason

export interface ServiceChange {
  namespace: string
  reason: ChangeReason
  /** When the service was last used, for `unused`. */
  lastUsed?: string
  /** The day a deny carried out had been scheduled for. */
  scheduledOn?: string
  /** Carried out from the account's onboarding schedule (see ScheduledDeny). */
  onboarding?: true
}

/** Activity on a service the project denies: Access Advisor counts denied calls, so it is an attempt. */
export interface Attempt {
  namespace: string
  /** Time of the attempt (ISO). */
  at: string
  region?: string
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
  const windowStart = input.now.getTime() - input.windowDays * DAY_MS
  const nowIso = input.now.toISOString()
  const firstSeen: Record<string, string> = {}
  const deny = new Set<string>()
  const added: ServiceChange[] = []
  const attempts: Attempt[] = []
  const scheduled: Record<string, ScheduledDeny> = {}
  const newlyScheduled: string[] = []
  const cancelled: Cancelled[] = []
  const cancel = (ns: string, reason: CancelReason) => {
    if (input.scheduled[ns]) cancelled.push({ namespace: ns, reason })
  }
  const reported = new Set<string>()

  for (const usage of dedupe(input.report)) {
    const ns = usage.namespace
    reported.add(ns)
    const seen = input.firstSeen?.[ns] ?? (input.firstSeen ? input.now : input.userCreateDate).toISOString()
    firstSeen[ns] = seen
    const lastUsed = usage.lastAuthenticated?.toISOString()

    if (input.currentlyDenied.has(ns)) {
      const attempt = newAttempt(usage, input.deniedSince[ns] ?? nowIso, input.lastAttempts[ns])
      if (attempt) attempts.push(attempt)
      continue // kept or lifted below, whatever the report says
    }
    if (input.neverDeny.has(ns)) {
      cancel(ns, 'never-deny')
      continue
    }
    if (input.exemptServices.has(ns)) {
      cancel(ns, 'exempt')
      continue
    }
    const used = usedAt(usage, input.pastDenies?.[ns])
    if (used && used.getTime() >= windowStart) {
      cancel(ns, 'used')
      continue
    }
    if (Date.parse(seen) > windowStart) {
      cancel(ns, 'clock-restarted')
      continue // granted too recently to judge
    }
    const notice = input.scheduled[ns]
    // A deny that an exemption or NEVER_DENY only suspended comes back as it was, with no new notice:
    // else a short exemption and one call during the notice would win the service back. Suspended, the
    // service was seen before its deny began; a release or rollback restarted its clock since.
    const period = input.pastDenies?.[ns]
    const resumed =
      period !== undefined &&
      Date.parse(seen) < Date.parse(period.from) &&
      (!used || used.getTime() < Date.parse(period.to))
    if (input.noticeDays > 0 && !resumed && !(notice && isDue(notice, input.now))) {
      if (notice) scheduled[ns] = notice
      else {
        scheduled[ns] = {
          on: daysAfter(input.now, input.noticeDays),
          since: nowIso,
          ...(input.onboarding ? { onboarding: true as const } : {}),
        }
        newlyScheduled.push(ns)
      }
      continue
    }
    deny.add(ns)
    const carried = notice
      ? { scheduledOn: notice.on, ...(asOnboarding(notice, input.now) ? { onboarding: true as const } : {}) }
      : {}
    if (used) added.push({ namespace: ns, reason: 'unused', lastUsed: used.toISOString(), ...carried })
    else added.push({ namespace: ns, reason: lastUsed ? 'unused' : 'never-used', ...carried })
  }
  for (const ns of Object.keys(input.scheduled).sort())
    if (!reported.has(ns) && !input.currentlyDenied.has(ns)) cancel(ns, 'not-granted')

  const removed: ServiceChange[] = []
  for (const ns of [...input.currentlyDenied].sort()) {
    const lift = liftReason(input, ns)
    if (lift) {
      removed.push({ namespace: ns, reason: lift })
    } else {
      deny.add(ns)
      const known = input.firstSeen?.[ns]
      if (known && !firstSeen[ns]) firstSeen[ns] = known
    }
  }

  return {
    deny: [...deny].sort(),
    added: added.sort((a, b) => a.namespace.localeCompare(b.namespace)),
    removed,
    firstSeen,
    attempts,
    scheduled,
    newlyScheduled: newlyScheduled.sort(),
    cancelled: cancelled.sort((a, b) => a.namespace.localeCompare(b.namespace)),
  }
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
  }
}

/** A planner-side lift: the configuration or an exemption says so. Releases go through liftDenies. */
function liftReason(input: PlanInput, ns: string): LiftReason | undefined {
  if (input.neverDeny.has(ns)) return 'never-deny'
  if (input.exemptServices.has(ns)) return 'exempt'
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
function dedupe(report: readonly ServiceUsage[]): ServiceUsage[] {
  const byNs = new Map<string, ServiceUsage>()
  for (const usage of report) {
    const prev = byNs.get(usage.namespace)
    const prevTime = prev?.lastAuthenticated?.getTime() ?? -1
    if (!prev || (usage.lastAuthenticated?.getTime() ?? -1) > prevTime) byNs.set(usage.namespace, usage)
  }
  return [...byNs.values()]
}
