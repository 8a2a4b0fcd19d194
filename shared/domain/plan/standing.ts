import { type PolicyTarget, type RenderedPart, renderDenyPolicies } from '../deny-policy.js'
import type { PlanEvent } from '../events.js'
import { exemptionFor } from '../exemption.js'
import { ownerOf } from '../notice.js'
import type { PriorUser } from '../prior-user.js'
import type { UserDecision } from '../records.js'
import { detectTampering, documentDigest } from '../tamper.js'
import { currentServices, defaultDocument } from '../write-plan.js'
import type { AccountContext, Standing, UserFacts, UserPlan } from './user-facts.js'

export function standingOf(ctx: AccountContext, facts: UserFacts): Standing {
  const { user, prior } = facts
  const { owned, stale } = facts.policies
  // Another user's policy attached here is tampering, and what it denies is not this user's deny.
  const legacy = stale.filter((s) => s.legacy)
  const planted = stale.filter((s) => !s.legacy)
  const recorded = prior.recorded
  const live = {
    denied: [...new Set([...owned, ...legacy].flatMap(currentServices))].sort(),
    policyArns: owned.map((o) => o.policy.arn),
    policyDigests: owned.map((o) => documentDigest(defaultDocument(o.policy) ?? '')),
  }
  // Whenever nothing is written (plan mode, brake, quota, a failure), the record keeps what we deny: what
  // is live plus what the last sweep recorded, so a deny missing from the live policies is never
  // forgotten, only restored by the next sweep that writes.
  const kept = {
    denied: [...new Set([...live.denied, ...(recorded?.denied ?? [])])].sort(),
    policyArns: recorded ? [...recorded.policyArns] : live.policyArns,
    policyDigests: recorded ? [...(recorded.policyDigests ?? [])] : live.policyDigests,
  }
  const target = {
    userArn: user.arn,
    userId: user.id,
    policyPath: ctx.settings.policyPath,
    policyNamePrefix: ctx.settings.policyNamePrefix,
    exemptTagKeys: ctx.settings.exemptTags.map((t) => t.key),
  }
  // Our rendering of everything we deny: a version that drops a recorded service is tampering.
  const tampered = detectTampering(
    recorded,
    [...owned, ...legacy],
    planted,
    ourRendering(kept.denied, target, ctx.quotas.policySize),
  )
  const base = baseDecision(ctx, facts, kept, tampered)
  return {
    user,
    live,
    kept,
    target,
    base,
    owned,
    stale,
    counts: {
      activeDenies: live.denied.length,
      recordedPolicies: recorded?.policyArns.length ?? 0,
      missingPolicies: tampered.filter((t) => t.kind === 'deleted').length,
    },
    events: standingEvents(base),
  }
}

function baseDecision(
  ctx: AccountContext,
  facts: UserFacts,
  kept: UserPlan['kept'],
  tampered: NonNullable<UserDecision['tampered']>,
): UserDecision {
  const { user, prior } = facts
  const tag = exemptionFor(user, ctx.settings.exemptTags)
  const owner = ownerOf(user.tags, ctx.settings.ownerSlackTag)
  const fresh = tag !== undefined && prior.recorded !== undefined && prior.exemptTag !== tag
  return {
    accountId: ctx.accountId,
    userName: user.name,
    userId: user.id,
    userArn: user.arn,
    status: 'unchanged',
    reason: '',
    ...kept,
    added: [],
    removed: [],
    writes: 0,
    ...(tampered.length > 0 ? { tampered } : {}),
    ...(tag ? { exemptTag: tag } : {}),
    ...(fresh && honoursTag(kept, prior) ? { newlyExemptTag: tag } : {}),
    ...(fresh && !honoursTag(kept, prior) ? { exemptionRequest: tag } : {}),
    ...(owner ? { owner } : {}),
    // Until a plan says otherwise (an error, too young), what was scheduled stays scheduled.
    ...(prior.scheduled ? { scheduled: { ...prior.scheduled } } : {}),
  }
}

/**
 * An exemption tag exempts a user who holds nothing of ours to lift: no deny live or recorded, none
 * scheduled (tags present when an account is first enforced are honoured this way). On a user who holds
 * denies it is a request: someone other than the user set it (the user may not), and only an operator's
 * recorded exemption lifts a deny.
 */
export function honoursTag(kept: UserPlan['kept'], prior: PriorUser): boolean {
  return kept.denied.length === 0 && Object.keys(prior.scheduled ?? {}).length === 0
}

/** What a standing finding tells operators, each an alert of its own. */
const STANDING_ALERTS = [
  {
    finding: 'tampered',
    event: 'alert.tampered',
    field: 'findings',
    msg: 'the project policies were changed by someone else',
  },
  {
    finding: 'newlyExemptTag',
    event: 'alert.newly-exempt',
    field: 'tag',
    msg: 'the user became exempt by tag since the last sweep; they held no deny to lift',
  },
  {
    finding: 'exemptionRequest',
    event: 'alert.exemption-requested',
    field: 'tag',
    msg: 'an exemption tag was set on a user who holds denies: a request, nothing is lifted',
  },
] as const

function standingEvents(base: UserDecision): PlanEvent[] {
  return STANDING_ALERTS.flatMap(({ finding, event, field, msg }) => {
    const value = base[finding]
    return value ? [{ level: 'error' as const, event, fields: { [field]: value }, msg }] : []
  })
}

/** What we denied stays the reference even if someone edited the live text. */
export function currentlyDenied(standing: Standing, prior: PriorUser): Set<string> {
  return new Set([...standing.live.denied, ...(prior.recorded?.denied ?? [])])
}

/**
 * Whether a live default document is exactly what this project renders for the services it denies: such
 * a version is ours (written by a sweep whose record was not saved), never tampering.
 */
function ourRendering(
  denied: readonly string[],
  target: PolicyTarget,
  policySize: number,
): (part: number, document: string) => boolean {
  let rendered: RenderedPart[] | undefined
  return (part, document) => {
    try {
      rendered ??= renderDenyPolicies(denied, target, policySize)
    } catch {
      return false // a set that does not render is not ours
    }
    return rendered.some((r) => r.part === part && r.document === document)
  }
}
