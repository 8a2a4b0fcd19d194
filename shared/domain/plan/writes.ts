/** The documents a user's deny set renders to, the IAM writes that get there, and the quota gate on them. */
import { createHash } from 'node:crypto'
import { type RenderedPart, renderDenyPolicies } from '../deny-policy.js'
import type { PlanEvent } from '../events.js'
import { BEFORE_WRITE, firstOutcome } from '../gates.js'
import type { OwnedPart } from '../ownership.js'
import type { DenyPlan } from '../planner.js'
import { policyArn, policyName } from '../policy-naming.js'
import type { PriorUser } from '../prior-user.js'
import type { UserDecision } from '../records.js'
import { documentDigest } from '../tamper.js'
import type { IamUser } from '../types.js'
import { planWrites } from '../write-plan.js'
import { fitActionBudget } from './action-budget.js'
import type { AccountContext, DeniedOn, PlanParts, Standing, UserFacts, UserPlan } from './user-facts.js'

/** The documents a deny set renders to, the writes that get there, and the quota gate on them. */
export function withWrites(
  ctx: AccountContext,
  facts: UserFacts,
  standing: Standing,
  on: DeniedOn,
): PlanParts {
  on = withinBudget(ctx, facts, standing, on)
  const { plan } = on
  const changes = changesOf(facts.prior, plan)
  const desired = renderDenyPolicies(plan.deny, standing.target, ctx.quotas.policySize)
  const names = partNames(ctx, facts.user, standing.owned)
  const writes = planWrites({
    desired,
    owned: standing.owned,
    stale: standing.stale,
    attachedCount: facts.user.attachedPolicyArns.length,
    quotas: ctx.quotas,
    nameOf: names.nameOf,
  })
  const events = [...(on.events ?? []), ...names.events]
  const report = {
    ...(on.granted !== undefined ? { granted: on.granted } : {}),
    ...(on.judgedActions !== undefined ? { judgedActions: on.judgedActions } : {}),
    ...(on.recentUse !== undefined ? { recentUse: on.recentUse } : {}),
  }
  const blocked = firstOutcome(BEFORE_WRITE, { writes })
  const partial =
    blocked && writes.kind === 'quota-blocked'
      ? partly(ctx, facts, standing, { on, desired, names, writes })
      : undefined
  if (partial) return { ...partial, events: [...events, ...partial.events], ...report }
  if (blocked) {
    const { level, event, fields } = blocked.alert
    return {
      decision: { ...standing.base, status: blocked.status, reason: blocked.reason, ...changes },
      ops: [],
      after: standing.kept,
      events: [...events, { level, event, fields, msg: blocked.reason }],
    }
  }
  return {
    decision: {
      ...standing.base,
      ...changes,
      ...(on.reused ? { reportReused: true as const } : {}),
      status: on.status ?? 'unchanged',
      reason: on.reason ?? 'deny set and policies up to date',
    },
    ops: writes.kind === 'writes' ? writes.ops : [], // the quota gate settles the other kind
    after: afterWrites(plan, desired, names.nameOf),
    events,
    ...report,
  }
}

/** The plan with the new action denies the user's policy budget holds (action-budget.ts), the rest said. */
function withinBudget(ctx: AccountContext, facts: UserFacts, standing: Standing, on: DeniedOn): DeniedOn {
  const budget = fitActionBudget(ctx, facts, standing, on.plan)
  if (budget.left.length === 0) return on
  return {
    ...on,
    plan: budget.plan,
    events: [...(on.events ?? []), ...budget.events],
    reason: `${on.reason ?? 'deny set and policies up to date'}; ${budget.left.length} action denies over the policy budget`,
  }
}

/**
 * A user with too few free attachment slots for every part still gets what fits: every service denied
 * now, then as many new ones as the free slots hold, in order. Packing is sorted, so rendering the whole
 * set and cutting parts off could drop a service denied today for a new one that sorts before it: a lift
 * nobody asked for. Part 1 carries the guards, so one free slot keeps the user from undoing their denies;
 * the services left out are not denied, and said (quota-blocked).
 */
function partly(
  ctx: AccountContext,
  facts: UserFacts,
  standing: Standing,
  blocked: {
    on: DeniedOn
    desired: readonly RenderedPart[]
    names: ReturnType<typeof partNames>
    writes: { needed: number; available: number }
  },
): PlanParts | undefined {
  const { on, desired, names, writes } = blocked
  const fit = largestFit(ctx, standing, on.plan.deny, writes.available)
  if (fit === undefined || fit.length === 0) return undefined
  const planned = planWrites({
    desired: fit,
    owned: standing.owned,
    stale: standing.stale,
    attachedCount: facts.user.attachedPolicyArns.length,
    quotas: ctx.quotas,
    nameOf: names.nameOf,
  })
  if (planned.kind !== 'writes') return undefined
  const written = new Set(fit.flatMap((d) => d.services))
  const left = on.plan.deny.filter((ns) => !written.has(ns))
  // What is not written is not denied: its adds wait, and a scheduled deny among them stays scheduled.
  const plan = {
    ...on.plan,
    deny: on.plan.deny.filter((ns) => written.has(ns)),
    added: on.plan.added.filter((a) => written.has(a.namespace)),
  }
  const waiting = on.plan.added.flatMap((a) => {
    const notice = written.has(a.namespace) ? undefined : facts.prior.scheduled?.[a.namespace]
    return notice ? [[a.namespace, notice] as const] : []
  })
  const scheduled = { ...plan.scheduled, ...Object.fromEntries(waiting) }
  const reason = `needs ${writes.needed} more attached policies, the quota leaves ${writes.available}: the guards and ${fit.length} of ${desired.length} parts written; not denied: ${left.join(', ')}`
  return {
    decision: { ...standing.base, ...changesOf(facts.prior, plan), status: 'quota-blocked', reason },
    ops: planned.ops,
    after: { ...afterWrites(plan, fit, names.nameOf), scheduled },
    events: [
      {
        level: 'warn',
        event: 'alert.quota-blocked',
        fields: { needed: writes.needed, available: writes.available, notDenied: left },
        msg: reason,
      },
    ],
  }
}

/**
 * The rendering of the services denied now plus the longest run of new ones whose new parts the free
 * slots hold; undefined when the services denied now do not fit on their own (then nothing is written).
 */
function largestFit(
  ctx: AccountContext,
  standing: Standing,
  deny: readonly string[],
  available: number,
): RenderedPart[] | undefined {
  const attached = new Set(standing.owned.filter((o) => o.attached).map((o) => o.part))
  const held = new Set(standing.kept.denied)
  const keep = deny.filter((ns) => held.has(ns))
  // iam first, as the full rendering puts it in part 1: its statements keep the user from making a principal.
  const fresh = deny.filter((ns) => !held.has(ns)).sort((a, b) => Number(b === 'iam') - Number(a === 'iam'))
  const render = (n: number) => {
    const parts = renderDenyPolicies([...keep, ...fresh.slice(0, n)], standing.target, ctx.quotas.policySize)
    return parts.filter((p) => !attached.has(p.part)).length <= Math.max(0, available) ? parts : undefined
  }
  // Halving: every rendering it keeps fits; it finds the longest run as more services take no fewer parts.
  let best = render(0)
  if (!best) return undefined
  let [low, high] = [0, fresh.length]
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    const parts = render(mid)
    if (parts) [best, low] = [parts, mid]
    else high = mid - 1
  }
  return best
}

function afterWrites(
  plan: DenyPlan,
  desired: readonly RenderedPart[],
  nameOf: (part: number) => { arn: string },
): UserPlan['after'] {
  return {
    denied: plan.deny,
    policyArns: desired.map((d) => nameOf(d.part).arn),
    policyDigests: desired.map((d) => documentDigest(d.document)),
    scheduled: plan.scheduled,
  }
}

/** The decision's changes; a deny carried out leaves the schedule only once written (braked, it waits on). */
function changesOf(prior: PriorUser, plan: DenyPlan): Partial<UserDecision> {
  const carried = plan.added.flatMap((a) => {
    const notice = a.scheduledOn ? prior.scheduled?.[a.namespace] : undefined
    return notice ? [[a.namespace, notice] as const] : []
  })
  return {
    added: plan.added,
    removed: plan.removed,
    firstSeen: plan.firstSeen,
    scheduled: { ...plan.scheduled, ...Object.fromEntries(carried) },
    ...(plan.newlyScheduled.length > 0 ? { newlyScheduled: plan.newlyScheduled } : {}),
    ...(plan.cancelled.length > 0 ? { cancelled: plan.cancelled } : {}),
    ...(plan.attempts.length > 0 ? { attempts: plan.attempts } : {}),
  }
}

/**
 * The name of each part's policy: the live one's, or for a new part the plain name, unless a policy
 * outside the project's path already holds it (ignoring case, as IAM compares names), in which case a
 * suffixed name is used and the squatting is alerted. The suffix comes from the run's random salt, so
 * nobody can take it first.
 */
function partNames(ctx: AccountContext, user: IamUser, owned: readonly OwnedPart[]) {
  const names = new Map(owned.map((o) => [o.part, { name: o.policy.name, arn: o.policy.arn }]))
  const events: PlanEvent[] = []
  const { policyNamePrefix: prefix, policyPath } = ctx.settings
  const nameOf = (part: number) => {
    const known = names.get(part)
    if (known) return known
    const plain = policyName(prefix, part, user.id)
    let name = plain
    if (ctx.takenNames.has(plain.toLowerCase())) {
      const suffix = createHash('sha256')
        .update(`${ctx.nameSalt}/${user.id}/${part}`)
        .digest('hex')
        .slice(0, 8)
      name = policyName(prefix, part, user.id, suffix)
      events.push({
        level: 'error',
        event: 'alert.policy-name-taken',
        fields: { policyName: plain, using: name },
        msg: 'a policy outside the project path holds this name; using another',
      })
    }
    const entry = { name, arn: policyArn(user.arn, policyPath, name) }
    names.set(part, entry)
    return entry
  }
  return { nameOf, events }
}
