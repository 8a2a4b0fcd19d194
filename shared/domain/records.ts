/**
 * The one home of every record's shape: what the state table keeps, what a decision says, what the hub
 * answers. Each shape is a zod schema and its type is inferred from it, so a field added here is read
 * back, parsed and typed everywhere at once; nothing else declares these shapes.
 */
import { z } from 'zod'
import { DENY_KEY } from './actions/keys.js'
import { DECISION_STATUS_NAMES, type DecisionStatus, MODES } from './decision.js'

/**
 * A service namespace, the one check of it: a record, a reply or an input naming anything else (`*`,
 * `s3:*`, `Foo`) would render a deny of its own making.
 */
export const SERVICE_NAMESPACE = /^[a-z0-9-]{1,64}$/
export const namespace = z.string().regex(SERVICE_NAMESPACE, 'a service namespace such as s3 or ec2')
/** What a deny names: a service, or one action of it (actions/keys.ts). */
export const denyKey = z.string().regex(DENY_KEY, 'a service such as s3, or an action such as iam:CreateUser')
const byNamespace = <T extends z.ZodType>(value: T) => z.record(denyKey, value)
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day, YYYY-MM-DD')
/**
 * A time (ISO 8601). Plans compare these: one that does not parse would compare false every way, making
 * a grant look old, a report never stale, or every attempt new.
 */
const instant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'a time, ISO 8601')

export const mode = z.enum(MODES)

export const decisionStatus = z.enum(DECISION_STATUS_NAMES as [DecisionStatus, ...DecisionStatus[]])

/** Why a service became denied, and why a deny was lifted (only a person's decision ever lifts one). */
export const ADD_REASONS = ['unused', 'never-used'] as const
export const LIFT_REASONS = ['never-deny', 'exempt', 'released', 'rolled-back'] as const
export type AddReason = (typeof ADD_REASONS)[number]
export type LiftReason = (typeof LIFT_REASONS)[number]

export const serviceChange = z.object({
  namespace: z.string(),
  reason: z.enum([...ADD_REASONS, ...LIFT_REASONS]),
  /** When the service was last used, for `unused`. */
  lastUsed: z.string().optional(),
  /** The day a deny carried out had been scheduled for. */
  scheduledOn: z.string().optional(),
  /** Carried out from the account's onboarding schedule (see ScheduledDeny). */
  onboarding: z.literal(true).optional(),
})
export type ServiceChange = z.infer<typeof serviceChange>

/** Activity on a service the project denies: Access Advisor counts denied calls, so it is an attempt. */
export const attempt = z.object({
  namespace: z.string(),
  /** Time of the attempt (ISO). */
  at: instant,
  region: z.string().optional(),
})
export type Attempt = z.infer<typeof attempt>

/** The last period a service was denied (ISO bounds): activity then was an attempt, never use. */
export const denyPeriod = z.object({ from: instant, to: instant })
export type DenyPeriod = z.infer<typeof denyPeriod>

/** A deny announced and not yet carried out. */
export const scheduledDeny = z.object({
  /** The UTC day (YYYY-MM-DD) on or after which the deny is carried out. */
  on: day,
  /** When it was scheduled (ISO). */
  since: instant,
  /**
   * Scheduled by the account's first enforce sweep: carried out on its day without an operator's
   * confirmation, since the whole account was announced at once on purpose (see the brake).
   */
  onboarding: z.literal(true).optional(),
  /** The service's last use when it was scheduled (absent: never used in the tracking period). */
  lastUsed: instant.optional(),
})
export type ScheduledDeny = z.infer<typeof scheduledDeny>

/** Why a scheduled deny was dropped before its day. */
export const CANCEL_REASONS = [
  'used',
  'exempt',
  'never-deny',
  'released',
  'rolled-back',
  'not-granted',
  'clock-restarted',
  'not-judged',
] as const
export type CancelReason = (typeof CANCEL_REASONS)[number]
export const cancelled = z.object({ namespace: denyKey, reason: z.enum(CANCEL_REASONS) })
export type Cancelled = z.infer<typeof cancelled>

/** `attached-elsewhere`: a policy of the project that belongs to another user was attached to this one. */
export const TAMPER_KINDS = ['detached', 'modified', 'deleted', 'attached-elsewhere'] as const
export type TamperKind = (typeof TAMPER_KINDS)[number]
export const tamperFinding = z.object({ kind: z.enum(TAMPER_KINDS), policyArn: z.string() })
export type TamperFinding = z.infer<typeof tamperFinding>

/** The Slack member a user's owner tag names, or that its value is malformed (never put in a message). */
export const owner = z.union([z.object({ memberId: z.string() }), z.object({ malformed: z.literal(true) })])
export type Owner = z.infer<typeof owner>

/** What a run decided for one user, and why: the unit of audit. */
export const userDecision = z.object({
  accountId: z.string(),
  userName: z.string(),
  /** The user's identity: stable across renames, never reused. */
  userId: z.string(),
  userArn: z.string(),
  status: decisionStatus,
  /** Services the project denies this user once the run is done (what is live in IAM). */
  denied: z.array(z.string()),
  /** Changes relative to what was live: applied when status is enforced/exempt in enforce mode. */
  added: z.array(serviceChange),
  removed: z.array(serviceChange),
  /** Human-readable explanation of the status. */
  reason: z.string(),
  /** ARNs of the project's policies for this user after the run. */
  policyArns: z.array(z.string()),
  /** Digest of each policy's default document after the run, aligned with policyArns. */
  policyDigests: z.array(z.string()),
  /** Changes someone else made to the project's policies since the last sweep. */
  tampered: z.array(tamperFinding).optional(),
  /** New attempts on services the project denies this user. */
  attempts: z.array(attempt).optional(),
  /** The exemption tag (`key=value`) the user carries, honoured or not. */
  exemptTag: z.string().optional(),
  /** The exemption tag that exempts the user: the account's baseline, kept while it stays (honoursTag). */
  honouredTag: z.string().optional(),
  /** Set when the user became exempt by tag since the last sweep (they held no deny): someone tagged them. */
  newlyExemptTag: z.string().optional(),
  /**
   * Set when an exemption tag appeared since the last sweep on a user who holds denies: a request that
   * lifts nothing; an operator grants it with `exempt`.
   */
  exemptionRequest: z.string().optional(),
  /** Number of IAM write calls made for this user. */
  writes: z.number(),
  /** The plan came from the user's last complete report, not a fresh read (see report-reuse.ts). */
  reportReused: z.literal(true).optional(),
  /** First-seen dates to keep for the next sweep (absent when no report was read). */
  firstSeen: z.record(z.string(), z.string()).optional(),
  /** Denies announced and not yet carried out (absent when nothing was planned: the last ones stand). */
  scheduled: z.record(z.string(), scheduledDeny).optional(),
  /** Services this decision schedules. */
  newlyScheduled: z.array(z.string()).optional(),
  /** Scheduled denies this decision drops, and why. */
  cancelled: z.array(cancelled).optional(),
  /** The Slack member the user's owner tag names (OWNER_SLACK_TAG), or that its value is malformed. */
  owner: owner.optional(),
})
export type UserDecision = z.infer<typeof userDecision>

/**
 * What a plan sweep would do to one user, kept with the sweep for review before enforcing (`audit plan`):
 * the denies it would add now, those it would announce for a day (each with its last use), and what it
 * would lift or drop from a schedule.
 */
export const plannedUser = z.object({
  accountId: z.string(),
  userName: z.string(),
  userId: z.string(),
  status: decisionStatus,
  reason: z.string(),
  added: z.array(serviceChange),
  removed: z.array(serviceChange),
  scheduled: z.array(z.object({ key: denyKey, on: day, lastUsed: instant.optional() })),
  cancelled: z.array(cancelled),
})
export type PlannedUser = z.infer<typeof plannedUser>

/** The current state kept per user between sweeps (the audit's "where does this user stand"). */
export const userState = z.object({
  accountId: z.string(),
  userName: z.string(),
  /** The user's identity; absent only in rows written before it was kept. */
  userId: z.string().optional(),
  userArn: z.string(),
  status: decisionStatus,
  reason: z.string(),
  denied: z.array(denyKey),
  /** When the live policy started denying each denied service (ISO). */
  deniedSince: byNamespace(instant).optional(),
  /** The latest attempt recorded on each denied service (ISO). */
  lastAttempts: byNamespace(instant).optional(),
  /** For services no longer denied: the last period they were, so attempts then never count as use. */
  pastDenies: byNamespace(denyPeriod).optional(),
  /** The exemption tag the user carried at this sweep, honoured or not (a change of it is told once). */
  exemptTag: z.string().optional(),
  /** The exemption tag that exempted the user at this sweep: the account's baseline (honoursTag). */
  honouredTag: z.string().optional(),
  policyArns: z.array(z.string()),
  policyDigests: z.array(z.string()),
  /** First time each granted service was seen; absent until a report has been read for the user. */
  firstSeen: byNamespace(instant).optional(),
  /** Denies announced and not carried out yet, by service. */
  scheduled: byNamespace(scheduledDeny).optional(),
  /** The earliest day among them: what `audit scheduled` sorts and filters on. */
  nextScheduled: z.string().optional(),
  /** Sweep that last changed this row. */
  sweepId: z.string(),
  updatedAt: z.string(),
  /** Write count of the row, for conditional writes: a row changed by another writer is not overwritten. */
  version: z.number().optional(),
})
export type UserState = z.infer<typeof userState>

/**
 * What a history row records besides a decision's status: `attempt`, activity on a denied service (one
 * row per service and attempt time); `exemption-requested`, an exemption tag set on a user who holds
 * denies (it lifts nothing); `exempted` and `exemption-revoked`, an operator's exemption, kept
 * after the exemption row itself expires; `scheduled` and `schedule-cancelled`, denies announced and
 * announced ones dropped before their day (one carried out is in the `added` of the row that applies it).
 */
export const HISTORY_EVENTS = [
  'tampered',
  'attempt',
  'exemption-requested',
  'exempted',
  'exemption-revoked',
  'scheduled',
  'schedule-cancelled',
  'credential-scheduled',
  'credential-cancelled',
  'credential-deactivated',
  'credential-restored',
  'credential-reactivated',
  'credential-deleted',
] as const

/**
 * What the project does to a user's credentials, each judged on its own (credentials/judge.ts): access
 * keys and the console password by their own last use; SSH public keys and service-specific credentials
 * (CodeCommit, Keyspaces, Bedrock), which IAM keeps no last use of, by their service's (Access Advisor).
 */
export const CREDENTIAL_KINDS = ['access-key', 'password', 'ssh-key', 'service-credential'] as const
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number]
/** An access key ID, or `password` for the user's console password (one per user). */
export const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/
export const accessKeyId = z.string().regex(ACCESS_KEY_ID, 'an access key ID')
export const credentialId = z.string().regex(/^(password|[A-Z0-9]{16,128})$/, 'an access key ID, or password')

/**
 * A credential the project acts on: `scheduled`, announced and not changed yet; `deactivated`, a key set
 * Inactive or a password removed by the project; `restarted`, put back (by an operator, or by someone
 * outside the project) with its unused window starting again then; `deleted`, an access key the project
 * deactivated and deleted once it stayed inactive `CREDENTIAL_DELETE_AFTER_DAYS` (kept on record for good:
 * nothing can put it back).
 */
export const CREDENTIAL_STATUSES = ['scheduled', 'deactivated', 'restarted', 'deleted'] as const
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number]

export const credentialState = z.object({
  accountId: z.string(),
  userName: z.string(),
  userId: z.string(),
  userArn: z.string(),
  kind: z.enum(CREDENTIAL_KINDS),
  credentialId,
  /** The service an SSH key or a service-specific credential is for, whose last use is its own. */
  service: namespace.optional(),
  status: z.enum(CREDENTIAL_STATUSES),
  /** When the status began (ISO). */
  since: instant,
  /** The UTC day a scheduled change is due. */
  on: day.optional(),
  /** Scheduled by the account's first enforce sweep (see ScheduledDeny). */
  onboarding: z.literal(true).optional(),
  /** The credential's creation and last use (absent: never) as last judged. */
  createdAt: instant,
  lastUsed: instant.optional(),
  /** When its unused window starts again, whatever its last use (a `restarted` credential). */
  windowFrom: instant.optional(),
  /** A deleted key's deactivation by the project. */
  deactivatedAt: instant.optional(),
  /** A key of ours: when its second period began, and the day its deletion was announced for (deletion.ts). */
  inactiveFrom: instant.optional(),
  deleteOn: day.optional(),
  /** The stretch of sweeps with deletion on that set them: from another, they do not count. */
  deletionEpoch: z.string().optional(),
  /** The removed login profile's setting, so a restore can put it back as it was asked for. */
  passwordResetRequired: z.boolean().optional(),
  /**
   * Written before the change in IAM, and cleared once it is made: a run that stopped in between leaves
   * it, and the next sweep makes the change again (or finds it made), instead of taking it for another's.
   */
  unconfirmed: z.literal(true).optional(),
  sweepId: z.string(),
  updatedAt: instant,
})
export type CredentialState = z.infer<typeof credentialState>

/** A credential change in a history row: which, what was done or announced, and the evidence. */
export const credentialChange = z.object({
  kind: z.enum(CREDENTIAL_KINDS),
  credentialId,
  service: namespace.optional(),
  on: day.optional(),
  lastUsed: instant.optional(),
  createdAt: instant.optional(),
  /** Why a schedule was dropped, or who put a credential back. */
  detail: z.string().optional(),
})
export type CredentialChange = z.infer<typeof credentialChange>

export const changeRecord = z.object({
  accountId: z.string(),
  userName: z.string(),
  /** Absent only in rows written before the UserId was kept. */
  userId: z.string().optional(),
  at: z.string(),
  sweepId: z.string(),
  mode,
  status: z.union([decisionStatus, z.enum(HISTORY_EVENTS)]),
  previousStatus: z.string().optional(),
  added: z.array(serviceChange),
  removed: z.array(serviceChange),
  denied: z.array(z.string()),
  reason: z.string(),
  /** The attempt, on `attempt` rows. */
  attempt: attempt.optional(),
  /** Denies announced, with their day, on `scheduled` rows. */
  scheduled: z.array(z.object({ namespace: denyKey, on: z.string() })).optional(),
  /** Announced denies dropped, with why, on `schedule-cancelled` rows. */
  cancelled: z.array(cancelled).optional(),
  /** Who asked for it (an operator's ARN from sts:GetCallerIdentity), on operator actions. */
  actor: z.string().optional(),
  /** The credential, on `credential-*` rows. */
  credential: credentialChange.optional(),
})
export type ChangeRecord = z.infer<typeof changeRecord>

/** An operator's time-limited exemption of a user, or of one service for that user. */
export const exemption = z.object({
  accountId: z.string(),
  userName: z.string(),
  /** The UserId the exemption was granted to (from the user's recorded state). */
  userId: z.string().optional(),
  /** A single service, or absent for the whole user. */
  service: z.string().optional(),
  /** ISO date the exemption ends. */
  until: instant,
  reason: z.string(),
  createdAt: instant,
})
export type Exemption = z.infer<typeof exemption>

export const ACCOUNT_STATUSES = ['reachable', 'unreachable', 'failed'] as const
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number]

export const accountState = z.object({
  accountId: z.string(),
  name: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  reason: z.string(),
  sweepId: z.string(),
  updatedAt: z.string(),
  /** When an enforce sweep first reached the account: before it, the account's first one onboards it. */
  enforcedSince: instant.optional(),
  /**
   * When the account's rows from before the UserId was kept were resolved to UserIds: from then on, a
   * row that names a user only by name is refused (a rename onto that name must not inherit it).
   */
  legacyResolvedAt: instant.optional(),
})
export type AccountState = z.infer<typeof accountState>

/**
 * The last complete Access Advisor report read for a user: what the plan of a sweep is computed from,
 * so that an account too large for one invocation is read across several and planned once.
 */
export const storedReport = z.object({
  userId: z.string(),
  sweepId: z.string(),
  readAt: instant,
  /** What granted the user permissions when it was read (IamUser.grantsDigest). */
  grantsDigest: z.string().optional(),
  /**
   * What the user could sign with then, from the credential report read in the same sweep
   * (credentials/quiet.ts): absent when none was read, and then the report is never proven current.
   */
  credentials: z.array(z.string()).optional(),
  services: z.array(
    z.object({
      namespace,
      lastAuthenticated: instant.optional(),
      lastRegion: z.string().optional(),
      /** Read at action level: the tracked actions attempted, when and where (types.ts ActionUsage). */
      actions: z.array(z.object({ name: z.string(), at: instant, region: z.string().optional() })).optional(),
    }),
  ),
})
export type StoredReport = z.infer<typeof storedReport>

export * from './sweep-records.js'
