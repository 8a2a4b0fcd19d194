import { errorMessage } from '../../errors.js'
import { covers } from '../actions/keys.js'
import type { PlanEvent } from '../events.js'
import { BEFORE_READ, firstOutcome, type ReadGateOutcome } from '../gates.js'
import type { UserDecision } from '../records.js'
import type {
  AccountContext,
  DeniedOn,
  PlanParts,
  Standing,
  UserFacts,
  UserPlan,
  UserStep,
} from './user-facts.js'

export type { AccountContext, KnownReport, UsageRead, UserFacts, UserPlan, UserStep } from './user-facts.js'

import { planOn, reportFor } from './report-choice.js'
import { currentlyDenied, standingOf } from './standing.js'
import { withWrites } from './writes.js'

/** `known`: the user's standing from the plan made before this run's read, not worked out again. */
export function planUser(ctx: AccountContext, facts: UserFacts, known?: Standing): UserStep {
  const standing = known ?? standingOf(ctx, facts)
  const settled = (status: UserDecision['status'], reason: string, events: PlanEvent[] = []) =>
    planned(standing, {
      decision: { ...standing.base, status, reason },
      ops: [],
      after: standing.kept,
      events,
    })
  const failed = (reason: string, events: PlanEvent[] = []) =>
    settled('error', `${reason}; nothing changed for this user`, events)
  try {
    const gate = firstOutcome(BEFORE_READ, gateInput(ctx, facts, standing))
    if (gate?.kind === 'refuse') return { kind: 'refused', reason: `${gate.reason} in ${ctx.accountId}` }
    if (gate?.kind === 'settle') return settled(gate.status, gate.reason)
    const report = gate ? undefined : reportFor(ctx, facts, standing)
    if (report?.kind === 'needs-read') return { ...report, standing }
    // The read's failure was alerted as it happened.
    if (report?.kind === 'failed') return failed(report.reason)
    const on = report ? planOn(report, ctx.now) : gated(gate)
    return planned(standing, withWrites(ctx, facts, standing, on))
  } catch (error) {
    // A set that cannot be rendered or written without a window: the user is left as they are.
    const reason = errorMessage(error)
    return failed(reason, [
      { level: 'warn', event: 'alert.user-error', fields: { reason }, msg: 'user left unchanged' },
    ])
  }
}

function gated(gate: Extract<ReadGateOutcome, { kind: 'lift' }> | undefined): DeniedOn {
  if (!gate) throw new Error('a user was planned with neither a gate nor a report')
  return { plan: gate.plan, status: gate.status, reason: gate.reason }
}

function planned(standing: Standing, parts: PlanParts): UserStep {
  const plan: UserPlan = {
    user: standing.user,
    kept: standing.kept,
    ...standing.counts,
    restored: restoredBy(standing, parts),
    ...parts,
    events: [...standing.events, ...parts.events],
  }
  return { kind: 'planned', plan }
}

/**
 * Services the writes deny again that no live policy holds and the plan does not add: the record's word
 * alone puts them back (a policy someone deleted, or a row someone forged), so the brake counts them.
 */
function restoredBy(standing: Standing, parts: PlanParts): number {
  if (parts.ops.length === 0) return 0
  const live = new Set(standing.live.denied)
  const added = new Set(parts.decision.added.map((a) => a.namespace))
  // An action of a service denied whole is held by the service's entry.
  return parts.after.denied.filter((key) => !covers(live, key) && !added.has(key)).length
}

function gateInput(ctx: AccountContext, facts: UserFacts, standing: Standing) {
  const { prior, user } = facts
  return {
    user,
    now: ctx.now,
    windowDays: ctx.settings.windowDays,
    currentlyDenied: currentlyDenied(standing, prior),
    priorFirstSeen: prior.firstSeen,
    scheduled: prior.scheduled ?? {},
    exemptTag: standing.base.honouredTag,
    exemptUntil: prior.exemptUntil,
    release: ctx.intent.kind === 'release' ? ctx.intent.services : undefined,
    lostExemptions: prior.lostExemptions,
  }
}
