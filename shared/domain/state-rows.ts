import type { Mode } from './decision.js'
import { newNotices } from './notice.js'
import type { ChangeRecord, UserDecision, UserState } from './records.js'
import { isChange, nextUserState, stateChanged } from './user-state.js'

/** The rows a decision writes: the user's new state (only when it changed) and its history rows. */
export interface DecisionRows {
  state?: UserState
  history: ChangeRecord[]
}

/** The run a decision belongs to, as its rows name it. */
export interface RunStamp {
  sweepId: string
  mode: Mode
  now: Date
  /** The operator, on operator actions. */
  actor?: string
}

type Common = Pick<ChangeRecord, 'accountId' | 'userName' | 'userId' | 'sweepId' | 'mode' | 'previousStatus'>

/**
 * Which rows a decision writes, planned before anything is written (as IAM writes are): a history row
 * per tampering found and per new attempt on a denied service, then the user's state row and a history
 * row, each only when something an auditor cares about changed. A steady-state sweep plans nothing.
 */
export function rowsForDecision(
  prev: UserState | undefined,
  decision: UserDecision,
  run: RunStamp,
): DecisionRows {
  const next = nextUserState(prev, decision, run.sweepId, run.now, run.mode)
  const common: Common = {
    accountId: next.accountId,
    userName: next.userName,
    userId: decision.userId,
    sweepId: run.sweepId,
    mode: run.mode,
    ...(prev ? { previousStatus: prev.status } : {}),
  }
  const row = (fields: Omit<ChangeRecord, keyof Common | 'added' | 'removed' | 'at'>): ChangeRecord => ({
    ...common,
    at: run.now.toISOString(),
    added: [],
    removed: [],
    ...fields,
  })
  const history = [
    ...tamperRows(prev, decision, common, run.now),
    ...(decision.attempts ?? []).map((attempt) =>
      row({
        status: 'attempt',
        denied: next.denied,
        attempt,
        reason: `tried denied service ${attempt.namespace} at ${attempt.at}${attempt.region ? ` in ${attempt.region}` : ''}; the deny stays`,
      }),
    ),
    ...noticeRows(decision, next, run, row),
    ...(decision.exemptionRequest
      ? [
          row({
            status: 'exemption-requested',
            denied: next.denied,
            reason: `tagged ${decision.exemptionRequest} while holding denies: a request, nothing lifted; an operator grants it with \`least-privilege exempt\``,
          }),
        ]
      : []),
  ]
  if (!stateChanged(prev, next)) return { history }
  if (isChange(prev, next)) {
    history.push({
      ...row({
        status: next.status,
        denied: next.denied,
        reason:
          prev && prev.userName !== next.userName
            ? `${next.reason} (renamed from ${prev.userName})`
            : next.reason,
        ...(run.actor ? { actor: run.actor } : {}),
      }),
      added: decision.added,
      removed: decision.removed,
    })
  }
  return { state: next, history }
}

function tamperRows(
  prev: UserState | undefined,
  decision: UserDecision,
  common: Common,
  now: Date,
): ChangeRecord[] {
  if (!decision.tampered?.length) return []
  return [
    {
      ...common,
      at: new Date(now.getTime() - 1).toISOString(), // sorts before the change that restores it
      status: 'tampered',
      added: [],
      removed: [],
      denied: prev?.denied ?? [],
      reason: decision.tampered.map((t) => `${t.kind}: ${t.policyArn}`).join('; '),
    },
  ]
}

/** A plan announces nothing: only enforce mode schedules or cancels. */
function noticeRows(
  decision: UserDecision,
  next: UserState,
  run: RunStamp,
  row: (fields: Omit<ChangeRecord, keyof Common | 'added' | 'removed' | 'at'>) => ChangeRecord,
): ChangeRecord[] {
  if (run.mode !== 'enforce') return []
  const rows: ChangeRecord[] = []
  const newly = decision.newlyScheduled ?? []
  if (newly.length > 0) {
    const scheduled = newNotices(newly, next.scheduled).map(({ key, on }) => ({ namespace: key, on }))
    rows.push(
      row({
        status: 'scheduled',
        denied: next.denied,
        scheduled,
        reason: `deny scheduled: ${scheduled.map((s) => `${s.namespace} on ${s.on}`).join(', ')}`,
      }),
    )
  }
  const cancelled = decision.cancelled ?? []
  if (cancelled.length > 0) {
    rows.push(
      row({
        status: 'schedule-cancelled',
        denied: next.denied,
        cancelled,
        reason: `scheduled deny cancelled: ${cancelled.map((c) => `${c.namespace} (${c.reason})`).join(', ')}`,
        ...(run.actor ? { actor: run.actor } : {}),
      }),
    )
  }
  return rows
}
