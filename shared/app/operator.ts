/**
 * An operator's actions in one account, each an intent carried through the same account pipeline as a
 * sweep: a one-user preview, a release, a rollback. The operator is named as AWS authenticated them.
 */
import { z } from 'zod'
import { awsErrorKind } from '../aws/aws-errors.js'
import type { HubConfig } from '../config.js'
import { credentialLabel } from '../domain/credentials/judge.js'
import type { RestoreTarget } from '../domain/credentials/restore.js'
import { UNTIL_LIFTED } from '../domain/exemption.js'
import { type Intent, recordsDecision } from '../domain/plan/intent.js'
import { reachedBySweep } from '../domain/plan/rollback-plan.js'
import type { UserDecision } from '../domain/records.js'
import { ConfigError, LeastPrivilegeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Spokes, StateStore } from '../ports.js'
import { type AccountRun, runAccount } from './account-pipeline.js'
import type { DoneUser } from './account-writes.js'
import { newSweepId } from './sweep-begin.js'

export interface OperatorDeps {
  spokes: Spokes
  store: StateStore
  log: Logger
  now: () => Date
}

export interface ReleaseRequest {
  accountId: string
  userName: string
  services: string[]
  reason: string
  /** Without it, the release is only shown as a plan. */
  enforce: boolean
  /** Who asks, as AWS named them. */
  actor: string
}

export interface ReleaseResult {
  actor: string
  mode: 'plan' | 'enforce'
  decision: UserDecision
}

export const rollbackResult = z.object({
  userName: z.string(),
  removedPolicies: z.array(z.string()),
  /** Services no longer denied. */
  released: z.array(z.string()),
  /** Services whose scheduled deny is dropped. */
  cancelled: z.array(z.string()),
})
export type RollbackResult = z.infer<typeof rollbackResult>

/**
 * Lifts denied services of one user on purpose, through the same pipeline as a sweep (render, write
 * plan, writes, record), and records who did it and why. Each released service's clock restarts: it is
 * denied again only after a full window without use.
 */
export async function releaseDeny(
  deps: OperatorDeps,
  config: HubConfig,
  request: ReleaseRequest,
): Promise<ReleaseResult> {
  const runId = `release-${newSweepId(deps.now())}`
  const mode = request.enforce ? 'enforce' : 'plan'
  const intent: Intent = { kind: 'release', runId, mode, ...request }
  const log = deps.log.child({ sweepId: runId, actor: request.actor })
  const run = await runAccount({ ...deps, log }, config, request.accountId, intent)
  const [done] = usersOf(run, intent, request.accountId)
  if (!done) throw new LeastPrivilegeError(`release of ${request.userName} produced no decision`)
  // A person's explicit lift that could not be planned or written is their command's failure.
  if (done.decision.status === 'error')
    throw new LeastPrivilegeError(`release of ${request.userName}: ${done.decision.reason}`)
  return { actor: request.actor, mode, decision: done.decision }
}

/** The row of a rollback's result that holds the policies no current user owns. */
export const NO_CURRENT_USER = '(no current user)'

/**
 * Removes the project's deny policies from one user or every user of an account, and records it (see
 * rollback-plan.ts). A whole account leaves nothing of ours: policies under the path that no current
 * user owns (a deleted user's, or planted ones) are detached from every holder and deleted too.
 */
export async function rollback(
  deps: OperatorDeps,
  config: HubConfig,
  target: {
    accountId: string
    userName?: string
    dryRun?: boolean
    exemptUntil?: string
    actor?: string
    /** Why, recorded with the rollback and its exemption. */
    reason?: string
  },
): Promise<RollbackResult[]> {
  if (target.exemptUntil && Date.parse(target.exemptUntil) <= deps.now().getTime())
    throw new ConfigError(`exempt-until: ${target.exemptUntil} is not in the future`)
  const runId = `rollback-${newSweepId(deps.now())}`
  const intent: Intent = {
    kind: 'rollback',
    runId,
    dryRun: target.dryRun === true,
    exemptUntil: target.exemptUntil ?? UNTIL_LIFTED,
    ...(target.userName !== undefined ? { userName: target.userName } : {}),
    ...(target.actor ? { actor: target.actor } : {}),
    ...(target.reason ? { reason: target.reason } : {}),
  }
  const run = await runAccount(
    { ...deps, log: deps.log.child({ sweepId: runId }) },
    config,
    target.accountId,
    intent,
  )
  if (await neverReached(deps, run, target.accountId)) return []
  const users = usersOf(run, intent, target.accountId)
  // It went user by user and stopped at the first failure: the users before it are rolled back.
  const failed = users.find((u) => u.decision.status === 'error')
  if (failed)
    throw new LeastPrivilegeError(`rollback of ${failed.decision.userName}: ${failed.decision.reason}`)
  const unremoved = run.kind === 'done' ? (run.unremoved ?? []) : []
  if (unremoved.length > 0)
    throw new LeastPrivilegeError(
      `rollback of ${target.accountId}: could not remove ${unremoved.map((s) => s.policy.arn).join(', ')}`,
    )
  const results: RollbackResult[] = users.map(({ action, decision }) => ({
    userName: decision.userName,
    removedPolicies: action.plan.kept.policyArns,
    released: decision.removed.map((r) => r.namespace),
    cancelled: (decision.cancelled ?? []).map((c) => c.namespace),
  }))
  // Posing policies are outside the path: alerted, never the rollback's to remove.
  const strays = run.kind === 'done' ? run.strays.filter((s) => s.kind !== 'posing') : []
  if (strays.length > 0)
    results.push({
      userName: NO_CURRENT_USER,
      removedPolicies: strays.map((s) => s.policy.arn),
      released: [],
      cancelled: [],
    })
  return results
}

export interface RestoreRequest {
  accountId: string
  userName: string
  target: RestoreTarget
  reason: string
  enforce: boolean
  actor: string
}

export interface RestoreResult {
  actor: string
  mode: 'plan' | 'enforce'
  userName: string
  /** Each credential put back or kept, as `key AKIA…` or `password`. */
  restored: string[]
  /** A removed password was approved: an administrator of the account sets a new one (planRestore). */
  passwordApproved: boolean
}

/**
 * Puts back credentials the project deactivated (or keeps announced ones) for one user, through the same
 * account pipeline, and records who did it and why. Each one's unused window starts again.
 */
export async function restoreCredentials(
  deps: OperatorDeps,
  config: HubConfig,
  request: RestoreRequest,
): Promise<RestoreResult> {
  const runId = `restore-${newSweepId(deps.now())}`
  const mode = request.enforce ? 'enforce' : 'plan'
  const intent: Intent = { kind: 'restore', runId, mode, ...request }
  const log = deps.log.child({ sweepId: runId, actor: request.actor, userName: request.userName })
  const run = await runAccount({ ...deps, log }, config, request.accountId, intent)
  if (run.kind !== 'restored') {
    usersOf(run, intent, request.accountId)
    throw new LeastPrivilegeError(`restore of ${request.userName} produced no plan`)
  }
  if (run.failed) throw new LeastPrivilegeError(`restore of ${request.userName}: ${run.failed}`)
  return {
    actor: request.actor,
    mode,
    userName: run.plan.user.name,
    restored: run.plan.history.map((h) => credentialLabel(h.credential)),
    passwordApproved: run.plan.drop.some((r) => r.kind === 'password'),
  }
}

/**
 * What a sweep would decide for one user today, planned by the same pipeline path: nothing is written
 * to IAM or to the state table.
 */
export async function previewUser(
  deps: OperatorDeps,
  config: HubConfig,
  accountId: string,
  userName: string,
): Promise<UserDecision> {
  const runId = `plan-${newSweepId(deps.now())}`
  const intent: Intent = { kind: 'preview', runId, userName }
  const run = await runAccount(
    { ...deps, log: deps.log.child({ sweepId: runId }) },
    config,
    accountId,
    intent,
  )
  const [done] = usersOf(run, intent, accountId)
  if (!done) throw new LeastPrivilegeError(`the plan of ${userName} produced no decision`)
  return done.decision
}

/**
 * An account whose spoke role refuses, that sweeps targeted (its row is on record: an id typed wrong has
 * none) and that no sweep ever reached (outside the StackSet's targets since before the first sweep)
 * holds nothing of ours, so there is nothing to roll back, rather than a
 * failure a removal loop would list forever. One a sweep ever reached stays a failure, whatever its rows
 * say: a deny attached but never recorded, or a policy planted under the path, may be there, and the
 * operator is told.
 */
async function neverReached(deps: OperatorDeps, run: AccountRun, accountId: string): Promise<boolean> {
  if (run.kind !== 'done' || run.outcome.outcome !== 'unreachable') return false
  if (awsErrorKind(run.error) !== 'access-denied') return false
  const records = await deps.store.users.loadAccount(accountId)
  return records.account !== undefined && !reachedBySweep(records)
}

/** The users an operator's run decided; every other outcome is the operator's error, naming why. */
function usersOf(run: AccountRun, intent: Intent, accountId: string): DoneUser[] {
  switch (run.kind) {
    case 'done': {
      if (run.error !== undefined) throw run.error
      const unrecorded = run.users.find((u) => !u.recorded && recordsDecision(intent, u.decision.status))
      if (unrecorded)
        throw new LeastPrivilegeError(
          `${unrecorded.decision.userName} in ${accountId}: carried out, but not recorded (see alert.record-failed)`,
        )
      return run.users
    }
    case 'refused':
      throw new ConfigError(run.reason)
    case 'busy':
      throw new LeastPrivilegeError(
        `account ${accountId} is busy: ${run.heldBy} holds it until ${run.until}; try again then`,
      )
    default:
      throw new LeastPrivilegeError(`the lock on ${accountId} was lost; stopped`)
  }
}
