import type { UserDecision } from './decision.js'
import type { ChangeRecord } from './records.js'
import type { Mode } from './types.js'
import { isChange, nextUserState, stateChanged, type UserState } from './user-state.js'

/** The rows a decision writes: the user's new state (only when it changed) and its history rows. */
export interface DecisionRows {
  state?: UserState
  history: ChangeRecord[]
}

/**
 * Which rows a decision writes, planned before anything is written (as IAM writes are): a history row
 * per tampering found and per new attempt on a denied service, then the user's state row and a history
 * row, each only when something an auditor cares about changed. A steady-state sweep plans nothing.
 */
export function rowsForDecision(
  prev: UserState | undefined,
  decision: UserDecision,
  run: { sweepId: string; mode: Mode; now: Date; actor?: string },
): DecisionRows {
  const { sweepId, mode, now } = run
  const next = nextUserState(prev, decision, sweepId, now, mode)
  const common = {
    accountId: next.accountId,
    userName: next.userName,
    userId: decision.userId,
    sweepId,
    mode,
    ...(prev ? { previousStatus: prev.status } : {}),
  }
  const history: ChangeRecord[] = []
  if (decision.tampered?.length) {
    history.push({
      ...common,
      at: new Date(now.getTime() - 1).toISOString(), // sorts before the change that restores it
      status: 'tampered',
      added: [],
      removed: [],
      denied: prev?.denied ?? [],
      reason: decision.tampered.map((t) => `${t.kind}: ${t.policyArn}`).join('; '),
    })
  }
  for (const attempt of decision.attempts ?? []) {
    history.push({
      ...common,
      at: now.toISOString(),
      status: 'attempt',
      added: [],
      removed: [],
      denied: next.denied,
      attempt,
      reason: `tried denied service ${attempt.namespace} at ${attempt.at}${attempt.region ? ` in ${attempt.region}` : ''}; the deny stays`,
    })
  }
  // A plan announces nothing: only enforce mode schedules or cancels.
  const newly = mode === 'enforce' ? (decision.newlyScheduled ?? []) : []
  if (newly.length > 0) {
    const scheduled = newly.map((namespace) => ({ namespace, on: next.scheduled?.[namespace]?.on ?? '' }))
    history.push({
      ...common,
      at: now.toISOString(),
      status: 'scheduled',
      added: [],
      removed: [],
      denied: next.denied,
      scheduled,
      reason: `deny scheduled: ${scheduled.map((s) => `${s.namespace} on ${s.on}`).join(', ')}`,
    })
  }
  const cancelled = mode === 'enforce' ? (decision.cancelled ?? []) : []
  if (cancelled.length > 0) {
    history.push({
      ...common,
      at: now.toISOString(),
      status: 'schedule-cancelled',
      added: [],
      removed: [],
      denied: next.denied,
      cancelled,
      reason: `scheduled deny cancelled: ${cancelled.map((c) => `${c.namespace} (${c.reason})`).join(', ')}`,
      ...(run.actor ? { actor: run.actor } : {}),
    })
  }
  if (!stateChanged(prev, next)) return { history }
  if (isChange(prev, next)) {
    history.push({
      ...common,
      at: now.toISOString(),
      status: next.status,
      added: decision.added,
      removed: decision.removed,
      denied: next.denied,
      reason:
        prev && prev.userName !== next.userName
          ? `${next.reason} (renamed from ${prev.userName})`
          : next.reason,
      ...(run.actor ? { actor: run.actor } : {}),
    })
  }
  return { state: next, history }
}
