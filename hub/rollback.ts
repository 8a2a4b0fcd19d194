import { callerArn } from '../shared/aws/caller.js'
import { readAccountSnapshot } from '../shared/aws/iam-reader.js'
import { executeWrites, purgePolicy } from '../shared/aws/iam-writer.js'
import { priorStateOf } from '../shared/aws/state-store.js'
import { UNTIL_LIFTED } from '../shared/domain/exemption.js'
import { classifyPolicies } from '../shared/domain/ownership.js'
import { liftDenies } from '../shared/domain/planner.js'
import { currentServices, planRemoval } from '../shared/domain/write-plan.js'
import { ConfigError, LeastPrivilegeError } from '../shared/errors.js'
import type { HubConfig } from './config.js'
import { inSpokeAccount } from './spoke-account.js'
import { newSweepId, type SweepDeps } from './sweep.js'

export interface RollbackResult {
  userName: string
  removedPolicies: string[]
  /** Services no longer denied. */
  released: string[]
  /** Services whose scheduled deny is dropped. */
  cancelled: string[]
}

/**
 * Removes the project's deny policies from one user or every user of an account, and records it.
 * Detach comes first, then the policy's old versions and the policy itself (see planRemoval). Each
 * lifted service's clock restarts, as with any lift.
 */
export async function rollback(
  deps: Pick<SweepDeps, 'sts' | 'store' | 'iamFor' | 'log' | 'now'>,
  config: HubConfig,
  target: {
    accountId: string
    userName?: string
    dryRun?: boolean
    /** The exemption recorded with the rollback ends then; until an operator lifts it when absent. */
    exemptUntil?: string
  },
): Promise<RollbackResult[]> {
  const runId = `rollback-${newSweepId(deps.now())}`
  if (target.exemptUntil && Date.parse(target.exemptUntil) <= deps.now().getTime())
    throw new ConfigError(`exempt-until: ${target.exemptUntil} is not in the future`)
  const actor = target.dryRun ? undefined : await callerArn(deps.sts)
  return inSpokeAccount(deps, config, target.accountId, runId, async (iam, lost) => {
    const snapshot = await readAccountSnapshot(iam, config.policyNamePrefix, config.policyPath)
    const users = target.userName
      ? snapshot.users.filter((u) => u.name.toLowerCase() === target.userName?.toLowerCase())
      : snapshot.users
    if (target.userName && users.length === 0)
      throw new ConfigError(`user: no IAM user ${target.userName} in ${target.accountId}`)

    const policies = classifyPolicies(
      snapshot.users,
      snapshot.candidatePolicies,
      config.policyNamePrefix,
      config.policyPath,
    )
    const results: RollbackResult[] = []
    const past = await deps.store.users.loadAccount(target.accountId)
    for (const user of users) {
      const { owned, stale } = policies.forUser(user)
      const parts = [...owned, ...stale]
      const prev = priorStateOf(past, user)
      // Rolled back means left alone: a deny only announced is dropped too, or it would land on its day.
      const scheduled = prev?.scheduled ?? {}
      const cancelled = Object.keys(scheduled).sort()
      // What we deny is what is live and what the record holds: a policy someone detached or edited
      // still leaves a deny the next sweep would restore, and whose clock must restart too.
      const released = [...new Set([...parts.flatMap(currentServices), ...(prev?.denied ?? [])])].sort()
      if (parts.length === 0 && cancelled.length === 0 && released.length === 0) continue
      const ops = planRemoval(parts)
      const removedPolicies = parts.map((o) => o.policy.arn)
      results.push({ userName: user.name, removedPolicies, released, cancelled })
      if (target.dryRun) continue
      if (lost())
        throw new LeastPrivilegeError(`the lock on ${target.accountId} was lost; stopped before ${user.name}`)
      const now = deps.now()
      // The rollback is an operator's decision for this user: recorded first, so that no later failure
      // lets the next sweep undo it.
      await deps.store.users.putExemption({
        accountId: target.accountId,
        userName: user.name,
        userId: user.id,
        until: target.exemptUntil ?? UNTIL_LIFTED,
        reason: `rolled back (${runId}) by ${actor}`,
        createdAt: now.toISOString(),
      })
      await executeWrites(iam, { name: user.name, id: user.id }, config.policyPath, ops)
      const lift = liftDenies(
        new Set(released),
        new Set([...released, ...cancelled]),
        'rolled-back',
        { firstSeen: prev?.firstSeen, scheduled },
        now,
      )
      const dropped = cancelled.length > 0 ? `, ${cancelled.length} scheduled denies dropped` : ''
      const reason = `rolled back by an operator; ${removedPolicies.length} policies removed${dropped}`
      await deps.store.users.saveDecision(
        prev,
        {
          accountId: target.accountId,
          userName: user.name,
          userId: user.id,
          userArn: user.arn,
          status: 'rolled-back',
          denied: [],
          added: [],
          removed: lift.removed,
          firstSeen: lift.firstSeen,
          scheduled: lift.scheduled,
          cancelled: lift.cancelled,
          reason,
          policyArns: [],
          policyDigests: [],
          writes: ops.length,
        },
        { sweepId: runId, mode: 'enforce', now, ...(actor ? { actor } : {}) },
        past.users.get(user.name),
      )
      deps.log.warn(
        { event: 'alert.rolled-back', accountId: target.accountId, userName: user.name, released, actor },
        reason,
      )
    }
    // A whole account leaves nothing of ours: policies under the path that no current user owns (a
    // deleted user's, or planted ones) are detached from every holder and deleted too.
    const stray = target.userName ? [] : [...policies.orphans, ...policies.foreign]
    if (stray.length > 0) {
      const removedPolicies = stray.map((p) => p.arn)
      results.push({ userName: '(no current user)', removedPolicies, released: [], cancelled: [] })
      if (!target.dryRun) for (const policy of stray) await purgePolicy(iam, policy)
    }
    return results
  })
}
