import { type PolicyTarget, type RenderedPart, renderDenyPolicies } from '../deny-policy.js'
import type { PlanEvent } from '../events.js'
import { exemptionFor } from '../exemption.js'
import { exemptByTagReason } from '../gates.js'
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
  const honoured = tag !== undefined && honoursTag(ctx, kept, prior, tag)
  const changed = tag !== undefined && prior.exemptTag !== tag
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
    ...(honoured ? { honouredTag: tag } : {}),
    ...(changed && honoured ? { newlyExemptTag: tag } : {}),
    ...(changed && !honoured ? { exemptionRequest: tag } : {}),
    ...(owner ? { owner } : {}),
    // Until a plan says otherwise (an error, too young), what was scheduled stays scheduled.
    ...(prior.scheduled ? { scheduled: { ...prior.scheduled } } : {}),
  }
}

/**
 * Whether a user's exemption tag exempts them. Only the account's baseline is honoured: a tag present
 * before any enforce sweep reached the account, on a user who holds nothing of ours to lift, and the
 * same tag kept on a user it exempted. Any other tag is a request: set by someone other than the user
 * (the user may not), on a user created since, or after a release, a notice or an operator's exemption
 * left the user holding nothing; only an operator's recorded exemption lifts a deny.
 */
export function honoursTag(
  ctx: Pick<AccountContext, 'tagBaseline'>,
  kept: UserPlan['kept'],
  prior: PriorUser,
  tag: string,
): boolean {
  const recorded = prior.recorded
  if (recorded?.honouredTag === tag) return true
  // Rows from before honouredTag was kept: a user the same tag exempted at the last sweep.
  if (
    recorded &&
    !recorded.honouredTag &&
    recorded.status === 'exempt' &&
    recorded.reason === exemptByTagReason(tag)
  )
    return true
  return ctx.tagBaseline && kept.denied.length === 0 && Object.keys(prior.scheduled ?? {}).length === 0
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
