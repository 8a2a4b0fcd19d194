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
  /** Largest share of the policies recorded last sweep that may be found missing in one sweep. */
  maxMissingShare: number
  /** Below this many missing policies the missing share is not judged. */
  minMissing: number
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
  /** Policies the last sweep recorded, and how many of them are gone now. */
  recordedPolicies: number
  missingPolicies: number
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
  // Every policy vanishing at once is an anomaly (a partial reply, a mass deletion), not a day's drift.
  const missingShare = radius.recordedPolicies ? radius.missingPolicies / radius.recordedPolicies : 0
  if (radius.missingPolicies >= settings.minMissing && missingShare > settings.maxMissingShare) {
    return {
      tripped: true,
      reason: `${radius.missingPolicies} of ${radius.recordedPolicies} policies recorded last sweep (${percent(missingShare)}) are missing, above ${percent(settings.maxMissingShare)}`,
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
