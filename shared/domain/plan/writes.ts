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
import type { AccountContext, DeniedOn, PlanParts, Standing, UserFacts, UserPlan } from './user-facts.js'

/** The documents a deny set renders to, the writes that get there, and the quota gate on them. */
export function withWrites(
  ctx: AccountContext,
  facts: UserFacts,
  standing: Standing,
  on: DeniedOn,
): PlanParts {
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
    ...(on.recentUse !== undefined ? { recentUse: on.recentUse } : {}),
  }
  const blocked = firstOutcome(BEFORE_WRITE, { writes })
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
