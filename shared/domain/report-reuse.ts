import type { StoredReport } from './records.js'
import type { ServiceUsage } from './types.js'

/**
 * When the last complete Access Advisor report may stand in for a fresh read. A user's standing can
 * only change in a way that needs a read when a service crosses the window (known from the report's own
 * dates), when what grants the user permissions changed, or when the report grows old; anything else
 * the stored report answers as well as a new one.
 *
 * The invariant: no deny is ever added without a complete report read in the same sweep. The caller
 * plans with the stored report, and reuses it only when that plan adds nothing.
 */
export interface StoredUsage {
  readAt: Date
  /** Read at action level (every service carries its actions); one from before says nothing of actions. */
  actionLevel?: boolean
  /** The user's grants digest when the report was read. */
  grantsDigest?: string
}

export type ReadReason =
  | 'no-report'
  | 'implausible'
  | 'full-sweep'
  | 'grants-changed'
  | 'stale'
  | 'refresh-day'
  | 'action-level'

const DAY_MS = 86_400_000

/**
 * A user the credential report shows quiet since the read (credentials/quiet.ts) is still read this many
 * REFRESH_DAYS apart: a grant the digest cannot see (an AWS managed policy's new version) shows only in a
 * fresh report.
 */
export const QUIET_REFRESH_CYCLES = 2

/**
 * The day of each REFRESH_DAYS cycle on which a user's report is read again: spread by UserId, so that
 * an organization read all at once (its first sweep) is not read all at once again a cycle later.
 */
export function refreshSlot(userId: string, refreshDays: number): number {
  let hash = 0
  for (const c of userId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0
  return hash % refreshDays
}

/** Why a fresh read is needed, before any plan is made; undefined when the stored report may serve. */
export function readNeeded(input: {
  stored: StoredUsage | undefined
  userId: string
  grantsDigest: string
  now: Date
  refreshDays: number
  full: boolean
  /** Actions are judged: a report read at service level cannot say which are unused. */
  actionLevel?: boolean
  /** The credential report shows nothing used since the read: a fresh one would say the same. */
  quiet?: boolean
}): ReadReason | undefined {
  const { stored } = input
  if (!stored) return 'no-report'
  // A report "read" after now (or at no time at all) is no report of ours: it would never grow old.
  if (!(stored.readAt.getTime() <= input.now.getTime())) return 'implausible'
  if (input.full) return 'full-sweep'
  if (stored.grantsDigest !== input.grantsDigest) return 'grants-changed'
  if (input.actionLevel && !stored.actionLevel) return 'action-level'
  // Ages in calendar days (UTC): a report kept minutes after yesterday's sweep began is a day old today.
  const today = Math.floor(input.now.getTime() / DAY_MS)
  const age = today - Math.floor(stored.readAt.getTime() / DAY_MS)
  if (input.quiet && age < input.refreshDays * QUIET_REFRESH_CYCLES) return undefined
  if (age >= input.refreshDays) return 'stale'
  if (age >= 1 && today % input.refreshDays === refreshSlot(input.userId, input.refreshDays))
    return 'refresh-day'
  return undefined
}

/** How far ahead of the sweep's clock a use may be dated and still be taken as clock skew. */
const SKEW_MS = 3_600_000

/**
 * The first service a fresh report says was used after now: no report to act on. On a denied service it
 * would stand as the latest attempt and hide the real ones before it; anywhere else it would be use.
 */
export function usedAhead(services: readonly ServiceUsage[], now: Date): string | undefined {
  const ahead = (at: Date | undefined) => at !== undefined && at.getTime() > now.getTime() + SKEW_MS
  for (const s of services) {
    if (ahead(s.lastAuthenticated)) return s.namespace
    const action = s.actions?.find((a) => ahead(a.lastAccessed))
    if (action) return `${s.namespace}:${action.name}`
  }
  return undefined
}

/** A report as the state table keeps it (records.ts StoredReport), and back. */
export function storedServices(services: readonly ServiceUsage[]): StoredReport['services'] {
  return services.map((s) => ({
    namespace: s.namespace,
    ...(s.lastAuthenticated ? { lastAuthenticated: s.lastAuthenticated.toISOString() } : {}),
    ...(s.lastRegion ? { lastRegion: s.lastRegion } : {}),
    ...(s.actions
      ? {
          actions: s.actions.map((a) => ({
            name: a.name,
            at: a.lastAccessed.toISOString(),
            ...(a.region ? { region: a.region } : {}),
          })),
        }
      : {}),
  }))
}

export function servicesOf(stored: StoredReport['services']): ServiceUsage[] {
  return stored.map((s) => ({
    namespace: s.namespace,
    ...(s.lastAuthenticated ? { lastAuthenticated: new Date(s.lastAuthenticated) } : {}),
    ...(s.lastRegion ? { lastRegion: s.lastRegion } : {}),
    ...(s.actions
      ? {
          actions: s.actions.map((a) => ({
            name: a.name,
            lastAccessed: new Date(a.at),
            ...(a.region ? { region: a.region } : {}),
          })),
        }
      : {}),
  }))
}
