/**
 * What a rollback does to one user, pure: every policy of ours detached and deleted, every deny in
 * force or scheduled lifted (what is live and what the record holds: a policy someone detached or
 * edited still leaves a deny the next sweep would restore, and whose clock must restart too), and an
 * exemption recorded first, so that no later failure lets the next sweep undo it.
 */

import type { AccountRecords } from '../../ports.js'
import { measureBlastRadius } from '../brake.js'
import type { PlanEvent } from '../events.js'
import { type classifyPolicies, straysOf } from '../ownership.js'
import { liftDenies } from '../planner.js'
import type { Exemption } from '../records.js'
import { currentServices, planRemoval } from '../write-plan.js'
import type { AccountPlan, UserAction } from './account-types.js'
import type { Intent, RollbackIntent } from './intent.js'
import type { AccountContext, UserFacts, UserPlan } from './user-plan.js'

/** A user's rollback, with the exemption to record before its writes; undefined when nothing is ours. */
export function planRollback(
  ctx: AccountContext & { intent: RollbackIntent },
  facts: UserFacts,
): { plan: UserPlan; grant: Exemption } | undefined {
  const { user } = facts
  const parts = [...facts.policies.owned, ...facts.policies.stale]
  const prev = facts.prior.recorded
  // Rolled back means left alone: a deny only announced is dropped too, or it would land on its day.
  const scheduled = prev?.scheduled ?? {}
  const cancelled = Object.keys(scheduled).sort()
  const released = [...new Set([...parts.flatMap(currentServices), ...(prev?.denied ?? [])])].sort()
  if (parts.length === 0 && cancelled.length === 0 && released.length === 0) return undefined
  const ops = planRemoval(parts)
  const lift = liftDenies(
    new Set(released),
    new Set([...released, ...cancelled]),
    'rolled-back',
    { firstSeen: prev?.firstSeen, scheduled },
    ctx.now,
  )
  const dropped = cancelled.length > 0 ? `, ${cancelled.length} scheduled denies dropped` : ''
  const kept = { denied: released, policyArns: parts.map((p) => p.policy.arn), policyDigests: [] }
  const decision = {
    accountId: ctx.accountId,
    userName: user.name,
    userId: user.id,
    userArn: user.arn,
    status: 'rolled-back' as const,
    ...kept,
    added: [],
    removed: lift.removed,
    firstSeen: lift.firstSeen,
    scheduled: lift.scheduled,
    cancelled: lift.cancelled,
    reason: `rolled back by an operator; ${parts.length} policies removed${dropped}${ctx.intent.reason ? `: ${ctx.intent.reason}` : ''}`,
    writes: ops.length,
  }
  const { runId, actor, exemptUntil } = ctx.intent
  return {
    plan: {
      user,
      decision,
      ops,
      kept,
      after: { denied: [], policyArns: [], policyDigests: [], scheduled: lift.scheduled },
      activeDenies: released.length,
      recordedPolicies: prev?.policyArns.length ?? 0,
      missingPolicies: 0,
      events: [],
    },
    grant: {
      accountId: ctx.accountId,
      userName: user.name,
      userId: user.id,
      until: exemptUntil,
      reason: `rolled back (${runId}) by ${actor}${ctx.intent.reason ? `: ${ctx.intent.reason}` : ''}`,
      createdAt: ctx.now.toISOString(),
    },
  }
}

/** A rollback of the users named (or all), and of every stray policy when the whole account is rolled back. */
/**
 * Whether a sweep ever reached the account: its first reach is recorded and never cleared
 * (`legacyResolvedAt`), and any row of a user, report or credential says so too.
 */
export function reachedBySweep(records: AccountRecords): boolean {
  return (
    records.account?.legacyResolvedAt !== undefined ||
    records.users.size > 0 ||
    records.reports.size > 0 ||
    records.credentials.length > 0 ||
    records.unreadable.length > 0
  )
}

export function planAccountRollback(
  ctx: AccountContext & { intent: Extract<Intent, { kind: 'rollback' }> },
  users: UserFacts[],
  policies: ReturnType<typeof classifyPolicies>,
): AccountPlan {
  const actions = users.flatMap((facts): UserAction[] => {
    const rolled = planRollback(ctx, facts)
    if (!rolled) return []
    const { plan, grant } = rolled
    const { decision } = plan
    const told: PlanEvent[] = [
      {
        level: 'warn',
        event: 'alert.rolled-back',
        fields: {
          accountId: ctx.accountId,
          userName: decision.userName,
          released: decision.removed.map((r) => r.namespace),
          actor: ctx.intent.actor,
        },
        msg: decision.reason,
      },
    ]
    // A dry run is a preview: the plan, with nothing written or recorded.
    if (ctx.intent.dryRun) return [{ kind: 'settled', plan, decision, earlier: false, told: [] }]
    return [
      {
        kind: 'write',
        plan,
        ops: plan.ops,
        decision: { ...decision, ...plan.after },
        grant,
        earlier: false,
        told,
      },
    ]
  })
  return {
    kind: 'ready',
    users: actions,
    blastRadius: measureBlastRadius([]),
    strays: ctx.intent.userName === undefined ? straysOf(policies) : [],
    removeStrays: !ctx.intent.dryRun,
    onboarding: false,
    listed: [],
    events: [],
  }
}
