import { assessBlastRadius, type BrakeVerdict, measureBlastRadius, userLiftHeld } from '../brake.js'
import type { PlanEvent } from '../events.js'
import { isNewToEnforcement } from '../onboarding.js'
import { classifyPolicies, type Stray, straysOf } from '../ownership.js'
import { type LostRows, priorUserOf } from '../prior-user.js'
import type { UserDecision } from '../records.js'
import { servicesOf } from '../report-reuse.js'
import type { IamUser } from '../types.js'
import { fitPolicyBudget } from '../write-plan.js'
import type { AccountFacts, AccountPlan, PlanRequest, UserAction } from './account-types.js'
import { modeOf, onlyUserOf } from './intent.js'
import { planAccountRollback } from './rollback-plan.js'
import {
  type AccountContext,
  type KnownReport,
  planUser,
  type UsageRead,
  type UserFacts,
  type UserPlan,
} from './user-plan.js'

export type { AccountFacts, AccountPlan, PlanRequest, UserAction } from './account-types.js'

export function planAccount(request: PlanRequest): AccountPlan {
  const { facts, intent } = request
  const only = onlyUserOf(intent)
  // Named, even by an empty name, means that one user: no input ever widens a run to the whole account.
  const users =
    only === undefined
      ? facts.listing.users
      : facts.listing.users.filter((u) => u.name.toLowerCase() === only.toLowerCase())
  if (only !== undefined && users.length === 0)
    return { kind: 'refused', reason: `user: no IAM user ${only} in ${facts.accountId}` }
  const ctx = contextOf(request)
  const policies = classifyPolicies(
    facts.listing.users,
    facts.listing.candidatePolicies,
    ctx.settings.policyNamePrefix,
    ctx.settings.policyPath,
  )
  const factsOf = (user: IamUser): UserFacts => ({
    user,
    policies: policies.forUser(user),
    prior: priorUserOf(facts.records, user, facts.now, lostRowsOf(facts.records.unreadable, user)),
    ...knownReport(request, user),
    ...(facts.quiet?.has(user.id) ? { quiet: true } : {}),
  })
  if (intent.kind === 'rollback') return planAccountRollback({ ...ctx, intent }, users.map(factsOf), policies)
  const steps = users.map((user, i) => {
    const earlier = request.earlier?.[i]
    if (earlier?.kind === 'planned') return earlier
    return planUser(ctx, factsOf(user), earlier?.kind === 'needs-read' ? earlier.standing : undefined)
  })
  const refused = steps.find((s) => s.kind === 'refused')
  if (refused) return refused
  const reads = steps.flatMap((s) => (s.kind === 'needs-read' ? [{ user: s.user, why: s.why }] : []))
  if (reads.length > 0) return { kind: 'needs-reads', reads, steps }
  const plans = steps.flatMap((s) => (s.kind === 'planned' ? [s.plan] : []))
  // A release or a one-user plan touches one user only; the account's stray policies are the sweeps'.
  const strays = intent.kind === 'sweep' ? straysOf(policies) : []
  return ready(ctx, facts, plans, strays)
}

function contextOf(request: PlanRequest): AccountContext {
  const { facts, intent } = request
  const settings = { ...request.settings, mode: modeOf(intent) }
  // Any policy under our path or with our name prefix means it was enforced before, whatever the table
  // says (a lost or restored table, an older version's policies held by a group).
  const neverEnforced = isNewToEnforcement(facts.records)
  const onboarding =
    intent.kind === 'sweep' &&
    intent.mode === 'enforce' &&
    neverEnforced &&
    facts.listing.candidatePolicies.length === 0
  // The project writes under its path only. A policy with its prefix elsewhere is anyone's to plant, and
  // must not make the baseline's tags requests; one left by a changed POLICY_PATH comes with records.
  const tagBaseline =
    neverEnforced && !facts.listing.candidatePolicies.some((p) => p.path === settings.policyPath)
  return {
    accountId: facts.accountId,
    settings,
    intent,
    quotas: facts.listing.quotas,
    takenNames: new Set(facts.listing.candidatePolicies.map((p) => p.name.toLowerCase())),
    now: facts.now,
    onboarding,
    tagBaseline,
    nameSalt: facts.nameSalt,
  }
}

/** The user's fresh read of this run, and the stored report (with whether this sweep read it). */
function knownReport(request: PlanRequest, user: IamUser): { stored?: KnownReport; read?: UsageRead } {
  const read = request.reads.get(user.id)
  const kept = request.facts.records.reports.get(user.id)
  const intent = request.intent
  const stored: KnownReport | undefined = kept && {
    services: servicesOf(kept.services),
    actionLevel: kept.services.every((s) => s.actions !== undefined),
    readAt: new Date(kept.readAt),
    ...(kept.grantsDigest ? { grantsDigest: kept.grantsDigest } : {}),
    // A report of this sweep, read since it started (an old sweep's id replayed finds none).
    thisSweep:
      intent.kind === 'sweep' &&
      kept.sweepId === intent.sweepId &&
      Date.parse(kept.readAt) >= Date.parse(intent.startedAt),
  }
  return { ...(stored ? { stored } : {}), ...(read ? { read } : {}) }
}

/** Every user planned: the account's policy quota, the brake, and what each user's writes lead to. */
function ready(
  ctx: AccountContext,
  facts: AccountFacts,
  planned: readonly UserPlan[],
  strays: Stray[],
): AccountPlan {
  const budget = ctx.quotas.policiesQuota - ctx.quotas.policiesInUse
  const fits = fitPolicyBudget(
    planned.map((p) => p.ops),
    budget,
  )
  const plans = planned.map((plan, i) => (fits[i] ? plan : overAccountQuota(ctx, plan)))
  const blastRadius = measureBlastRadius(plans)
  const brake: BrakeVerdict =
    judged(ctx) && plans.some((p) => p.ops.length > 0)
      ? assessBlastRadius(blastRadius, ctx.settings.brake)
      : { tripped: false }
  const events: PlanEvent[] = brake.tripped
    ? [
        {
          level: 'error',
          event: 'alert.brake-tripped',
          fields: { ...blastRadius, reason: brake.reason },
          msg: 'blast-radius brake: nothing applied',
        },
      ]
    : []
  return {
    kind: 'ready',
    users: plans.map((plan) =>
      actionOf(ctx, userBrake(ctx, plan, brake), facts.decidedEarlier.has(plan.user.id)),
    ),
    blastRadius,
    ...(brake.tripped ? { brake: brake.reason } : {}),
    strays,
    removeStrays: ctx.settings.mode === 'enforce' && !brake.tripped,
    onboarding: ctx.onboarding,
    listed: facts.listing.users.map((u) => ({ name: u.name, id: u.id })),
    events,
  }
}

/** Which of a user's rows were left out unread: their state row by name, their exemptions by owner. */
function lostRowsOf(unreadable: AccountFacts['records']['unreadable'], user: IamUser): LostRows {
  return {
    state: unreadable.some((row) => row.user?.name === user.name),
    exemptions: unreadable
      .filter((row) => row.exemptionOf === user.id || row.exemptionOf === user.name)
      .map((row) => row.key),
  }
}

/**
 * The brake as it applies to one user: the account's, or a hold of its own when most of the user's
 * denies would be lifted at once (userLiftHeld). Judged where the account's brake is, and confirmed the
 * same way.
 */
function userBrake(
  ctx: AccountContext,
  plan: UserPlan,
  brake: BrakeVerdict,
): { plan: UserPlan; brake: BrakeVerdict } {
  if (brake.tripped || !judged(ctx)) return { plan, brake }
  const held = userLiftHeld(
    { lifted: plan.decision.removed.length, activeDenies: plan.activeDenies },
    ctx.settings.brake,
  )
  if (!held || plan.ops.length === 0) return { plan, brake }
  const alert = {
    level: 'error' as const,
    event: 'alert.brake-tripped',
    fields: { scope: 'user', reason: held },
    msg: "blast-radius brake: this user's lift held",
  }
  return { plan: { ...plan, events: [...plan.events, alert] }, brake: { tripped: true, reason: held } }
}

/** Whether the brake judges this run: an enforce sweep not confirmed by an operator. */
function judged(ctx: AccountContext): boolean {
  return ctx.intent.kind === 'sweep' && ctx.settings.mode === 'enforce' && !ctx.intent.confirmLargeChange
}

/** A user whose new policies do not fit the account's customer-managed policy quota: nothing is written. */
function overAccountQuota(ctx: AccountContext, plan: UserPlan): UserPlan {
  const { policiesQuota, policiesInUse } = ctx.quotas
  const reason = `the account's customer-managed policies quota (${policiesQuota}, ${policiesInUse} in use) has no room for this user's new policies`
  return {
    ...plan,
    ops: [],
    after: plan.kept,
    decision: { ...plan.decision, status: 'quota-blocked', reason },
    events: [
      ...plan.events,
      { level: 'warn', event: 'alert.quota-blocked', fields: { policiesQuota, policiesInUse }, msg: reason },
    ],
  }
}

/**
 * What a user's plan leads to: with no writes, the decision with its state; in plan mode or under the
 * brake, the writes held back and said; else the writes, and the decision once they are made.
 */
function actionOf(
  ctx: AccountContext,
  held: { plan: UserPlan; brake: BrakeVerdict },
  earlier: boolean,
): UserAction {
  const { plan, brake } = held
  const { decision, ops, after } = plan
  const told = toldOf(ctx)
  const settled = (d: UserDecision): UserAction => ({
    kind: 'settled',
    plan,
    decision: operatorReason(ctx, d),
    earlier,
    told: told(d),
  })
  if (ops.length === 0) return settled({ ...decision, ...after })
  // These say more than "enforced" or "planned": their status stands whatever is written.
  const keeps = (['exempt', 'released', 'quota-blocked'] as const).some((s) => s === decision.status)
  if (ctx.settings.mode === 'plan')
    return settled({
      ...decision,
      status: keeps && decision.status !== 'released' ? decision.status : 'planned',
      reason: `${ops.length} writes pending (plan mode)${keeps ? `; ${decision.reason}` : ''}`,
    })
  if (brake.tripped)
    return settled({
      ...decision,
      status: 'braked',
      reason: `blast-radius brake: ${brake.reason}; nothing applied`,
    })
  const done = operatorReason(ctx, {
    ...decision,
    ...after,
    writes: ops.length,
    status: keeps ? decision.status : 'enforced',
    reason: keeps ? decision.reason : `applied ${ops.map((o) => o.op).join(', ')}`,
  })
  return { kind: 'write', plan, ops, decision: done, earlier, told: told(done) }
}

/** The decision when its writes failed part-way: the record keeps what was there, the user is in error. */
export function writesFailed(action: Extract<UserAction, { kind: 'write' }>, reason: string): UserDecision {
  return { ...action.plan.decision, status: 'error', reason: `${reason}; writes stopped there` }
}

/** A person's lift names them and why; it is told like the first move of a stolen operator session. */
function operatorReason(ctx: AccountContext, decision: UserDecision): UserDecision {
  const { intent } = ctx
  if (intent.kind !== 'release') return decision
  return { ...decision, reason: `${decision.reason} by ${intent.actor}: ${intent.reason}` }
}

function toldOf(ctx: AccountContext): (decision: UserDecision) => PlanEvent[] {
  const { intent } = ctx
  return (decision) => {
    if (intent.kind === 'release' && intent.mode === 'enforce' && decision.status === 'released')
      return [
        {
          level: 'warn',
          event: 'alert.released',
          fields: { userName: decision.userName, services: intent.services },
          msg: decision.reason,
        },
      ]
    return []
  }
}
