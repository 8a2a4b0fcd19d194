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
  /** The user's grants digest when the report was read. */
  grantsDigest?: string
}

export type ReadReason = 'no-report' | 'full-sweep' | 'grants-changed' | 'stale' | 'would-deny'

/** Why a fresh read is needed, before any plan is made; undefined when the stored report may serve. */
export function readNeeded(input: {
  stored: StoredUsage | undefined
  grantsDigest: string
  now: Date
  refreshDays: number
  full: boolean
}): ReadReason | undefined {
  const { stored } = input
  if (!stored) return 'no-report'
  if (input.full) return 'full-sweep'
  if (stored.grantsDigest !== input.grantsDigest) return 'grants-changed'
  if (input.now.getTime() - stored.readAt.getTime() >= input.refreshDays * 86_400_000) return 'stale'
  return undefined
}
