import type { UserDecision } from '../shared/domain/decision.js'
import { sweepAccount } from '../shared/engine/sweep-account.js'
import type { HubConfig } from './config.js'
import { withSpokeIam } from './spoke-account.js'
import { newSweepId, priorFor, type SweepDeps } from './sweep.js'

/**
 * What a sweep would decide for one user today, read fresh (the user's Access Advisor report included)
 * and planned by the same engine path: nothing is written to IAM or to the state table.
 */
export async function planOneUser(
  deps: Pick<SweepDeps, 'sts' | 'store' | 'iamFor' | 'log' | 'now'>,
  config: HubConfig,
  accountId: string,
  userName: string,
): Promise<UserDecision> {
  const now = deps.now()
  const runId = `plan-${newSweepId(now)}`
  const log = deps.log.child({ sweepId: runId, accountId })
  const past = await deps.store.users.loadAccount(accountId)
  const result = await withSpokeIam(deps, config, accountId, runId, (iam) =>
    sweepAccount(
      { iam, log, now, priorState: (user) => priorFor(past, user, now) },
      accountId,
      { ...config, mode: 'plan' },
      { onlyUser: userName },
    ),
  )
  const [decision] = result.decisions
  if (!decision) throw new Error(`the plan of ${userName} produced no decision`)
  return decision
}
