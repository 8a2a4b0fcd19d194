import { MAX_ACTION_KEYS } from '../action-cap.js'
import { CATALOG } from '../actions/catalog.js'
import { type DenyPlan, type PlanInput, planDenySet } from '../planner.js'
import { type ReadReason, readNeeded } from '../report-reuse.js'
import type { IamUser, ServiceUsage } from '../types.js'
import { fitActionBudget } from './action-budget.js'
import { readsFresh } from './intent.js'
import { currentlyDenied } from './standing.js'
import type { AccountContext, DeniedOn, Standing, UserFacts } from './user-facts.js'

export type ReportChoice =
  | {
      kind: 'report'
      input: (at?: Date) => PlanInput
      services: readonly ServiceUsage[]
      at?: Date
      reused: boolean
      /** The plan already made on this report (a stored one, to tell whether it would add a deny). */
      plan?: DenyPlan
    }
  | { kind: 'failed'; reason: string }
  | { kind: 'needs-read'; user: IamUser; why: ReadReason | 'would-add' }

/**
 * The user's complete report: the one this run read; else the one this sweep already read; else the
 * last one, when nothing calls for a fresh read (report-reuse.ts) and the plan it gives adds no deny;
 * else a fresh read is needed.
 */
export function reportFor(ctx: AccountContext, facts: UserFacts, standing: Standing): ReportChoice {
  const { user, stored, read } = facts
  const input = (services: readonly ServiceUsage[]) => (at?: Date) =>
    plannerInput(ctx, facts, standing, services, at ?? ctx.now)
  if (read?.kind === 'failed') return read
  if (read) return { kind: 'report', input: input(read.services), services: read.services, reused: false }
  // Judged as of its reading: a service that crossed the window since may have been used since, too.
  if (stored?.thisSweep)
    return {
      kind: 'report',
      input: input(stored.services),
      services: stored.services,
      at: stored.readAt,
      reused: false,
    }
  const why = readNeeded({
    stored,
    userId: user.id,
    grantsDigest: user.grantsDigest,
    now: ctx.now,
    refreshDays: ctx.settings.refreshDays,
    full: readsFresh(ctx.intent),
    actionLevel: ctx.settings.actionLevel === 'on',
    ...(facts.quiet ? { quiet: true } : {}),
  })
  // A deny is never added on an old report: when the stored one would add any, a fresh read decides.
  // Adds the policy budget leaves out (action-budget.ts) would not be written: they call for no read,
  // or a user over budget would be read every day for nothing.
  const onStored = stored && !why ? planDenySet(input(stored.services)()) : undefined
  const adds = onStored && fitActionBudget(ctx, facts, standing, onStored).plan.added
  if (stored && onStored && adds?.length === 0)
    return {
      kind: 'report',
      input: input(stored.services),
      services: stored.services,
      reused: true,
      plan: onStored,
    }
  return { kind: 'needs-read', user, why: why ?? 'would-add' }
}

/** The planner on a complete report; each new attempt on a denied service is an alert. */
export function planOn(report: Extract<ReportChoice, { kind: 'report' }>, now: Date): DeniedOn {
  const input = report.input(report.at)
  const plan = report.plan ?? planDenySet(input)
  return {
    plan,
    reused: report.reused,
    granted: report.services.length,
    judgedActions: plan.judgedActions,
    // Only a report read in this sweep says whether today's reads look like an outage's.
    ...(report.reused ? {} : { recentUse: usedWithin(report.services, now, input.windowDays) }),
    events: [
      ...plan.attempts.map((attempt) => ({
        level: 'warn' as const,
        event: 'alert.denied-attempt',
        fields: { ...attempt },
        msg: `activity on denied service ${attempt.namespace}: an attempt, the deny stays`,
      })),
      ...(plan.heldBack.length > 0
        ? [
            {
              level: 'warn' as const,
              event: 'alert.action-budget',
              fields: { notDenied: plan.heldBack.length, first: plan.heldBack.slice(0, 10) },
              msg: `${plan.heldBack.length} action denies held back: a user holds at most ${MAX_ACTION_KEYS} action denies and schedules`,
            },
          ]
        : []),
    ],
  }
}

function plannerInput(
  ctx: AccountContext,
  facts: UserFacts,
  standing: Standing,
  report: readonly ServiceUsage[],
  now: Date,
): PlanInput {
  const { prior, user } = facts
  return {
    report,
    currentlyDenied: currentlyDenied(standing, prior),
    deniedSince: prior.deniedSince ?? {},
    lastAttempts: prior.lastAttempts ?? {},
    ...(prior.pastDenies ? { pastDenies: prior.pastDenies } : {}),
    firstSeen: prior.firstSeen,
    userCreateDate: user.createDate,
    now,
    windowDays: ctx.settings.windowDays,
    neverDeny: new Set(ctx.settings.neverDeny),
    exemptServices: new Set(prior.exemptServices ?? []),
    scheduled: prior.scheduled ?? {},
    noticeDays: ctx.settings.noticeDays,
    onboarding: ctx.onboarding,
    ...actionLevelOf(ctx.settings),
  }
}

/** The planner's view of the action-level settings: absent when actions are not judged. */
export function actionLevelOf(settings: AccountContext['settings']): Pick<PlanInput, 'actionLevel'> {
  if (settings.actionLevel !== 'on') return {}
  const services = settings.actionLevelServices
  return { actionLevel: { catalog: CATALOG, ...(services ? { services: new Set(services) } : {}) } }
}

/** Whether any service of a report was used within the window. */
function usedWithin(report: readonly ServiceUsage[], now: Date, windowDays: number): boolean {
  const start = now.getTime() - windowDays * 86_400_000
  return report.some((u) => (u.lastAuthenticated?.getTime() ?? 0) >= start)
}
