/**
 * The writes of a ready plan, user by user, each user's decision recorded right after its writes: the
 * record never falls behind the live policies by more than the users in flight.
 */
import pLimit from 'p-limit'
import type { PlanEvent } from '../domain/events.js'
import { recordedStateOf } from '../domain/exemption.js'
import type { Stray } from '../domain/ownership.js'
import type { UserAction } from '../domain/plan/account-plan.js'
import { writesFailed } from '../domain/plan/account-plan.js'
import { type Intent, modeOf, oneByOne, recordsDecision, runIdOf } from '../domain/plan/intent.js'
import type { UserDecision, UserState } from '../domain/records.js'
import { type RunStamp, rowsForDecision } from '../domain/state-rows.js'
import { errorMessage, LeastPrivilegeError, StateConflictError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { AccountIam, AccountRecords, Budget, RowVersion, StateStore } from '../ports.js'

export interface WriteRun {
  iam: AccountIam
  store: StateStore
  log: Logger
  budget: Budget
}

export interface WriteScope {
  accountId: string
  intent: Intent
  records: AccountRecords
  /** The names IAM lists now: a renamed user's old name may already be another user's. */
  names: ReadonlySet<string>
  now: Date
  concurrency: number
}

export interface DoneUser {
  action: UserAction
  decision: UserDecision
  recorded: boolean
}

export interface Acted {
  /** The users this run decided, in plan order (those an earlier invocation decided are left out). */
  done: DoneUser[]
  /** The budget ran out before every user was written: the rest are the next invocation's. */
  unfinished: boolean
  /** Old names of renamed users whose row moved to the new name. */
  moved: Set<string>
  /** Old names whose user's new decision could not be recorded: the old row is the only record. */
  unrecorded: Set<string>
}

export async function actOn(run: WriteRun, scope: WriteScope, users: readonly UserAction[]): Promise<Acted> {
  const inOrder = oneByOne(scope.intent)
  const limit = pLimit(inOrder ? 1 : scope.concurrency)
  const acted: Acted = { done: [], unfinished: false, moved: new Set(), unrecorded: new Set() }
  let failed = false
  const results = await Promise.all(
    users.map((action) =>
      limit(async () => {
        if (action.earlier) return undefined
        // Users are written whole or not at all: the rest are written by the invocation that carries on.
        if (action.kind === 'write' && run.budget.stopping()) {
          acted.unfinished = true
          return undefined
        }
        if (failed) return undefined
        const done = await actOnUser(run, scope, action, acted)
        failed = inOrder && done.decision.status === 'error'
        return done
      }),
    ),
  )
  acted.done = results.filter((r) => r !== undefined)
  return acted
}

async function actOnUser(
  run: WriteRun,
  scope: WriteScope,
  action: UserAction,
  acted: Acted,
): Promise<DoneUser> {
  const log = run.log.child({ userName: action.plan.user.name })
  for (const event of action.plan.events) logEvent(log, event)
  let decision = action.decision
  if (action.kind === 'write') {
    try {
      // A rollback is an operator's decision for this user: recorded first, so that no later failure
      // lets the next sweep undo it.
      if (action.grant) await run.store.users.putExemption(action.grant)
      await run.iam.apply(action.plan.user, action.ops)
    } catch (error) {
      // Each write is safe on its own, so a failure part-way leaves the user no less protected; the next
      // sweep converges. The live state is unknown until then, so the previous one is kept on record.
      logFailure(log, error)
      decision = writesFailed(action, errorMessage(error))
    }
  }
  logDecision(log, decision)
  const recorded =
    recordsDecision(scope.intent, decision.status) && (await record(run, scope, decision, acted, log))
  if (recorded) for (const event of action.told) logEvent(log, event)
  return { action, decision, recorded }
}

/** Writes the rows a decision calls for; false (alerted) when they could not be written. */
async function record(
  run: WriteRun,
  scope: WriteScope,
  decision: UserDecision,
  acted: Acted,
  log: Logger,
): Promise<boolean> {
  if (run.budget.lost()) return false // the account is another writer's now: its record is theirs to keep
  const { store } = run
  const prev = recordedStateOf(scope.records, { name: decision.userName, id: decision.userId })
  const stamp = {
    sweepId: runIdOf(scope.intent),
    mode: modeOf(scope.intent),
    now: scope.now,
    ...('actor' in scope.intent && scope.intent.actor ? { actor: scope.intent.actor } : {}),
  }
  try {
    // The row under the user's name as loaded: another user's after a reuse, or one that could not be read.
    const current =
      scope.records.users.get(decision.userName) ??
      scope.records.unreadable.find((u) => u.user?.name === decision.userName)?.user
    const saved = await saveDecision(store, { prev, current }, decision, stamp)
    // A renamed user's row has moved to the new name (its history stays under the UserId), unless the
    // old name is another user's now: their decision writes that row.
    if (saved && prev && prev.userName !== decision.userName && !scope.names.has(prev.userName))
      await forgetOldName(run, scope, prev.userName, acted)
    return true
  } catch (error) {
    // The writes stand; the next sweep reads them back (our rendering is never tampering).
    if (prev) acted.unrecorded.add(prev.userName)
    log.error({ event: 'alert.record-failed', reason: errorMessage(error) }, 'the decision was not recorded')
    return false
  }
}

/** The old row of a renamed user, once the new one is written; kept (and said) if it cannot be removed. */
async function forgetOldName(run: WriteRun, scope: WriteScope, oldName: string, acted: Acted): Promise<void> {
  try {
    await run.store.users.forgetUser(scope.accountId, oldName)
    acted.moved.add(oldName)
  } catch (error) {
    // The decision is recorded under the new name; the old row goes when the account's vanished users do.
    run.log.warn(
      { event: 'record.old-row-kept', oldName, reason: errorMessage(error) },
      'a renamed row was not removed',
    )
  }
}

/**
 * Writes the rows a decision calls for (see rowsForDecision): its history, then the user's state only if
 * the row is still `current`, the one loaded with the account (another user's, after a name's reuse).
 * True when a state row was written; a writer that changed the row since is never overwritten.
 */
export async function saveDecision(
  store: Pick<StateStore, 'users'>,
  known: { prev: UserState | undefined; current: RowVersion },
  decision: UserDecision,
  stamp: RunStamp,
): Promise<boolean> {
  const rows = rowsForDecision(known.prev, decision, stamp)
  // History first: a crash in between repeats a history row at worst, and never loses an attempt.
  for (const change of rows.history) await store.users.appendHistory(change)
  if (!rows.state) return false
  if (!(await store.users.saveUser(rows.state, known.current)))
    throw new StateConflictError(
      `the state of ${decision.userName} in ${decision.accountId} was changed by another writer; not overwritten`,
    )
  return true
}

/**
 * Policies under the project's path that no user of the account owns, removed when the plan says so
 * (listed when planning or braked) by one mechanism: detached from every holder, then deleted.
 * - An orphan belonged to a deleted user: detached, it protects no one and only uses the policy quota.
 * - A foreign one was not written by the project: the mark of someone using the spoke role's reach (or an
 *   administrator's mistake), always alerted. It is never judged by its content: the path is ours alone.
 */
export async function removeStrays(
  run: Pick<WriteRun, 'iam' | 'log'>,
  strays: readonly Stray[],
  remove: boolean,
): Promise<Stray[]> {
  const unremoved: Stray[] = []
  for (const stray of strays) {
    const { policy, kind } = stray
    const log = run.log.child({ policyArn: policy.arn })
    if (kind === 'foreign')
      log.error(
        { event: 'alert.foreign-policy', removed: remove },
        'a policy the project did not write is under its path',
      )
    if (kind === 'posing') {
      log.error(
        { event: 'alert.foreign-policy', removed: false, outsidePath: true },
        "a policy posing as the project's outside its path; the spoke role may not touch it",
      )
      continue
    }
    if (!remove) {
      if (kind === 'orphan')
        log.info({ event: 'policy.orphan' }, 'policy of a deleted user; would be deleted')
      continue
    }
    try {
      await run.iam.purge(policy)
      if (kind === 'orphan')
        log.info({ event: 'policy.orphan-deleted' }, 'deleted the policy of a deleted user')
    } catch (error) {
      logFailure(log, error)
      unremoved.push(stray)
    }
  }
  return unremoved
}

export function logEvent(log: Logger, event: PlanEvent): void {
  log[event.level]({ event: event.event, ...event.fields }, event.msg)
}

export function logFailure(log: Logger, error: unknown): void {
  // Expected failures (a FAILED job, throttling after retries) need no stack trace; the rest keep one.
  const detail = error instanceof LeastPrivilegeError ? { reason: errorMessage(error) } : { err: error }
  log.warn({ event: 'alert.user-error', ...detail }, 'user left unchanged')
}

function logDecision(log: Logger, decision: UserDecision): void {
  log.info(
    {
      event: 'user.decision',
      status: decision.status,
      added: decision.added.map((c) => c.namespace),
      removed: decision.removed.map((c) => c.namespace),
      attempts: decision.attempts?.length ?? 0,
      writes: decision.writes,
    },
    decision.reason,
  )
}
