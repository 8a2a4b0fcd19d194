import type { ServiceUsage } from './types.js'

const DAY_MS = 86_400_000

export interface PlanInput {
  /** A complete Access Advisor report. Callers never pass a failed or partial one. */
  report: readonly ServiceUsage[]
  /** Services the project's live deny policies deny right now. */
  currentlyDenied: ReadonlySet<string>
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
}

export type ChangeReason =
  | 'unused'
  | 'never-used'
  | 'used'
  | 'never-deny'
  | 'exempt'
  | 'no-longer-granted'
  | 'rolled-back'

export interface ServiceChange {
  namespace: string
  reason: ChangeReason
  /** When the service was last used, for `unused` and `used`. */
  lastUsed?: string
}

export interface DenyPlan {
  /** The desired deny set, sorted. */
  deny: string[]
  added: ServiceChange[]
  removed: ServiceChange[]
  /** First-seen dates to persist for the next sweep. */
  firstSeen: Record<string, string>
}

/**
 * Decides which services to deny. Pure: the same inputs always give the same plan.
 *
 * A service is denied when the report shows it granted, it was not used within the window, and it has
 * been granted for at least the window. A service already denied that the report no longer lists stays
 * denied: Access Advisor may leave explicitly denied services out, and dropping the deny would open a
 * service the user may still be granted. Never-deny and exempt services are never denied.
 */
export function planDenySet(input: PlanInput): DenyPlan {
  const windowStart = input.now.getTime() - input.windowDays * DAY_MS
  const firstSeen: Record<string, string> = {}
  const deny = new Set<string>()
  const reasonFor = new Map<string, ServiceChange>()

  for (const usage of dedupe(input.report)) {
    const ns = usage.namespace
    const seen = input.firstSeen?.[ns] ?? (input.firstSeen ? input.now : input.userCreateDate).toISOString()
    firstSeen[ns] = seen
    const lastUsed = usage.lastAuthenticated?.toISOString()

    if (input.neverDeny.has(ns)) {
      reasonFor.set(ns, { namespace: ns, reason: 'never-deny' })
    } else if (input.exemptServices.has(ns)) {
      reasonFor.set(ns, { namespace: ns, reason: 'exempt' })
    } else if (usage.lastAuthenticated && usage.lastAuthenticated.getTime() >= windowStart) {
      reasonFor.set(ns, { namespace: ns, reason: 'used', ...(lastUsed ? { lastUsed } : {}) })
    } else if (input.currentlyDenied.has(ns) || Date.parse(seen) <= windowStart) {
      deny.add(ns)
      reasonFor.set(
        ns,
        lastUsed ? { namespace: ns, reason: 'unused', lastUsed } : { namespace: ns, reason: 'never-used' },
      )
    }
    // Otherwise: granted too recently to judge; neither denied nor a change.
  }

  for (const ns of input.currentlyDenied) {
    if (reasonFor.has(ns)) continue
    if (input.neverDeny.has(ns)) reasonFor.set(ns, { namespace: ns, reason: 'never-deny' })
    else if (input.exemptServices.has(ns)) reasonFor.set(ns, { namespace: ns, reason: 'exempt' })
    else deny.add(ns)
  }

  const sorted = [...deny].sort()
  const added = sorted.filter((ns) => !input.currentlyDenied.has(ns)).map((ns) => reasonOf(reasonFor, ns))
  const removed = [...input.currentlyDenied]
    .filter((ns) => !deny.has(ns))
    .sort()
    .map((ns) => reasonFor.get(ns) ?? { namespace: ns, reason: 'no-longer-granted' as const })
  return { deny: sorted, added, removed, firstSeen }
}

function reasonOf(reasons: Map<string, ServiceChange>, ns: string): ServiceChange {
  return reasons.get(ns) ?? { namespace: ns, reason: 'never-used' }
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
