/** How much one sweep may newly restrict in an account before it stops and asks for confirmation. */
export interface BrakeSettings {
  /** Largest share of evaluated users that may gain denies in one sweep. */
  maxUserShare: number
  /** Largest share of granted services that may become denied in one sweep. */
  maxServiceShare: number
  /** Below this many newly restricted users the user share is not judged (small accounts). */
  minUsers: number
  /** Below this many newly denied services the service share is not judged. */
  minServices: number
}

export interface BlastRadius {
  /** Users whose Access Advisor report was read. */
  usersEvaluated: number
  usersNewlyRestricted: number
  /** Services granted to the evaluated users, summed. */
  servicesGranted: number
  servicesNewlyDenied: number
}

export type BrakeVerdict = { tripped: false } | { tripped: true; reason: string }

/**
 * An Access Advisor outage looks like "nothing was used": every user would suddenly lose everything.
 * The brake trips when a sweep would newly restrict far more than a day's drift.
 */
export function assessBlastRadius(radius: BlastRadius, settings: BrakeSettings): BrakeVerdict {
  const userShare = radius.usersEvaluated ? radius.usersNewlyRestricted / radius.usersEvaluated : 0
  const serviceShare = radius.servicesGranted ? radius.servicesNewlyDenied / radius.servicesGranted : 0
  const percent = (x: number) => `${Math.round(x * 100)}%`
  if (radius.usersNewlyRestricted >= settings.minUsers && userShare > settings.maxUserShare) {
    return {
      tripped: true,
      reason: `${radius.usersNewlyRestricted} of ${radius.usersEvaluated} users (${percent(userShare)}) would be newly restricted, above ${percent(settings.maxUserShare)}`,
    }
  }
  if (radius.servicesNewlyDenied >= settings.minServices && serviceShare > settings.maxServiceShare) {
    return {
      tripped: true,
      reason: `${radius.servicesNewlyDenied} of ${radius.servicesGranted} granted services (${percent(serviceShare)}) would be newly denied, above ${percent(settings.maxServiceShare)}`,
    }
  }
  return { tripped: false }
}
