/**
 * The records the project keeps: what the state table stores, as the domain sees it. Records whose
 * fields depend on a status are discriminated unions on that status.
 */
import type { DecisionStatus } from './decision.js'
import type { Notable } from './digest.js'
import type { Cancelled } from './notice.js'
import type { Attempt, ServiceChange } from './planner.js'
import type { Mode } from './types.js'

/** Decisions per status; a status with none is absent. */
export type StatusCounts = Partial<Record<DecisionStatus, number>>

export type AccountStatus = 'reachable' | 'unreachable' | 'failed'

export interface AccountState {
  accountId: string
  name: string
  status: AccountStatus
  reason: string
  sweepId: string
  updatedAt: string
  /** When an enforce sweep first reached the account: before it, the account's first one onboards it. */
  enforcedSince?: string
}

export interface Exemption {
  accountId: string
  userName: string
  /** The UserId the exemption was granted to (from the user's recorded state). */
  userId?: string
  /** A single service, or undefined for the whole user. */
  service?: string
  /** ISO date the exemption ends. */
  until: string
  reason: string
  createdAt: string
}

export interface ChangeRecord {
  accountId: string
  userName: string
  /** Absent only in rows written before the UserId was kept. */
  userId?: string
  at: string
  sweepId: string
  mode: Mode
  /**
   * `attempt`: activity on a denied service (one row per service and attempt time); `exempted` and
   * `exemption-revoked`: an operator's exemption, kept here after the exemption row itself expires;
   * `scheduled` and `schedule-cancelled`: denies announced, and announced ones dropped before their day
   * (one carried out is in the `added` of the row that applies it, with the day it was scheduled for).
   */
  status:
    | DecisionStatus
    | 'tampered'
    | 'attempt'
    | 'exempted'
    | 'exemption-revoked'
    | 'scheduled'
    | 'schedule-cancelled'
  previousStatus?: string
  added: ServiceChange[]
  removed: ServiceChange[]
  denied: string[]
  reason: string
  /** The attempt, on `attempt` rows. */
  attempt?: Attempt
  /** Denies announced, with their day, on `scheduled` rows. */
  scheduled?: { namespace: string; on: string }[]
  /** Announced denies dropped, with why, on `schedule-cancelled` rows. */
  cancelled?: Cancelled[]
  /** Who asked for it (an operator's ARN from sts:GetCallerIdentity), on operator actions. */
  actor?: string
}

interface SweepBase {
  sweepId: string
  mode: Mode
  trigger: string
  startedAt: string
  /** How many accounts this sweep targets (the list itself is kept in rows of its own). */
  accountCount: number
  invocations: number
  /** Last sign of life of an invocation at work on the sweep (ISO): a stale one means it stalled. */
  heartbeatAt?: string
  /** An operator confirmed a large change: the blast-radius brake does not apply to this sweep. */
  confirmLargeChange?: boolean
  /** Every user gets a fresh Access Advisor read (`sweep --full`), stored reports notwithstanding. */
  fullReads?: boolean
  /** Access Advisor job durations seen (ms), to start the next sweep or invocation with. */
  jobDurationsMs?: number[]
}

export interface RunningSweep extends SweepBase {
  status: 'running'
}

/** A sweep no invocation carries on: its invocations died (or hit the cap) with accounts left. */
export interface StalledSweep extends SweepBase {
  status: 'stalled'
  stalledAt: string
  reason: string
}

export interface CompletedSweep extends SweepBase {
  status: 'completed'
  finishedAt: string
  durationMs: number
  counts: StatusCounts
  accountsSwept: number
  accountsUnreachable: number
  accountsFailed: number
  /** Accounts where the blast-radius brake held back every write. */
  accountsBraked: number
  /** IAM requests sent (every attempt) and throttled, over every account. */
  iamCalls?: number
  iamThrottled?: number
  /** Users planned on their stored report, with no Access Advisor read. */
  readsSkipped?: number
}

export type SweepSummary = RunningSweep | CompletedSweep | StalledSweep

export interface AccountOutcome {
  accountId: string
  outcome: 'swept' | Exclude<AccountStatus, 'reachable'>
  reason: string
  users: number
  counts: StatusCounts
  writes: number
  durationMs: number
  /** IAM requests this invocation sent in the account (every attempt), and how many were throttled. */
  iamCalls?: number
  iamThrottled?: number
  /** Users planned on their stored report, with no Access Advisor read. */
  readsSkipped?: number
  /** Users with denies scheduled once the account is done (announced, or in plan mode to be). */
  usersScheduled?: number
  /** Why the blast-radius brake held back every write, when it did. */
  brake?: string
  /** Short lists for the digest. */
  notable?: Notable
}

/**
 * What earlier invocations of a sweep did in an account they left at a user boundary: the users they
 * decided (written and recorded), with their counts and lists, merged into the account's outcome.
 */
export interface AccountProgress {
  userIds: string[]
  counts: StatusCounts
  writes: number
  readsSkipped: number
  notable: Notable
}

/** An account's row in a sweep, written once its outcome is known (an unfinished account has none). */
export type SweepAccountRow = AccountOutcome & { doneAt: string }

/**
 * The last complete Access Advisor report read for a user: what the plan of a sweep is computed from,
 * so that an account too large for one invocation is read across several and planned once.
 */
export interface StoredReport {
  userId: string
  sweepId: string
  readAt: string
  /** What granted the user permissions when it was read (IamUser.grantsDigest). */
  grantsDigest?: string
  services: { namespace: string; lastAuthenticated?: string; lastRegion?: string }[]
}
