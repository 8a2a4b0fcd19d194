/**
 * How many of a user's new action denies their policy budget holds. Service denies come first and are
 * never held back here (the quota gate in writes.ts judges them); new action denies are added riskiest
 * first (permission management, then writes, then the rest; `iam` and `sts` before other services)
 * while the project's policies stay within MAX_DENY_POLICIES and the free attachment slots. Every
 * action deny in force stays. What does not fit is not denied, and said.
 */
import { CATALOG } from '../actions/catalog.js'
import { isActionKey, serviceOf } from '../actions/keys.js'
import { renderDenyPolicies } from '../deny-policy.js'
import type { PlanEvent } from '../events.js'
import type { DenyPlan } from '../planner.js'
import type { AccountContext, Standing, UserFacts } from './user-facts.js'

const FIRST_SERVICES = new Set(['iam', 'sts'])

/** Risk order: the key that sorts first is added first. */
export function riskOrder(a: string, b: string): number {
  const rank = (key: string) => {
    const ns = serviceOf(key)
    return [CATALOG.risk(ns, key.slice(ns.length + 1)), FIRST_SERVICES.has(ns) ? 0 : 1] as const
  }
  const [ra, sa] = rank(a)
  const [rb, sb] = rank(b)
  return ra - rb || sa - sb || (a < b ? -1 : a > b ? 1 : 0)
}

export interface Fitted {
  plan: DenyPlan
  /** New action denies the budget did not hold, riskiest first. */
  left: string[]
  events: PlanEvent[]
}

export function fitActionBudget(
  ctx: AccountContext,
  facts: UserFacts,
  standing: Standing,
  plan: DenyPlan,
): Fitted {
  const held = new Set(standing.kept.denied)
  const fresh = plan.deny.filter((k) => isActionKey(k) && !held.has(k)).sort(riskOrder)
  if (fresh.length === 0) return { plan, left: [], events: [] }
  const freshSet = new Set(fresh)
  const base = plan.deny.filter((k) => !freshSet.has(k))
  const ours = new Set(standing.owned.filter((o) => o.attached).map((o) => o.policy.arn))
  const othersAttached = facts.user.attachedPolicyArns.filter((arn) => !ours.has(arn)).length
  const limit = Math.min(ctx.settings.maxDenyPolicies, ctx.quotas.attachedPoliciesPerUser - othersAttached)
  const fits = (n: number) =>
    renderDenyPolicies([...base, ...fresh.slice(0, n)], standing.target, ctx.quotas.policySize).length <=
    limit
  // Halving: more denies never take fewer policies, so the longest run that fits is found in log steps.
  let [low, high] = [0, fits(fresh.length) ? fresh.length : fresh.length - 1]
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (fits(mid)) low = mid
    else high = mid - 1
  }
  if (low === fresh.length) return { plan, left: [], events: [] }
  const left = fresh.slice(low)
  const out = new Set(left)
  const fitted: DenyPlan = {
    ...plan,
    deny: plan.deny.filter((k) => !out.has(k)),
    added: plan.added.filter((a) => !out.has(a.namespace)),
    // A scheduled deny that does not fit stays scheduled: it is carried out once room is made.
    scheduled: {
      ...plan.scheduled,
      ...Object.fromEntries(
        left.flatMap((k) => (facts.prior.scheduled?.[k] ? [[k, facts.prior.scheduled[k]]] : [])),
      ),
    },
  }
  const msg = `${left.length} action denies do not fit ${limit} policies (MAX_DENY_POLICIES and the free attachment slots): not denied, riskiest first ${left.slice(0, 5).join(', ')}`
  return {
    plan: fitted,
    left,
    events: [
      {
        level: 'warn',
        event: 'alert.action-budget',
        fields: { notDenied: left.length, first: left.slice(0, 10), policies: limit },
        msg,
      },
    ],
  }
}
