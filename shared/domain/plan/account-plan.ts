/**
 * The plan for one account, pure: from the account's facts, the settings and the intent, what to do for
 * each user and with the policies nobody owns. Users whose plan needs a fresh Access Advisor report are
 * returned as reads to make; the plan made again with those reads in hand is the one carried out.
 */
import type { EngineConfig } from '../../config.js'
import type { AccountListing, AccountRecords } from '../../ports.js'
import { assessBlastRadius, type BlastRadius, type BrakeVerdict, measureBlastRadius } from '../brake.js'
import type { PlanEvent } from '../events.js'
import { isNewToEnforcement } from '../onboarding.js'
import { classifyPolicies } from '../ownership.js'
import { priorUserOf } from '../prior-user.js'
import type { Exemption, UserDecision } from '../records.js'
import type { ReadReason } from '../report-reuse.js'
import type { IamUser, ManagedPolicy, ServiceUsage } from '../types.js'
import { fitPolicyBudget, type WriteOp } from '../write-plan.js'
import { type Intent, modeOf, onlyUserOf } from './intent.js'
import { planRollback } from './rollback-plan.js'
import {
  type AccountContext,
  type KnownReport,
  planUser,
  type UsageRead,
  type UserFacts,
  type UserPlan,
  type UserStep,
} from './user-plan.js'

export interface AccountFacts {
  accountId: string
  listing: AccountListing
  records: AccountRecords
  now: Date
  /** Users (by UserId) an earlier invocation of this sweep decided: planned for the brake, not again. */
  decidedEarlier: ReadonlySet<string>
  /** Random per run (see user-plan.ts, policy names). */
  nameSalt: string
}

export interface PlanRequest {
  facts: AccountFacts
  settings: EngineConfig
  intent: Intent
  /** Fresh Access Advisor reads made by this run, by UserId. */
  reads: ReadonlyMap<string, UsageRead>
  /** The steps of the plan made before those reads: users it settled are not planned again. */
  earlier?: readonly UserStep[]
}

/** What happens to one user: a decision that stands as it is, or writes and the decision they lead to. */
export type UserAction =
  | { kind: 'settled'; plan: UserPlan; decision: UserDecision; earlier: boolean; told: PlanEvent[] }
  | {
      kind: 'write'
      plan: UserPlan
      ops: WriteOp[]
      /** The decision once the writes are made. */
      decision: UserDecision
      /** Recorded before the writes (a rollback's exemption). */
      grant?: Exemption
      earlier: boolean
      /** Told once the decision is recorded. */
      told: PlanEvent[]
    }

/** A policy that is not any current user's deny: a deleted user's, or not the project's at all. */
export interface Stray {
  policy: ManagedPolicy
  /**
   * `orphan`: a deleted user's; `foreign`: under the path but not the project's writing (always alerted,
   * removed); `posing`: with the project's prefix outside its path (alerted; the spoke may not touch it).
   */
  kind: 'orphan' | 'foreign' | 'posing'
}

export type AccountPlan =
  | { kind: 'refused'; reason: string }
  | { kind: 'needs-reads'; reads: { user: IamUser; why: ReadReason | 'would-add' }[]; steps: UserStep[] }
  | {
      kind: 'ready'
      users: UserAction[]
      blastRadius: BlastRadius
      /** Why the brake held back every write, when it did. */
      brake?: string
      strays: Stray[]
      /** Strays are removed (enforce mode, no brake), else only listed. */
      removeStrays: boolean
      onboarding: boolean
      /** Every user the listing holds, decided by an earlier invocation or not. */
      listed: { name: string; id: string }[]
      events: PlanEvent[]
    }

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
    prior: priorUserOf(facts.records, user, facts.now),
    ...knownReport(request, user),
  })
  if (intent.kind === 'rollback') return rollbackPlan({ ...ctx, intent }, users.map(factsOf), policies)
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
  const onboarding =
    intent.kind === 'sweep' &&
    intent.mode === 'enforce' &&
    isNewToEnforcement(facts.records) &&
    facts.listing.candidatePolicies.length === 0
  return {
    accountId: facts.accountId,
    settings,
    intent,
    quotas: facts.listing.quotas,
    takenNames: new Set(facts.listing.candidatePolicies.map((p) => p.name.toLowerCase())),
    now: facts.now,
    onboarding,
    nameSalt: facts.nameSalt,
  }
}

/** The user's fresh read of this run, and the stored report (with whether this sweep read it). */
function knownReport(request: PlanRequest, user: IamUser): { stored?: KnownReport; read?: UsageRead } {
  const read = request.reads.get(user.id)
  const kept = request.facts.records.reports.get(user.id)
  const intent = request.intent
  const stored: KnownReport | undefined = kept && {
    services: kept.services.map(
      (s): ServiceUsage => ({
        namespace: s.namespace,
        ...(s.lastAuthenticated ? { lastAuthenticated: new Date(s.lastAuthenticated) } : {}),
        ...(s.lastRegion ? { lastRegion: s.lastRegion } : {}),
      }),
    ),
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

function straysOf(policies: ReturnType<typeof classifyPolicies>): Stray[] {
  return [
    ...policies.orphans.map((policy) => ({ policy, kind: 'orphan' as const })),
    ...policies.foreign.map((policy) => ({ policy, kind: 'foreign' as const })),
    ...policies.posing.map((policy) => ({ policy, kind: 'posing' as const })),
  ]
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
  const judged =
    ctx.intent.kind === 'sweep' &&
    ctx.settings.mode === 'enforce' &&
    !ctx.intent.confirmLargeChange &&
    plans.some((p) => p.ops.length > 0)
  const brake: BrakeVerdict = judged ? assessBlastRadius(blastRadius, ctx.settings.brake) : { tripped: false }
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
    users: plans.map((plan) => actionOf(ctx, plan, brake, facts.decidedEarlier.has(plan.user.id))),
    blastRadius,
    ...(brake.tripped ? { brake: brake.reason } : {}),
    strays,
    removeStrays: ctx.settings.mode === 'enforce' && !brake.tripped,
    onboarding: ctx.onboarding,
    listed: facts.listing.users.map((u) => ({ name: u.name, id: u.id })),
    events,
  }
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
function actionOf(ctx: AccountContext, plan: UserPlan, brake: BrakeVerdict, earlier: boolean): UserAction {
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

/** A rollback of the users named (or all), and of every stray policy when the whole account is rolled back. */
function rollbackPlan(
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
