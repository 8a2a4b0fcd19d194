import type { DecisionStatus, UserDecision } from './decision.js'

/** The current state kept per user between sweeps (the audit's "where does this user stand"). */
export interface UserState {
  accountId: string
  userName: string
  userArn: string
  status: DecisionStatus
  reason: string
  denied: string[]
  policyArns: string[]
  policyDigests: string[]
  /** First time each granted service was seen; absent until a report has been read for the user. */
  firstSeen?: Record<string, string>
  /** Sweep that last changed this row. */
  sweepId: string
  updatedAt: string
}

/**
 * The state a decision leads to. First-seen dates survive sweeps that read no report (exempt, error,
 * too-young), so that a grant's age is never reset by a failure. `unchanged` is an event, not a
 * standing: a user whose enforced deny is still exactly in force stays `enforced`.
 */
export function nextUserState(
  prev: UserState | undefined,
  decision: UserDecision,
  sweepId: string,
  now: Date,
): UserState {
  const firstSeen = decision.firstSeen ?? prev?.firstSeen
  const stillEnforced = decision.status === 'unchanged' && prev?.status === 'enforced'
  return {
    accountId: decision.accountId,
    userName: decision.userName,
    userArn: decision.userArn,
    status: stillEnforced ? prev.status : decision.status,
    reason: stillEnforced ? prev.reason : decision.reason,
    denied: decision.denied,
    policyArns: decision.policyArns,
    policyDigests: decision.policyDigests,
    ...(firstSeen ? { firstSeen } : {}),
    sweepId,
    updatedAt: now.toISOString(),
  }
}

/** Whether anything an auditor cares about differs (the sweep id and timestamp alone do not count). */
export function stateChanged(prev: UserState | undefined, next: UserState): boolean {
  if (!prev) return true
  const { sweepId: _a, updatedAt: _b, ...a } = prev
  const { sweepId: _c, updatedAt: _d, ...b } = next
  return canonical(a) !== canonical(b)
}

/** A history row is due when the deny set or the status changed. */
export function isChange(prev: UserState | undefined, next: UserState): boolean {
  return !prev || prev.status !== next.status || prev.denied.join(',') !== next.denied.join(',')
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)),
        )
      : v,
  )
}
