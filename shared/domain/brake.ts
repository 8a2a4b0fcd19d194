import { isActionKey } from './actions/keys.js'

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
  /** Largest share of one user's denies one sweep may lift; more holds that user's lift. */
  maxUserLiftShare: number
  /** Below this many of one user's denies lifted at once the user's share is not judged. */
  minUserLift: number
  /** Largest share of the actions judged one by one that may become denied in one sweep. */
  maxActionShare: number
  /** Below this many newly denied actions the action share is not judged. */
  minActions: number
}

/**
 * Lifting most of one user's denies at once is a large change too, whatever the account's totals: a
 * forged or mistaken exemption would do it. Such a lift is held for that user until an operator confirms.
 */
export function userLiftHeld(
  lift: { lifted: number; activeDenies: number },
  settings: Pick<BrakeSettings, 'maxUserLiftShare' | 'minUserLift'>,
): string | undefined {
  const share = lift.activeDenies ? lift.lifted / lift.activeDenies : 0
  if (lift.lifted < settings.minUserLift || share <= settings.maxUserLiftShare) return undefined
  return `${lift.lifted} of the user's ${lift.activeDenies} denies (${Math.round(share * 100)}%) would be lifted at once, above ${Math.round(settings.maxUserLiftShare * 100)}%`
}

export interface BlastRadius {
  /** Users whose Access Advisor report was read. */
  usersEvaluated: number
  usersNewlyRestricted: number
  /** Services granted to the evaluated users, summed. */
  servicesGranted: number
  servicesNewlyDenied: number
  /** Actions judged one by one for the users who gain action denies, summed, and how many become denied. */
  actionsJudged: number
  actionsNewlyDenied: number
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
  // Every policy vanishing at once is an anomaly (a partial reply, a mass deletion), not a day's drift;
  // said first, as what putting them back would restrict follows from it.
  const missingShare = radius.recordedPolicies ? radius.missingPolicies / radius.recordedPolicies : 0
  if (radius.missingPolicies >= settings.minMissing && missingShare > settings.maxMissingShare) {
    return {
      tripped: true,
      reason: `${radius.missingPolicies} of ${radius.recordedPolicies} policies recorded last sweep (${percent(missingShare)}) are missing, above ${percent(settings.maxMissingShare)}`,
    }
  }
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
  // Its own share: a user keeps few services and many actions, so one measure would hide the other.
  const actionShare = radius.actionsJudged ? radius.actionsNewlyDenied / radius.actionsJudged : 0
  if (radius.actionsNewlyDenied >= settings.minActions && actionShare > settings.maxActionShare) {
    return {
      tripped: true,
      reason: `${radius.actionsNewlyDenied} of ${radius.actionsJudged} judged actions of kept services (${percent(actionShare)}) would be newly denied, above ${percent(settings.maxActionShare)}`,
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

/** What one user's plan adds to the account's blast radius. */
export interface UserRadius {
  decision: {
    added: readonly { namespace: string; onboarding?: true | undefined }[]
    removed: readonly unknown[]
  }
  /** Services in the user's report; absent when no report was read (not evaluated). */
  granted?: number
  judgedActions?: number
  activeDenies: number
  /** Services put back on the record's word alone: counted as new denies, report or not. */
  restored?: number
  recordedPolicies: number
  missingPolicies: number
  recentUse?: boolean
}

export function measureBlastRadius(plans: readonly UserRadius[]): BlastRadius {
  const evaluated = plans.filter((p) => p.granted !== undefined)
  // An account's onboarding was announced whole, on purpose: what it carries out is not a day's drift.
  // Unless the user's own report, read that day, shows no use at all: that is what an outage's reply
  // looks like (another user's healthy report, or a stored one of a good day, proves nothing about it).
  const restricting = (p: UserRadius) => p.decision.added.filter((c) => !(p.recentUse && c.onboarding))
  const services = (p: UserRadius) => restricting(p).filter((c) => !isActionKey(c.namespace)).length
  const actions = (p: UserRadius) => restricting(p).length - services(p)
  const lifting = plans.filter((p) => p.decision.removed.length > 0)
  return {
    usersEvaluated: evaluated.length,
    usersNewlyRestricted: plans.filter(
      (p) => (p.granted !== undefined && restricting(p).length > 0) || (p.restored ?? 0) > 0,
    ).length,
    servicesGranted: evaluated.reduce((n, p) => n + (p.granted ?? 0), 0),
    servicesNewlyDenied:
      evaluated.reduce((n, p) => n + services(p), 0) + plans.reduce((n, p) => n + (p.restored ?? 0), 0),
    // Judged over the users who gain action denies: a day's drift is a few actions crossing the window,
    // a first wave most of a user's actions; users who gain none would only dilute the share.
    actionsJudged: evaluated.filter((p) => actions(p) > 0).reduce((n, p) => n + (p.judgedActions ?? 0), 0),
    actionsNewlyDenied: evaluated.reduce((n, p) => n + actions(p), 0),
    activeDenies: plans.reduce((n, p) => n + p.activeDenies, 0),
    usersLifted: lifting.length,
    servicesLifted: lifting.reduce((n, p) => n + p.decision.removed.length, 0),
    recordedPolicies: plans.reduce((n, p) => n + p.recordedPolicies, 0),
    missingPolicies: plans.reduce((n, p) => n + p.missingPolicies, 0),
  }
}
