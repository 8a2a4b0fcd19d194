/** How much one sweep may change in an account before it stops and asks for confirmation. */
export interface BrakeSettings {
  /** Largest share of evaluated users that may gain denies in one sweep. */
  maxUserShare: number
  /** Largest share of granted services that may become denied in one sweep. */
  maxServiceShare: number
  /** Below this many newly restricted users the user share is not judged (small accounts). */
  minUsers: number
  /** Below this many newly denied services the service share is not judged. */
  minServices: number
  /** Largest share of the account's active denies that may be lifted in one sweep. */
  maxLiftShare: number
}

export interface BlastRadius {
  /** Users whose Access Advisor report was read. */
  usersEvaluated: number
  usersNewlyRestricted: number
  /** Services granted to the evaluated users, summed. */
  servicesGranted: number
  servicesNewlyDenied: number
  /** Denies live before the sweep, summed over every user of the account. */
  activeDenies: number
  usersLifted: number
  servicesLifted: number
}

export type BrakeVerdict = { tripped: false } | { tripped: true; reason: string }

/**
 * An Access Advisor outage looks like "nothing was used": every user would suddenly lose everything.
 * A mistaken never-deny list or a wave of exemption tags looks like the opposite. The brake trips when
 * a sweep would newly restrict, or lift, far more than a day's drift.
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
  const liftShare = radius.activeDenies ? radius.servicesLifted / radius.activeDenies : 0
  if (radius.usersLifted >= settings.minUsers && liftShare > settings.maxLiftShare) {
    return {
      tripped: true,
      reason: `${radius.servicesLifted} of ${radius.activeDenies} active denies (${percent(liftShare)}) across ${radius.usersLifted} users would be lifted, above ${percent(settings.maxLiftShare)}`,
    }
  }
  return { tripped: false }
}
