import type { DecisionStatus, Mode } from './decision.js'
import { nextScheduledDay } from './notice.js'
import type { DenyPeriod, UserDecision, UserState } from './records.js'

/**
 * The state a decision leads to. First-seen dates survive sweeps that read no report (exempt, error,
 * too-young), so that a grant's age is never reset by a failure. `unchanged` is an event, not a
 * standing: a user whose enforced deny is still exactly in force stays `enforced`. A deny's start date
 * is kept for as long as the service stays denied, and set the first time it is seen live; when the
 * deny is lifted, its period is kept. A schedule is only kept from enforce mode (a plan announces
 * nothing), and survives decisions that planned nothing, like first-seen dates.
 */
export function nextUserState(
  prev: UserState | undefined,
  decision: UserDecision,
  sweepId: string,
  now: Date,
  mode: Mode = 'enforce',
): UserState {
  const firstSeen = decision.firstSeen ?? prev?.firstSeen
  const scheduled = (mode === 'enforce' ? decision.scheduled : undefined) ?? prev?.scheduled
  const nextScheduled = nextScheduledDay(scheduled)
  const standing = standingOf(prev, decision)
  const attemptAt = new Map((decision.attempts ?? []).map((a) => [a.namespace, a.at]))
  const deniedSince: Record<string, string> = {}
  const lastAttempts: Record<string, string> = {}
  for (const ns of decision.denied) {
    deniedSince[ns] = prev?.deniedSince?.[ns] ?? now.toISOString()
    const latest = [prev?.lastAttempts?.[ns], attemptAt.get(ns)]
      .filter((t): t is string => !!t)
      .sort()
      .at(-1)
    if (latest) lastAttempts[ns] = latest
  }
  const pastDenies: Record<string, DenyPeriod> = {}
  for (const [ns, period] of Object.entries(prev?.pastDenies ?? {}))
    if (!deniedSince[ns]) pastDenies[ns] = period
  for (const ns of prev?.denied ?? []) {
    if (deniedSince[ns]) continue
    const from = prev?.deniedSince?.[ns] ?? prev?.updatedAt ?? now.toISOString()
    pastDenies[ns] = { from, to: now.toISOString() }
  }
  return {
    accountId: decision.accountId,
    userName: decision.userName,
    userId: decision.userId,
    userArn: decision.userArn,
    ...standing,
    denied: decision.denied,
    deniedSince,
    lastAttempts,
    ...(Object.keys(pastDenies).length > 0 ? { pastDenies } : {}),
    ...(decision.exemptTag ? { exemptTag: decision.exemptTag } : {}),
    ...(decision.honouredTag ? { honouredTag: decision.honouredTag } : {}),
    policyArns: decision.policyArns,
    policyDigests: decision.policyDigests,
    ...(firstSeen ? { firstSeen } : {}),
    ...(scheduled && nextScheduled ? { scheduled, nextScheduled } : {}),
    sweepId,
    updatedAt: now.toISOString(),
  }
}

function standingOf(prev: UserState | undefined, decision: UserDecision) {
  if (decision.status !== 'unchanged' || !prev) return { status: decision.status, reason: decision.reason }
  if (prev.status === 'enforced') return { status: prev.status, reason: prev.reason }
  if (prev.status === 'released' && decision.denied.length > 0)
    return { status: 'enforced' as DecisionStatus, reason: decision.reason }
  return { status: decision.status, reason: decision.reason }
}

/** Whether anything an auditor cares about differs (the sweep id and timestamp alone do not count). */
export function stateChanged(prev: UserState | undefined, next: UserState): boolean {
  if (!prev) return true
  const { sweepId: _a, updatedAt: _b, version: _v, ...a } = prev
  const { sweepId: _c, updatedAt: _d, version: _w, ...b } = next
  return canonical(a) !== canonical(b)
}

/** A history row is due when the deny set, the status or the user's name changed. */
export function isChange(prev: UserState | undefined, next: UserState): boolean {
  return (
    !prev ||
    prev.status !== next.status ||
    prev.userName !== next.userName ||
    prev.denied.join(',') !== next.denied.join(',')
  )
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
