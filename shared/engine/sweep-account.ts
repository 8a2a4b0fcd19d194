import { randomBytes } from 'node:crypto'
import type { IAMClient } from '@aws-sdk/client-iam'
import pLimit from 'p-limit'
import { readServiceUsage, realSleep, type Sleep } from '../aws/access-advisor.js'
import { type AccountSnapshot, readAccountSnapshot, readQuotas } from '../aws/iam-reader.js'
import { executeWrites, purgePolicy } from '../aws/iam-writer.js'
import type { EngineConfig } from '../config.js'
import { assessBlastRadius, type BlastRadius, type BrakeVerdict } from '../domain/brake.js'
import type { DecisionStatus, UserDecision } from '../domain/decision.js'
import { type PolicyTarget, type RenderedPart, renderDenyPolicies } from '../domain/deny-policy.js'
import { exemptionFor } from '../domain/exemption.js'
import { BEFORE_READ, BEFORE_WRITE, firstOutcome } from '../domain/gates.js'
import { ownerOf, type ScheduledDeny } from '../domain/notice.js'
import { classifyPolicies, type UserPolicies } from '../domain/ownership.js'
import { type DenyPeriod, type DenyPlan, planDenySet } from '../domain/planner.js'
import { policyArn, policyName } from '../domain/policy-naming.js'
import type { JobDurations } from '../domain/poll-schedule.js'
import { readNeeded, type StoredUsage } from '../domain/report-reuse.js'
import { detectTampering, documentDigest, type RecordedPolicies } from '../domain/tamper.js'
import type { AccountQuotas, IamUser, ManagedPolicy, ServiceUsage } from '../domain/types.js'
import {
  currentServices,
  defaultDocument,
  fitPolicyBudget,
  type OwnedPart,
  planWrites,
  type WriteOp,
} from '../domain/write-plan.js'
import { ConfigError, errorMessage, LeastPrivilegeError } from '../errors.js'
import type { Logger } from '../logger.js'

/** What earlier sweeps and operators recorded about a user. */
export interface PriorUserState {
  /** Absent until a report has been read for the user (see planDenySet). */
  firstSeen?: Record<string, string>
  /** Services temporarily exempted for this user. */
  exemptServices?: readonly string[]
  /** The whole user is temporarily exempt until this ISO date. */
  exemptUntil?: string
  /** What the last sweep left in place: the yardstick for tampering. */
  recorded?: RecordedPolicies & { denied: readonly string[] }
  /** When each live deny started (ISO), to tell an attempt from a use before the deny. */
  deniedSince?: Readonly<Record<string, string>>
  /** The latest attempt already reported per denied service (ISO). */
  lastAttempts?: Readonly<Record<string, string>>
  /** The last deny period of services no longer denied. */
  pastDenies?: Readonly<Record<string, DenyPeriod>>
  /** The exemption tag recorded at the last sweep. */
  exemptTag?: string
  /** Denies announced and not carried out yet. */
  scheduled?: Readonly<Record<string, ScheduledDeny>>
}

export interface AccountSweepDeps {
  iam: IAMClient
  log: Logger
  now: Date
  sleep?: Sleep
  /** Access Advisor job durations seen so far in this sweep (shared across accounts). */
  jobDurations?: JobDurations
  /** What earlier sweeps recorded about this user, found by its UserId. */
  priorState?: (user: IamUser) => PriorUserState | undefined
  /**
   * Records one user's decision, called right after that user's writes: the record never falls behind
   * the live policies by more than the user in flight, whatever happens to the rest of the account.
   */
  record?: (decision: UserDecision) => Promise<void>
  /**
   * Where complete Access Advisor reports are kept: a report already read in this sweep is used again
   * instead of being read twice, so an account split across invocations is read once, then planned.
   */
  reports?: {
    /** The user's last complete report, and whether this sweep read it. */
    stored: (
      user: IamUser,
    ) => (StoredUsage & { services: readonly ServiceUsage[]; thisSweep: boolean }) | undefined
    /** Keeps a fresh report; it may finish writing later, and reports its own failures. */
    keep: (user: IamUser, report: readonly ServiceUsage[]) => Promise<void>
  }
  /**
   * True once the invocation must wrap up: no new report is started and no further user is written.
   * Reads in flight finish and are kept; the account is then `unfinished`, to be carried on later.
   */
  shouldStop?: () => boolean
}

export interface AccountRunOptions {
  /** An operator confirmed a large change: the blast-radius brake does not apply. */
  confirmLargeChange?: boolean
  /**
   * An operator lifts these denied services of one user (`release`): only that user is read and
   * written, with no Access Advisor read, and the brake does not apply to a person's explicit lift.
   */
  release?: { userName: string; services: readonly string[] }
  /** Only this user (by name, as IAM compares names), for a one-user plan; the account's strays are left. */
  onlyUser?: string
  /** Every user gets a fresh Access Advisor read, whatever their stored report (`sweep --full`). */
  fullReads?: boolean
  /** Users (by UserId) an earlier invocation of this sweep already decided: planned, not decided again. */
  decidedEarlier?: ReadonlySet<string>
  /** The account's first enforce sweep: its new denies are scheduled as its onboarding (notice.ts). */
  onboarding?: boolean
  /**
   * The account's listing (readAccountListing), begun by the caller while it loads the account's records,
   * so the two round trips overlap; read here when absent.
   */
  listing?: Promise<AccountListing>
}

/** Who and what is in the account, and its IAM quotas: the listing every plan starts from. */
export interface AccountListing {
  snapshot: AccountSnapshot
  quotas: AccountQuotas
}

/** Reads the account's listing: the users with what grants them permissions, our policies, the quotas. */
export async function readAccountListing(
  iam: IAMClient,
  config: Pick<EngineConfig, 'policyNamePrefix' | 'policyPath'>,
): Promise<AccountListing> {
  const [snapshot, quotas] = await Promise.all([
    readAccountSnapshot(iam, config.policyNamePrefix, config.policyPath),
    readQuotas(iam),
  ])
  return { snapshot, quotas }
}

export interface AccountResult {
  accountId: string
  /** The sweep onboarded the account: its new denies were scheduled as its onboarding. */
  onboarding?: true
  /** Every user the account's listing holds (those decided by an earlier invocation included). */
  listed: readonly { name: string; id: string }[]
  quotas: AccountQuotas
  decisions: UserDecision[]
  blastRadius: BlastRadius
  /** Set when the brake held back every write in the account. */
  brake?: string
  /** Policies of ours whose owner no longer exists: deleted in enforce mode, listed in plan mode. */
  orphans: string[]
  /** Policies planted under the project's path: always alerted, removed in enforce mode. */
  foreign: string[]
  /**
   * The account was left at a user boundary because time ran out: some reports are still unread (then
   * nothing was written), or some users are still unwritten. Running it again carries on.
   */
  unfinished?: true
}

/** A user's decision before anything is written, with the writes that would carry it out. */
interface UserPlan {
  decision: UserDecision
  ops: WriteOp[]
  /** What the record keeps when nothing is written, and the live state after the writes. */
  kept: Pick<UserDecision, 'denied' | 'policyArns' | 'policyDigests'>
  after: Pick<UserDecision, 'denied' | 'policyArns' | 'policyDigests' | 'scheduled'>
  /** Services in the user's report; undefined when no report was read. */
  granted?: number
  /** Services denied live before the sweep. */
  activeDenies: number
  /** Policies the last sweep recorded for the user, and how many are gone. */
  recordedPolicies: number
  missingPolicies: number
  /** The user's report was not read because the invocation is wrapping up. */
  unread?: true
  /** The report, read in this sweep, shows a service used within the window: not an outage's reply. */
  recentUse?: boolean
}

/**
 * Brings every IAM user of one account to its least-privilege deny set, or, in plan mode, reports what
 * that would take. Every user is planned before anything is written, so that the blast-radius brake can
 * hold back the whole account. One user's failure is recorded in its decision and never stops the others.
 */
export async function sweepAccount(
  deps: AccountSweepDeps,
  accountId: string,
  config: EngineConfig,
  options: AccountRunOptions = {},
): Promise<AccountResult> {
  const { snapshot, quotas } = await (options.listing ?? readAccountListing(deps.iam, config))
  const limit = pLimit(config.userConcurrency)
  const logFor = (userName: string) => deps.log.child({ userName })
  const policies = classifyPolicies(
    snapshot.users,
    snapshot.candidatePolicies,
    config.policyNamePrefix,
    config.policyPath,
  )
  const release = options.release
  const only = release?.userName ?? options.onlyUser
  const users = only
    ? snapshot.users.filter((u) => u.name.toLowerCase() === only.toLowerCase())
    : snapshot.users
  if (only && users.length === 0) throw new ConfigError(`user: no IAM user ${only} in ${accountId}`)
  const listed = snapshot.users.map((u) => ({ name: u.name, id: u.id }))
  // Any policy under our path or with our name prefix means it was enforced before, whatever the table
  // says (a lost or restored table, an older version's policies held by a group).
  const onboarding = options.onboarding === true && snapshot.candidatePolicies.length === 0
  const planned = await Promise.all(
    users.map((user) =>
      limit(() =>
        planUser(
          deps,
          logFor(user.name),
          accountId,
          config,
          quotas,
          user,
          policies.forUser(user),
          policies.takenNames,
          release,
          options.fullReads === true,
          onboarding,
        ),
      ),
    ),
  )

  if (planned.some((p) => p.unread)) {
    const unread = planned.filter((p) => p.unread).length
    deps.log.info(
      { event: 'account.unfinished', reportsRead: planned.length - unread, unread },
      'time is short: the reports read are kept, the account carries on in the next invocation',
    )
    return {
      accountId,
      listed,
      quotas,
      decisions: [],
      blastRadius: measure([]),
      orphans: [],
      foreign: [],
      unfinished: true,
    }
  }

  const budget = quotas.policiesQuota - quotas.policiesInUse
  const fits = fitPolicyBudget(
    planned.map((p) => p.ops),
    budget,
  )
  const plans = planned.map((plan, i) => (fits[i] ? plan : overAccountQuota(logFor, plan, quotas)))
  const blastRadius = measure(plans)
  const brake: BrakeVerdict =
    config.mode === 'enforce' &&
    !options.confirmLargeChange &&
    !release &&
    plans.some((p) => p.ops.length > 0)
      ? assessBlastRadius(blastRadius, config.brake)
      : { tripped: false }
  if (brake.tripped) {
    deps.log.error(
      { event: 'alert.brake-tripped', ...blastRadius, reason: brake.reason },
      'blast-radius brake: nothing applied',
    )
  }

  let unfinished = false
  const applied = await Promise.all(
    plans.map((plan) =>
      limit(async () => {
        if (options.decidedEarlier?.has(plan.decision.userId)) return undefined
        const log = logFor(plan.decision.userName)
        // Users are written whole or not at all: the rest are written by the invocation that carries on.
        if (plan.ops.length > 0 && config.mode === 'enforce' && !brake.tripped && deps.shouldStop?.()) {
          unfinished = true
          return undefined
        }
        const decision = await apply(deps, log, config, plan, brake)
        report(log, decision)
        try {
          await deps.record?.(decision)
        } catch (error) {
          // The writes stand; the next sweep reads them back (our rendering is never tampering).
          log.error(
            { event: 'alert.record-failed', reason: errorMessage(error) },
            'the decision was not recorded',
          )
        }
        return decision
      }),
    ),
  )
  const decisions = applied.filter((d) => d !== undefined)
  const decided = { accountId, ...(onboarding ? { onboarding } : {}), listed, quotas, decisions, blastRadius }
  if (unfinished) {
    deps.log.info(
      { event: 'account.unfinished', decided: decisions.length },
      'time is short: the account carries on in the next invocation',
    )
    return { ...decided, orphans: [], foreign: [], unfinished: true }
  }
  // A release or a one-user plan touches one user only; the account's stray policies are the sweeps'.
  // An invocation that must stop (time, or a lost lock) leaves them to the next sweep.
  const { orphans, foreign } = only || deps.shouldStop?.() ? { orphans: [], foreign: [] } : policies
  await removeStrayPolicies(deps, config, brake, [
    ...orphans.map((policy) => ({ policy, kind: 'orphan' as const })),
    ...foreign.map((policy) => ({ policy, kind: 'foreign' as const })),
  ])
  return {
    ...decided,
    orphans: orphans.map((p) => p.arn),
    foreign: foreign.map((p) => p.arn),
    ...(brake.tripped ? { brake: brake.reason } : {}),
  }
}

/** A user whose new policies do not fit the account's customer-managed policy quota: nothing is written. */
function overAccountQuota(
  logFor: (userName: string) => Logger,
  plan: UserPlan,
  quotas: AccountQuotas,
): UserPlan {
  const reason = `the account's customer-managed policies quota (${quotas.policiesQuota}, ${quotas.policiesInUse} in use) has no room for this user's new policies`
  logFor(plan.decision.userName).warn(
    {
      event: 'alert.quota-blocked',
      policiesQuota: quotas.policiesQuota,
      policiesInUse: quotas.policiesInUse,
    },
    reason,
  )
  return {
    ...plan,
    ops: [],
    after: plan.kept,
    decision: { ...plan.decision, status: 'quota-blocked', reason },
  }
}

/**
 * Policies under the project's path that no user of the account owns, removed in enforce mode (listed
 * when planning or braked) by one mechanism: detached from every holder, then deleted.
 * - An orphan belonged to a deleted user: detached, it protects no one and only uses the policy quota.
 * - A foreign one was not written by the project: the mark of someone using the spoke role's reach (or an
 *   administrator's mistake), always alerted. It is never judged by its content: the path is ours alone.
 */
async function removeStrayPolicies(
  deps: AccountSweepDeps,
  config: EngineConfig,
  brake: BrakeVerdict,
  stray: readonly { policy: ManagedPolicy; kind: 'orphan' | 'foreign' }[],
): Promise<void> {
  const remove = config.mode === 'enforce' && !brake.tripped
  for (const { policy, kind } of stray) {
    const log = deps.log.child({ policyArn: policy.arn })
    if (kind === 'foreign')
      log.error(
        { event: 'alert.foreign-policy', removed: remove },
        'a policy the project did not write is under its path',
      )
    if (!remove) {
      if (kind === 'orphan')
        log.info({ event: 'policy.orphan' }, 'policy of a deleted user; would be deleted')
      continue
    }
    try {
      await purgePolicy(deps.iam, policy)
      if (kind === 'orphan')
        log.info({ event: 'policy.orphan-deleted' }, 'deleted the policy of a deleted user')
    } catch (error) {
      logFailure(log, error)
    }
  }
}

async function planUser(
  deps: AccountSweepDeps,
  log: Logger,
  accountId: string,
  config: EngineConfig,
  quotas: AccountQuotas,
  user: IamUser,
  policies: UserPolicies,
  takenNames: ReadonlySet<string>,
  release: AccountRunOptions['release'],
  fullReads: boolean,
  onboarding: boolean,
): Promise<UserPlan> {
  const { owned, stale } = policies
  const prior = deps.priorState?.(user)
  // Another user's policy attached here is tampering, and what it denies is not this user's deny.
  const legacy = stale.filter((s) => s.legacy)
  const planted = stale.filter((s) => !s.legacy)
  const live = {
    denied: [...new Set([...owned, ...legacy].flatMap(currentServices))].sort(),
    policyArns: owned.map((o) => o.policy.arn),
    policyDigests: owned.map((o) => documentDigest(defaultDocument(o.policy) ?? '')),
  }
  const recorded = prior?.recorded
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
    policyPath: config.policyPath,
    policyNamePrefix: config.policyNamePrefix,
    exemptTagKeys: config.exemptTags.map((t) => t.key),
  }
  // Our rendering of everything we deny: a version that drops a recorded service is tampering.
  const tampered = detectTampering(
    recorded,
    [...owned, ...legacy],
    planted,
    ourRendering(kept.denied, target, quotas.policySize),
  )
  const tag = exemptionFor(user, config.exemptTags)
  const owner = ownerOf(user.tags, config.ownerSlackTag)
  const base: UserDecision = {
    accountId,
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
    ...(tag && prior?.recorded && prior.exemptTag !== tag ? { newlyExemptTag: tag } : {}),
    ...(owner ? { owner } : {}),
    // Until a plan says otherwise (an error, too young), what was scheduled stays scheduled.
    ...(prior?.scheduled ? { scheduled: { ...prior.scheduled } } : {}),
  }
  const counts = {
    activeDenies: live.denied.length,
    recordedPolicies: prior?.recorded?.policyArns.length ?? 0,
    missingPolicies: tampered.filter((t) => t.kind === 'deleted').length,
  }
  const settled = (status: DecisionStatus, reason: string, extra: Partial<UserDecision> = {}): UserPlan => ({
    decision: { ...base, status, reason, ...extra },
    ops: [],
    kept,
    after: kept,
    ...counts,
  })
  if (tampered.length > 0) {
    log.error(
      { event: 'alert.tampered', findings: tampered },
      'the project policies were changed by someone else',
    )
  }
  if (base.newlyExemptTag) {
    log.error(
      { event: 'alert.newly-exempt', tag: base.newlyExemptTag },
      'the user became exempt by tag since the last sweep; every deny of theirs is lifted',
    )
  }

  try {
    // What we denied stays the reference even if someone edited the live text.
    const currentlyDenied = new Set([...live.denied, ...(prior?.recorded?.denied ?? [])])
    const gate = firstOutcome(BEFORE_READ, {
      user,
      now: deps.now,
      windowDays: config.windowDays,
      currentlyDenied,
      priorFirstSeen: prior?.firstSeen,
      scheduled: prior?.scheduled ?? {},
      exemptTag: tag,
      exemptUntil: prior?.exemptUntil,
      release: release?.services,
    })
    if (gate?.kind === 'refuse') throw new ConfigError(`${gate.reason} in ${accountId}`)
    if (gate?.kind === 'settle') return settled(gate.status, gate.reason)
    const inputFor = (report: readonly ServiceUsage[], now: Date) =>
      plannerInput(config, now, user, prior, currentlyDenied, report, onboarding)
    const got = gate
      ? undefined
      : await reportOf(deps, config, user, fullReads, (report) => planDenySet(inputFor(report, deps.now)))
    if (got === 'not-started') return { ...settled('unchanged', 'report not read yet'), unread: true }
    const report = got?.report
    const plan = gate?.plan ?? planFromReport(log, inputFor(report ?? [], got?.at ?? deps.now))
    // A deny carried out leaves the schedule only once written: braked, blocked or failed, it waits on.
    const carried = plan.added.flatMap((a) => {
      const notice = a.scheduledOn ? prior?.scheduled?.[a.namespace] : undefined
      return notice ? [[a.namespace, notice] as const] : []
    })
    const changes = {
      added: plan.added,
      removed: plan.removed,
      firstSeen: plan.firstSeen,
      scheduled: { ...plan.scheduled, ...Object.fromEntries(carried) },
      ...(plan.newlyScheduled.length > 0 ? { newlyScheduled: plan.newlyScheduled } : {}),
      ...(plan.cancelled.length > 0 ? { cancelled: plan.cancelled } : {}),
      ...(plan.attempts.length > 0 ? { attempts: plan.attempts } : {}),
    }

    const desired = renderDenyPolicies(plan.deny, target, quotas.policySize)
    const nameOf = partNames(log, config, user, owned, takenNames)
    const writes = planWrites({
      desired,
      owned,
      stale,
      attachedCount: user.attachedPolicyArns.length,
      quotas,
      nameOf,
    })
    const blocked = firstOutcome(BEFORE_WRITE, { writes })
    if (blocked) {
      log[blocked.alert.level]({ event: blocked.alert.event, ...blocked.alert.fields }, blocked.reason)
      return settled(blocked.status, blocked.reason, changes)
    }
    return {
      decision: {
        ...base,
        ...changes,
        ...(got?.reused ? { reportReused: true } : {}),
        status: gate?.status ?? 'unchanged',
        reason: gate?.reason ?? 'deny set and policies up to date',
      },
      ops: writes.kind === 'writes' ? writes.ops : [], // the quota gate settles the other kind
      kept,
      ...counts,
      after: {
        denied: plan.deny,
        policyArns: desired.map((d) => nameOf(d.part).arn),
        policyDigests: desired.map((d) => documentDigest(d.document)),
        scheduled: plan.scheduled,
      },
      ...(report ? { granted: report.length } : {}),
      // Only a report read in this sweep says whether today's reads look like an outage's.
      ...(report && !got?.reused ? { recentUse: usedWithin(report, deps.now, config.windowDays) } : {}),
    }
  } catch (error) {
    if (release) throw error
    logFailure(log, error)
    return settled('error', `${errorMessage(error)}; nothing changed for this user`)
  }
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

/**
 * The name of each part's policy: the live one's, or for a new part the plain name, unless a policy
 * outside the project's path already holds it (ignoring case, as IAM compares names), in which case a
 * suffixed name is used and the squatting is alerted. Each part is named once per plan.
 */
function partNames(
  log: Logger,
  config: EngineConfig,
  user: IamUser,
  owned: readonly OwnedPart[],
  takenNames: ReadonlySet<string>,
): (part: number) => { name: string; arn: string } {
  const names = new Map(owned.map((o) => [o.part, { name: o.policy.name, arn: o.policy.arn }]))
  return (part) => {
    const known = names.get(part)
    if (known) return known
    const plain = policyName(config.policyNamePrefix, part, user.id)
    let name = plain
    if (takenNames.has(plain.toLowerCase())) {
      name = policyName(config.policyNamePrefix, part, user.id, randomBytes(4).toString('hex'))
      log.error(
        { event: 'alert.policy-name-taken', policyName: plain, using: name },
        'a policy outside the project path holds this name; using another',
      )
    }
    const entry = { name, arn: policyArn(user.arn, config.policyPath, name) }
    names.set(part, entry)
    return entry
  }
}

/**
 * The user's complete report: the one this sweep already read; else the last one, when nothing calls for
 * a fresh read (report-reuse.ts) and the plan it gives adds no deny; else a fresh read, kept. No read is
 * started once the invocation is wrapping up.
 */
async function reportOf(
  deps: AccountSweepDeps,
  config: EngineConfig,
  user: IamUser,
  full: boolean,
  planWith: (report: readonly ServiceUsage[]) => DenyPlan,
): Promise<{ report: readonly ServiceUsage[]; reused: boolean; at?: Date } | 'not-started'> {
  const stored = deps.reports?.stored(user)
  // Judged as of its reading: a service that crossed the window since may have been used since, too.
  if (stored?.thisSweep) return { report: stored.services, reused: false, at: stored.readAt }
  const why = readNeeded({
    stored,
    userId: user.id,
    grantsDigest: user.grantsDigest,
    now: deps.now,
    refreshDays: config.refreshDays,
    full,
  })
  // A deny is never added on an old report: when the stored one would add any, a fresh read decides.
  if (stored && !why && planWith(stored.services).added.length === 0)
    return { report: stored.services, reused: true }
  if (deps.shouldStop?.()) return 'not-started'
  const report = await readServiceUsage(
    deps.iam,
    user.arn,
    config.accessAdvisor,
    deps.sleep ?? realSleep,
    deps.jobDurations,
  )
  await deps.reports?.keep(user, report)
  return { report, reused: false }
}

/** What the planner needs to plan a user on a report. */
function plannerInput(
  config: EngineConfig,
  now: Date,
  user: IamUser,
  prior: PriorUserState | undefined,
  currentlyDenied: ReadonlySet<string>,
  report: readonly ServiceUsage[],
  onboarding: boolean,
): Parameters<typeof planDenySet>[0] {
  return {
    report,
    currentlyDenied,
    deniedSince: prior?.deniedSince ?? {},
    lastAttempts: prior?.lastAttempts ?? {},
    ...(prior?.pastDenies ? { pastDenies: prior.pastDenies } : {}),
    firstSeen: prior?.firstSeen,
    userCreateDate: user.createDate,
    now,
    windowDays: config.windowDays,
    neverDeny: new Set(config.neverDeny),
    exemptServices: new Set(prior?.exemptServices ?? []),
    scheduled: prior?.scheduled ?? {},
    noticeDays: config.noticeDays,
    onboarding,
  }
}

/** The planner on a complete report; each new attempt on a denied service is an alert. */
function planFromReport(log: Logger, input: Parameters<typeof planDenySet>[0]): DenyPlan {
  const plan = planDenySet(input)
  for (const attempt of plan.attempts) {
    log.warn(
      { event: 'alert.denied-attempt', ...attempt },
      `activity on denied service ${attempt.namespace}: an attempt, the deny stays`,
    )
  }
  return plan
}

async function apply(
  deps: AccountSweepDeps,
  log: Logger,
  config: EngineConfig,
  plan: UserPlan,
  brake: BrakeVerdict,
): Promise<UserDecision> {
  const { decision, ops, after } = plan
  if (ops.length === 0) return { ...decision, ...after }
  const exempt = decision.status === 'exempt'
  const released = decision.status === 'released'
  if (config.mode === 'plan') {
    return {
      ...decision,
      status: exempt ? 'exempt' : 'planned',
      reason: `${ops.length} writes pending (plan mode)${exempt || released ? `; ${decision.reason}` : ''}`,
    }
  }
  if (brake.tripped) {
    return { ...decision, status: 'braked', reason: `blast-radius brake: ${brake.reason}; nothing applied` }
  }
  try {
    await executeWrites(
      deps.iam,
      { name: decision.userName, id: decision.userId },
      config.policyPath,
      ops,
      deps.sleep ?? realSleep,
    )
  } catch (error) {
    // Each write is safe on its own, so a failure part-way leaves the user no less protected; the next
    // sweep converges. The live state is unknown until then, so the previous one is kept on record.
    logFailure(log, error)
    return { ...decision, status: 'error', reason: `${errorMessage(error)}; writes stopped there` }
  }
  const applied = ops.map((o) => o.op).join(', ')
  return {
    ...decision,
    ...after,
    writes: ops.length,
    status: exempt || released ? decision.status : 'enforced',
    reason: exempt || released ? decision.reason : `applied ${applied}`,
  }
}

function logFailure(log: Logger, error: unknown): void {
  // Expected failures (a FAILED job, throttling after retries) need no stack trace; the rest keep one.
  const detail = error instanceof LeastPrivilegeError ? { reason: errorMessage(error) } : { err: error }
  log.warn({ event: 'alert.user-error', ...detail }, 'user left unchanged')
}

/** Whether any service of a report was used within the window. */
function usedWithin(report: readonly ServiceUsage[], now: Date, windowDays: number): boolean {
  const start = now.getTime() - windowDays * 86_400_000
  return report.some((u) => (u.lastAuthenticated?.getTime() ?? 0) >= start)
}

function measure(plans: readonly UserPlan[]): BlastRadius {
  const evaluated = plans.filter((p) => p.granted !== undefined)
  // An account's onboarding was announced whole, on purpose: what it carries out is not a day's drift.
  // Unless the user's own report, read that day, shows no use at all: that is what an outage's reply
  // looks like (another user's healthy report, or a stored one of a good day, proves nothing about it).
  const restricting = (p: UserPlan) => p.decision.added.filter((c) => !(p.recentUse && c.onboarding))
  const lifting = plans.filter((p) => p.decision.removed.length > 0)
  return {
    usersEvaluated: evaluated.length,
    usersNewlyRestricted: evaluated.filter((p) => restricting(p).length > 0).length,
    servicesGranted: evaluated.reduce((n, p) => n + (p.granted ?? 0), 0),
    servicesNewlyDenied: evaluated.reduce((n, p) => n + restricting(p).length, 0),
    activeDenies: plans.reduce((n, p) => n + p.activeDenies, 0),
    usersLifted: lifting.length,
    servicesLifted: lifting.reduce((n, p) => n + p.decision.removed.length, 0),
    recordedPolicies: plans.reduce((n, p) => n + p.recordedPolicies, 0),
    missingPolicies: plans.reduce((n, p) => n + p.missingPolicies, 0),
  }
}

function report(log: Logger, decision: UserDecision): void {
  log.info(
    {
      event: 'user.decision',
      status: decision.status,
      added: decision.added.map((c) => c.namespace),
      removed: decision.removed.map((c) => c.namespace),
      attempts: decision.attempts?.length ?? 0,
      writes: decision.writes,
    },
    decision.reason,
  )
}
