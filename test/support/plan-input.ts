import type { PlanInput } from '../../shared/domain/planner.js'

/** A planner input for a user created a year before `now`, nothing denied or scheduled, no notice. */
export function planInput(now: Date, overrides: Partial<PlanInput>): PlanInput {
  return {
    report: [],
    currentlyDenied: new Set(),
    deniedSince: {},
    lastAttempts: {},
    firstSeen: undefined,
    userCreateDate: new Date(now.getTime() - 365 * 86_400_000),
    now,
    windowDays: 90,
    neverDeny: new Set(),
    exemptServices: new Set(),
    scheduled: {},
    noticeDays: 0,
    onboarding: false,
    ...overrides,
  }
}
