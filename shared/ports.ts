/**
 * What the application needs from outside, as small interfaces: the organization, an account's IAM (through
 * its spoke role), the state store, the notifier, and the budget of a run. Adapters implement them over
 * the AWS SDK and Slack (`shared/aws/`, `shared/slack/`); tests use an in-memory store against the same
 * contract. Adapters throw typed errors for failed or unexpected replies; the application turns them
 * into outcomes (a user in error, an account failed) at one place each.
 */
import type { LiveCredential } from './domain/credentials/judge.js'
import type { CredentialOp } from './domain/credentials/plan.js'
import type { CredentialReport } from './domain/credentials/report.js'
import type { JobDurations } from './domain/poll-schedule.js'
import type {
  AccountOutcome,
  AccountProgress,
  AccountState,
  AccountStatus,
  ChangeRecord,
  CompletedSweep,
  CredentialState,
  CredentialStatus,
  Exemption,
  PlannedUser,
  RunningSweep,
  StalledSweep,
  StoredReport,
  SweepAccountRow,
  SweepSummary,
  UserState,
} from './domain/records.js'
import type { SlackMessage } from './domain/slack-message.js'
import type { AccountQuotas, IamUser, ManagedPolicy, ServiceUsage } from './domain/types.js'
import type { WriteOp } from './domain/write-plan.js'

/** An account of the organization, as Organizations lists it. */
export interface OrgAccount {
  id: string
  name: string
  /** `State` when Organizations returns it, else the legacy `Status`. */
  state: string
}

export interface Organization {
  accounts(): Promise<OrgAccount[]>
}

/** Who and what is in the account, and its IAM quotas: the listing every plan starts from. */
export interface AccountListing {
  users: IamUser[]
  /**
   * Customer-managed policies that could be ours or pose as ours: every one under the project's path,
   * whatever its name, and every one whose name starts with the prefix, whatever its path.
   */
  candidatePolicies: ManagedPolicy[]
  quotas: AccountQuotas
}

/** IAM requests sent (every attempt) and throttled: a run's own measure of its IAM traffic. */
export interface CallMeter {
  calls: number
  throttled: number
}

/** One account's IAM, through one spoke session. */
export interface AccountIam {
  listing(): Promise<AccountListing>
  /** A complete Access Advisor report; a FAILED, timed-out or truncated job throws AccessAdvisorError. */
  usage(user: IamUser): Promise<ServiceUsage[]>
  /** Carries out a user's planned writes in order; each is safe on its own. */
  apply(user: { name: string; id: string }, ops: readonly WriteOp[]): Promise<void>
  /** Detaches a policy from every user, group and role holding it, then deletes it. */
  purge(policy: ManagedPolicy): Promise<void>
  /** The account's credential report: as of when IAM made it, up to 4 hours ago. */
  credentialReport(): Promise<CredentialReport>
  /**
   * The user's access keys and console password as IAM shows them now; with `proxied`, their SSH keys
   * and service-specific credentials too.
   */
  liveCredentials(user: { name: string; id: string }, proxied?: boolean): Promise<LiveCredential[]>
  /** One credential change (a key's status, or removing a password). */
  changeCredential(user: { name: string }, op: CredentialOp): Promise<void>
  readonly meter: CallMeter
  close(): void
}

export interface SpokeSessionRequest {
  accountId: string
  /** Names the session in CloudTrail (the sweep, or the operator action). */
  runId: string
  /** Job durations seen so far in the run, shared across its accounts (Access Advisor polling). */
  durations?: JobDurations
}

/** Opens an account's IAM through its spoke role; AccessDenied means the role is not there (yet). */
export interface Spokes {
  open(request: SpokeSessionRequest): Promise<AccountIam>
}

/** Everything recorded about one account, read in one query. */
export interface AccountRecords {
  /** Current-state rows by user name. */
  users: Map<string, UserState>
  /** The same rows by UserId (rows that carry one). */
  usersById: Map<string, UserState>
  exemptions: Exemption[]
  /** Each user's last Access Advisor report, by UserId. */
  reports: Map<string, StoredReport>
  /** Credentials the project announced, changed or restarted (credentials/plan.ts). */
  credentials: CredentialState[]
  account?: AccountState
  /** Rows that could not be read as what their key says they are: left out, and alerted. */
  unreadable: UnreadableRow[]
}

/** A row left out of an account's records, with why; a user's, with what its next write must match. */
export interface UnreadableRow {
  key: string
  reason: string
  /** The user a current-state row is under, and its version as stored, so that a new state may replace it. */
  user?: { name: string; version?: unknown }
  /** The owner (UserId, or name in old rows) an exemption row is under. */
  exemptionOf?: string
  /** The account's own row (its onboarding and old-row markers). */
  accountRow?: true
}

/**
 * A user row as a write expects to find it: absent, or at a version (absent in rows before versions; as
 * stored, whatever it is, in a row that could not be read).
 */
export type RowVersion = { version?: unknown } | undefined

/** The record of each sweep: its summary, its target accounts, each account's outcome. */
export interface SweepLedger {
  /** Creates the sweep with its targets; false when it exists (a retried first invocation). */
  start(summary: RunningSweep, targets: readonly string[]): Promise<boolean>
  get(sweepId: string): Promise<SweepSummary | undefined>
  targets(sweepId: string): Promise<string[]>
  /** `ifAbsent` keeps an outcome already recorded (a write made without the account's lock). */
  completeAccount(sweep: SweepRef, outcome: AccountOutcome, at: Date, ifAbsent?: boolean): Promise<void>
  isDone(sweepId: string, accountId: string): Promise<boolean>
  progress(sweepId: string, accountId: string): Promise<AccountProgress | undefined>
  saveProgress(sweep: SweepRef, accountId: string, progress: AccountProgress): Promise<void>
  accounts(sweepId: string): Promise<SweepAccountRow[]>
  /** False when the sweep is no longer running: there is nothing left to keep alive. */
  heartbeat(sweepId: string, at: Date, handedOn?: boolean): Promise<boolean>
  recordDurations(sweepId: string, jobDurationsMs: number[]): Promise<void>
  /** A plan sweep's users it would change, kept for review (a user kept again replaces the first). */
  keepPlans(sweep: SweepRef, plans: readonly PlannedUser[]): Promise<void>
  /** What a plan sweep would change, by account and user (of one account when given). */
  plans(sweepId: string, accountId?: string): Promise<PlannedUser[]>
  /** Only the first caller succeeds, so the digest goes out once. */
  finish(summary: CompletedSweep): Promise<boolean>
  /** False when the sweep finished or stalled meanwhile. */
  markStalled(summary: StalledSweep): Promise<boolean>
  /** The last sweeps, newest first. */
  recent(limit: number): Promise<SweepSummary[]>
}

/** A sweep as its rows need it: its id, and its start (their retention runs from it). */
export interface SweepRef {
  sweepId: string
  startedAt: string
}

/** Each account's users' states and history, its reachability, reports and exemptions. */
export interface AccountStore {
  loadAccount(accountId: string): Promise<AccountRecords>
  /** Writes `next` only if the row is still `expected` (by version); false when another writer changed it. */
  saveUser(next: UserState, expected: RowVersion): Promise<boolean>
  appendHistory(change: ChangeRecord): Promise<void>
  /** Users that no longer exist leave the current-state view; their history stays. */
  forgetUser(accountId: string, userName: string): Promise<void>
  /** Where the reports read in an account are kept as they come (the store batches its writes). */
  reportSink(accountId: string): ReportSink
  forgetReport(accountId: string, userId: string): Promise<void>
  saveAccountState(state: AccountState): Promise<void>
  saveCredential(row: CredentialState): Promise<void>
  forgetCredential(row: Pick<CredentialState, 'accountId' | 'userId' | 'credentialId'>): Promise<void>
  putExemption(exemption: Exemption): Promise<void>
  /** False when there was none. */
  deleteExemption(exemption: Exemption): Promise<boolean>
}

/** Keeps reports as they are read; the store writes them in as few requests as it allows. */
export interface ReportSink {
  keep(report: StoredReport): void
  /** Waits until every report kept so far is written; returns the UserIds of those that could not be. */
  written(): Promise<string[]>
}

export type LockAttempt = { acquired: true } | { acquired: false; heldBy: string; until: string }

/** One lock per account, with a lease, shared by every writer. */
export interface AccountLocks {
  acquire(accountId: string, holder: string, now: Date, leaseMs: number): Promise<LockAttempt>
  /** Extends this holder's lease; false when the lock is gone or another holder's. Never creates one. */
  renew(accountId: string, holder: string, now: Date, leaseMs: number): Promise<boolean>
  /** Gives the lock back, if this holder still has it. */
  release(accountId: string, holder: string): Promise<void>
  holderOf(accountId: string): Promise<string | undefined>
}

/** The audit views: each one a lookup or an index query, never a scan. */
export interface AuditViews {
  user(accountId: string, userName: string): Promise<UserState | undefined>
  /** The user's last complete Access Advisor report: each service's and tracked action's last use. */
  report(accountId: string, userId: string): Promise<StoredReport | undefined>
  /** Newest first; by UserId, else through the user's current row (history follows renames). */
  history(accountId: string, who: { name: string } | { id: string }, limit: number): Promise<ChangeRecord[]>
  /** Attempts on denied services since a time, oldest first. */
  attemptsSince(since: string, accountId?: string): Promise<ChangeRecord[]>
  /** Exemption tags set on users who hold denies (requests: nothing lifted), since a time, oldest first. */
  requestsSince(since: string, accountId?: string): Promise<ChangeRecord[]>
  /** Users with a deny scheduled on or before `until` (a UTC day; every one when absent), soonest first. */
  scheduled(until: string | undefined, accountId?: string): Promise<UserState[]>
  usersByStatus(status: UserState['status']): Promise<UserState[]>
  /** Credentials of the project in one status across the organization (or one account), by account and user. */
  credentials(status: CredentialStatus, accountId?: string): Promise<CredentialState[]>
  accountsByStatus(status: AccountStatus): Promise<AccountState[]>
  /** An account's exemption rows and its own row (which says whether name-only rows are refused). */
  exemptions(accountId: string): Promise<{ exemptions: Exemption[]; account?: AccountState }>
}

export interface StateStore {
  sweeps: SweepLedger
  users: AccountStore
  locks: AccountLocks
  audit: AuditViews
  /** Write requests made so far (the benchmark's measure). */
  readonly writeCount: number
}

export interface Notifier {
  post(message: SlackMessage): Promise<void>
}

/** How long a run may go on: time short, or its account's lock lost. */
export interface Budget {
  /** True once no new read, user or account may start. */
  stopping(): boolean
  /** True once another writer took the account over: nothing more may be written or recorded. */
  lost(): boolean
}
