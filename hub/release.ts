import { callerArn } from '../shared/aws/caller.js'
import { priorStateOf } from '../shared/aws/state-store.js'
import type { UserDecision } from '../shared/domain/decision.js'
import { sweepAccount } from '../shared/engine/sweep-account.js'
import type { HubConfig } from './config.js'
import { inSpokeAccount } from './spoke-account.js'
import { newSweepId, priorFor, type SweepDeps } from './sweep.js'

export interface ReleaseRequest {
  accountId: string
  userName: string
  services: string[]
  reason: string
  /** Without it, the release is only shown as a plan. */
  enforce: boolean
  /** The operator who asked the hub to carry it out (their ARN, as their CLI read it). */
  requestedBy?: string
}

export interface ReleaseResult {
  /** The operator, from sts:GetCallerIdentity. */
  actor: string
  mode: 'plan' | 'enforce'
  decision: UserDecision
}

/**
 * Lifts denied services of one user on purpose, through the same engine path as a sweep (render, write
 * plan, executor), and records who did it and why. Each released service's clock restarts: it is denied
 * again only after a full window without use.
 */
export async function releaseDeny(
  deps: Pick<SweepDeps, 'sts' | 'store' | 'iamFor' | 'log' | 'now'>,
  config: HubConfig,
  request: ReleaseRequest,
): Promise<ReleaseResult> {
  const caller = await callerArn(deps.sts)
  // Through the hub, the caller is the hub's role: the operator who asked is named, and the hub beside.
  const actor = request.requestedBy ? `${request.requestedBy} (through ${caller})` : caller
  const now = deps.now()
  const runId = `release-${newSweepId(now)}`
  const mode = request.enforce ? 'enforce' : 'plan'
  const log = deps.log.child({ sweepId: runId, accountId: request.accountId, actor })
  return inSpokeAccount(deps, config, request.accountId, runId, async (iam) => {
    const past = await deps.store.users.loadAccount(request.accountId)
    const result = await sweepAccount(
      { iam, log, now, priorState: (user) => priorFor(past, user, now) },
      request.accountId,
      { ...config, mode },
      { release: { userName: request.userName, services: request.services } },
    )
    const [found] = result.decisions
    if (!found) throw new Error(`release of ${request.userName} produced no decision`)
    const decision = { ...found, reason: `${found.reason} by ${actor}: ${request.reason}` }
    if (mode === 'enforce' && decision.status === 'released') {
      const prev = priorStateOf(past, { name: decision.userName, id: decision.userId })
      await deps.store.users.saveDecision(
        prev,
        decision,
        { sweepId: runId, mode, now, actor },
        past.users.get(decision.userName),
      )
      if (prev && prev.userName !== decision.userName)
        await deps.store.users.forgetUser(request.accountId, prev.userName)
      // A person lifting denies is exactly what the alarm on alert.* lines is for: a stolen operator
      // session's first move would be this.
      log.warn(
        { event: 'alert.released', userName: decision.userName, services: request.services },
        decision.reason,
      )
    }
    return { actor, mode, decision }
  })
}
