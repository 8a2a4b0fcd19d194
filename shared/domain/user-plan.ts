/**
 * One user's plan, pure: from what IAM shows, what the records hold and (when it was needed) a fresh
 * Access Advisor report, the decision and the IAM writes that carry it out. Where a fresh report is
 * needed and not in hand, the plan says so as data; alerts come back as events to log.
 */
import { createHash } from 'node:crypto'
import type { EngineConfig } from '../config.js'
import { type PolicyTarget, type RenderedPart, renderDenyPolicies } from './deny-policy.js'
import type { PlanEvent } from './events.js'
import { exemptionFor } from './exemption.js'
import { BEFORE_READ, BEFORE_WRITE, firstOutcome, type ReadGateOutcome } from './gates.js'
import type { Intent } from './intent.js'
import { ownerOf } from './notice.js'
import type { UserPolicies } from './ownership.js'
import { type DenyPlan, type PlanInput, planDenySet } from './planner.js'
import { policyArn, policyName } from './policy-naming.js'
import type { PriorUser } from './prior-user.js'
import type { UserDecision } from './records.js'
import { type ReadReason, readNeeded, type StoredUsage } from './report-reuse.js'
import { detectTampering, documentDigest } from './tamper.js'
import type { AccountQuotas, IamUser, ServiceUsage } from './types.js'
import { currentServices, defaultDocument, type OwnedPart, planWrites, type WriteOp } from './write-plan.js'

/** What the account's plan knows that every user's shares. */
export interface AccountContext {
  accountId: string
  settings: EngineConfig
  intent: Intent
  quotas: AccountQuotas
  /** Names of every candidate policy in the account, lower case (IAM compares names ignoring case). */
  takenNames: ReadonlySet<string>
  now: Date
  /** The account's first enforce sweep: its new denies are scheduled as its onboarding. */
  onboarding: boolean
  /** Random per run: the suffix of a policy name taken first outside the path cannot be guessed. */
  nameSalt: string
}

/** A stored report as the plan reads it: its services, and whether this sweep read it. */
export interface KnownReport extends StoredUsage {
  services: readonly ServiceUsage[]
  thisSweep: boolean
}

/** A fresh Access Advisor read made by this run for the user. */
export type UsageRead =
  | { kind: 'read'; services: readonly ServiceUsage[] }
  | { kind: 'failed'; reason: string }

export interface UserFacts {
  user: IamUser
  policies: UserPolicies
  prior: PriorUser
  stored?: KnownReport
  read?: UsageRead
}

/** What one user's plan is, before anything is written. */
export interface UserPlan {
  user: IamUser
  decision: UserDecision
  ops: WriteOp[]
  /** The live state after the writes (when there are any). */
  after: Pick<UserDecision, 'denied' | 'policyArns' | 'policyDigests' | 'scheduled'>
  /** What the record keeps when nothing is written (plan mode, brake, quota, a failure). */
  kept: Pick<UserDecision, 'denied' | 'policyArns' | 'policyDigests'>
  /** Services in the user's report; absent when no report was read. */
  granted?: number
  /** Services denied live before the run. */
  activeDenies: number
  /** Policies the last sweep recorded for the user, and how many are gone. */
  recordedPolicies: number
  missingPolicies: number
  /** The report, read in this run, shows a service used within the window: not an outage's reply. */
  recentUse?: boolean
  events: PlanEvent[]
}

export type UserStep =
  | { kind: 'planned'; plan: UserPlan }
  | { kind: 'needs-read'; user: IamUser; why: ReadReason | 'would-add' }
  /** An operator's request that cannot be carried out: the run stops, naming it. */
  | { kind: 'refused'; reason: string }

/** The user's standing before this run: what is live, what the record keeps, and the decision's base. */
interface Standing {
  user: IamUser
  live: { denied: string[] }
  kept: UserPlan['kept']
  target: PolicyTarget
  base: UserDecision
  counts: Pick<UserPlan, 'activeDenies' | 'recordedPolicies' | 'missingPolicies'>
  events: PlanEvent[]
  owned: readonly OwnedPart[]
  stale: UserPolicies['stale']
}

export function planUser(ctx: AccountContext, facts: UserFacts): UserStep {
  const standing = standingOf(ctx, facts)
  const settled = (status: UserDecision['status'], reason: string, events: PlanEvent[] = []) =>
    planned(standing, {
      decision: { ...standing.base, status, reason },
      ops: [],
      after: standing.kept,
      events,
    })
  const failed = (reason: string) =>
    settled('error', `${reason}; nothing changed for this user`, [
      { level: 'warn', event: 'alert.user-error', fields: { reason }, msg: 'user left unchanged' },
    ])
  try {
    const gate = firstOutcome(BEFORE_READ, gateInput(ctx, facts, standing))
    if (gate?.kind === 'refuse') return { kind: 'refused', reason: `${gate.reason} in ${ctx.accountId}` }
    if (gate?.kind === 'settle') return settled(gate.status, gate.reason)
    const report = gate ? undefined : reportFor(ctx, facts, standing)
    if (report?.kind === 'needs-read') return report
    if (report?.kind === 'failed') return failed(report.reason)
    const on = report ? planOn(report, ctx.now) : gated(gate)
    return planned(standing, withWrites(ctx, facts, standing, on))
  } catch (error) {
    // A set that cannot be rendered or written without a window: the user is left as they are.
    return failed(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  }
}

function gated(gate: Extract<ReadGateOutcome, { kind: 'lift' }> | undefined): DeniedOn {
  if (!gate) throw new Error('a user was planned with neither a gate nor a report')
  return { plan: gate.plan, status: gate.status, reason: gate.reason }
}

interface DeniedOn {
  plan: DenyPlan
  status?: UserDecision['status']
  reason?: string
  reused?: boolean
  /** Services in the report and whether it shows use within the window, for the brake. */
  granted?: number
  recentUse?: boolean
  events?: PlanEvent[]
}

type PlanParts = Pick<UserPlan, 'decision' | 'ops' | 'after' | 'events'> &
  Partial<Pick<UserPlan, 'granted' | 'recentUse'>>

function planned(standing: Standing, parts: PlanParts): UserStep {
  const plan: UserPlan = {
    user: standing.user,
    kept: standing.kept,
    ...standing.counts,
    ...parts,
    events: [...standing.events, ...parts.events],
  }
  return { kind: 'planned', plan }
}

function standingOf(ctx: AccountContext, facts: UserFacts): Standing {
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
    ...(tag && prior.recorded && prior.exemptTag !== tag ? { newlyExemptTag: tag } : {}),
    ...(owner ? { owner } : {}),
    // Until a plan says otherwise (an error, too young), what was scheduled stays scheduled.
    ...(prior.scheduled ? { scheduled: { ...prior.scheduled } } : {}),
  }
}

function standingEvents(base: UserDecision): PlanEvent[] {
  const events: PlanEvent[] = []
  if (base.tampered)
    events.push({
      level: 'error',
      event: 'alert.tampered',
      fields: { findings: base.tampered },
      msg: 'the project policies were changed by someone else',
    })
  if (base.newlyExemptTag)
    events.push({
      level: 'error',
      event: 'alert.newly-exempt',
      fields: { tag: base.newlyExemptTag },
      msg: 'the user became exempt by tag since the last sweep; every deny of theirs is lifted',
    })
  return events
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
    exemptTag: standing.base.exemptTag,
    exemptUntil: prior.exemptUntil,
    release: ctx.intent.kind === 'release' ? ctx.intent.services : undefined,
  }
}

/** What we denied stays the reference even if someone edited the live text. */
function currentlyDenied(standing: Standing, prior: PriorUser): Set<string> {
  return new Set([...standing.live.denied, ...(prior.recorded?.denied ?? [])])
}

type ReportChoice =
  | {
      kind: 'report'
      input: (at?: Date) => PlanInput
      services: readonly ServiceUsage[]
      at?: Date
      reused: boolean
    }
  | { kind: 'failed'; reason: string }
  | { kind: 'needs-read'; user: IamUser; why: ReadReason | 'would-add' }

/**
 * The user's complete report: the one this run read; else the one this sweep already read; else the
 * last one, when nothing calls for a fresh read (report-reuse.ts) and the plan it gives adds no deny;
 * else a fresh read is needed.
 */
function reportFor(ctx: AccountContext, facts: UserFacts, standing: Standing): ReportChoice {
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
    full: ctx.intent.kind === 'sweep' && ctx.intent.fullReads,
  })
  // A deny is never added on an old report: when the stored one would add any, a fresh read decides.
  if (stored && !why && planDenySet(input(stored.services)()).added.length === 0)
    return { kind: 'report', input: input(stored.services), services: stored.services, reused: true }
  return { kind: 'needs-read', user, why: why ?? 'would-add' }
}

/** The planner on a complete report; each new attempt on a denied service is an alert. */
function planOn(report: Extract<ReportChoice, { kind: 'report' }>, now: Date): DeniedOn {
  const input = report.input(report.at)
  const plan = planDenySet(input)
  return {
    plan,
    reused: report.reused,
    granted: report.services.length,
    // Only a report read in this sweep says whether today's reads look like an outage's.
    ...(report.reused ? {} : { recentUse: usedWithin(report.services, now, input.windowDays) }),
    events: plan.attempts.map((attempt) => ({
      level: 'warn' as const,
      event: 'alert.denied-attempt',
      fields: { ...attempt },
      msg: `activity on denied service ${attempt.namespace}: an attempt, the deny stays`,
    })),
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
  }
}

/** The documents a deny set renders to, the writes that get there, and the quota gate on them. */
function withWrites(ctx: AccountContext, facts: UserFacts, standing: Standing, on: DeniedOn): PlanParts {
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

/** Whether any service of a report was used within the window. */
function usedWithin(report: readonly ServiceUsage[], now: Date, windowDays: number): boolean {
  const start = now.getTime() - windowDays * 86_400_000
  return report.some((u) => (u.lastAuthenticated?.getTime() ?? 0) >= start)
}
