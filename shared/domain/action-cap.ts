/**
 * A user's record names every action deny and schedule with its dates, and DynamoDB keeps at most 400 KB
 * an item: about 90 bytes a key. So one user holds at most MAX_ACTION_KEYS action denies and schedules;
 * new ones past it are held back, the least risky first, and said (alert.action-budget). What is denied
 * or scheduled already is never dropped for it.
 */
import { isActionKey } from './actions/keys.js'
import { riskOrder } from './plan/action-budget.js'
import type { DenyPlan, PlanInput } from './planner.js'

export const MAX_ACTION_KEYS = 1_500

export function capActionKeys(input: PlanInput, plan: DenyPlan, deny: Set<string>): void {
  const count = (keys: Iterable<string>) => [...keys].filter(isActionKey).length
  const total = count(deny) + count(Object.keys(plan.scheduled))
  if (total <= MAX_ACTION_KEYS) return
  const held = (key: string) => input.currentlyDenied.has(key) || input.scheduled[key] !== undefined
  const fresh = [...deny, ...Object.keys(plan.scheduled)]
    .filter((key) => isActionKey(key) && !held(key))
    .sort(riskOrder)
  const out = new Set(fresh.slice(Math.max(0, fresh.length - (total - MAX_ACTION_KEYS))))
  for (const key of out) {
    deny.delete(key)
    delete plan.scheduled[key]
  }
  plan.added = plan.added.filter((a) => !out.has(a.namespace))
  plan.newlyScheduled = plan.newlyScheduled.filter((key) => !out.has(key))
  plan.heldBack = [...out].sort(riskOrder)
}
