import type { Cancelled, Owner, ScheduledDeny } from './notice.js'
import type { Attempt, ServiceChange } from './planner.js'
import type { TamperFinding } from './tamper.js'

/** Every status a user's decision can have, with what it means: the one list the CLI and docs use. */
export const DECISION_STATUSES = {
  planned: 'plan mode: these writes would be made',
  enforced:
    'the deny policies are in force: created or given a new default version (enforce mode), or already exactly right',
  unchanged: 'the live policies already deny exactly the right set; no write call is made',
  exempt: 'the user carries an exemption tag or holds a temporary exemption; any deny of ours is lifted',
  'too-young': 'the user is younger than the window and has not had the chance to use what they hold',
  'quota-blocked':
    "the user has no free slot for the deny policy under the account's attached-policies quota",
  error: 'something failed (for example an Access Advisor job FAILED): nothing changes for the user',
  braked: 'writes were due, but the blast-radius brake held back every write in the account',
  'rolled-back': "an operator removed the project's policies with `rollback`",
  released: 'an operator lifted denied services with `release`; their clocks restart',
} as const

export type DecisionStatus = keyof typeof DECISION_STATUSES

export const DECISION_STATUS_NAMES = Object.keys(DECISION_STATUSES) as DecisionStatus[]

/** What the sweep decided for one user, and why: the unit of audit. */
export interface UserDecision {
  accountId: string
  userName: string
  /** The user's identity: stable across renames, never reused. */
  userId: string
  userArn: string
  status: DecisionStatus
  /** Services the project denies this user once the sweep is done (what is live in IAM). */
  denied: string[]
  /** Changes relative to what was live: applied when status is enforced/exempt in enforce mode. */
  added: ServiceChange[]
  removed: ServiceChange[]
  /** Human-readable explanation of the status. */
  reason: string
  /** ARNs of the project's policies for this user after the sweep. */
  policyArns: string[]
  /** Digest of each policy's default document after the sweep, aligned with policyArns. */
  policyDigests: string[]
  /** Changes someone else made to the project's policies since the last sweep. */
  tampered?: TamperFinding[]
  /** New attempts on services the project denies this user. */
  attempts?: Attempt[]
  /** The exemption tag (`key=value`) when the user is exempt by tag. */
  exemptTag?: string
  /** Set when the user became exempt by tag since the last sweep: someone tagged them. */
  newlyExemptTag?: string
  /** Number of IAM write calls made for this user. */
  writes: number
  /** The plan came from the user's last complete report, not a fresh read (see report-reuse.ts). */
  reportReused?: true
  /** First-seen dates to keep for the next sweep (absent when no report was read). */
  firstSeen?: Record<string, string>
  /** Denies announced and not yet carried out (absent when nothing was planned: the last ones stand). */
  scheduled?: Record<string, ScheduledDeny>
  /** Services this decision schedules. */
  newlyScheduled?: string[]
  /** Scheduled denies this decision drops, and why. */
  cancelled?: Cancelled[]
  /** The Slack member the user's owner tag names (OWNER_SLACK_TAG), or that its value is malformed. */
  owner?: Owner
}
