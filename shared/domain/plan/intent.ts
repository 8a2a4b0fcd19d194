/**
 * What a run in one account is for. One union instead of flags: each kind decides which users it
 * touches, whether reads are made, whether the blast-radius brake judges it, what is written and what
 * is recorded (see account-plan.ts and the pipeline).
 */
import type { RestoreTarget } from '../credentials/restore.js'
import type { Mode } from '../decision.js'

/** One account of an org-wide sweep: every user, read as needed, judged by the brake, recorded. */
export interface SweepIntent {
  kind: 'sweep'
  mode: Mode
  sweepId: string
  /** When the sweep began: a report read since then, in this sweep, is not read again. */
  startedAt: string
  /** This invocation's lock holder (`<sweep id>#<random>`): told apart from another invocation's. */
  holder: string
  /** An operator confirmed a large change: the brake does not apply. */
  confirmLargeChange: boolean
  /** Every user gets a fresh Access Advisor read, whatever their stored report (`sweep --full`). */
  fullReads: boolean
  /** Key deletion's stretch of sweeps (SweepSummary.keyDeletionEpoch); absent: no key is deleted. */
  keyDeletionEpoch?: string | undefined
}

/** One user's plan as a sweep would make it today: nothing is written or recorded. */
export interface PreviewIntent {
  kind: 'preview'
  runId: string
  userName: string
}

/** An operator lifts denied (or scheduled) services of one user on purpose; no read, no brake. */
export interface ReleaseIntent {
  kind: 'release'
  runId: string
  mode: Mode
  userName: string
  services: readonly string[]
  reason: string
  /** The operator, as AWS named them. */
  actor: string
}

/** An operator removes the project's policies from one user or a whole account, and exempts them. */
export interface RollbackIntent {
  kind: 'rollback'
  runId: string
  /** Absent: every user of the account, and the policies under the path no current user owns. */
  userName?: string
  /** A preview: nothing is changed or recorded. */
  dryRun: boolean
  /** The exemption recorded with it ends then (UNTIL_LIFTED: until an operator lifts it). */
  exemptUntil: string
  /** The operator (absent on a preview). */
  actor?: string
  /** Why (absent on a preview). */
  reason?: string
}

/** An operator puts back credentials the project deactivated (or keeps announced ones) for one user. */
export interface RestoreIntent {
  kind: 'restore'
  runId: string
  mode: Mode
  userName: string
  target: RestoreTarget
  reason: string
  /** The operator, as AWS named them. */
  actor: string
}

export type Intent = SweepIntent | PreviewIntent | ReleaseIntent | RollbackIntent | RestoreIntent

/** The id a run's records and CloudTrail sessions carry. */
export function runIdOf(intent: Intent): string {
  return intent.kind === 'sweep' ? intent.sweepId : intent.runId
}

/** Whose lock a run holds: a sweep's invocation, or the operator action. */
export function holderOf(intent: Intent): string {
  return intent.kind === 'sweep' ? intent.holder : intent.runId
}

/** The mode a run writes in: a preview never writes, a rollback unless it is a dry run. */
export function modeOf(intent: Intent): Mode {
  switch (intent.kind) {
    case 'sweep':
    case 'release':
    case 'restore':
      return intent.mode
    case 'preview':
      return 'plan'
    case 'rollback':
      return intent.dryRun ? 'plan' : 'enforce'
  }
}

/** The one user an operator intent names; a sweep (and a whole-account rollback) takes every user. */
export function onlyUserOf(intent: Intent): string | undefined {
  return intent.kind === 'sweep' ? undefined : intent.userName
}

/**
 * Whether the run only looks: a preview, a release shown as a plan, a rollback's dry run. Such a run
 * writes nothing, takes no lock, and so needs no more than an operator's read access.
 */
export function onlyLooks(intent: Intent): boolean {
  return (
    intent.kind === 'preview' ||
    ((intent.kind === 'release' || intent.kind === 'restore') && intent.mode === 'plan') ||
    (intent.kind === 'rollback' && intent.dryRun)
  )
}

/** Whether a decision of this run is recorded: a plan sweep's are, an operator's only when carried out. */
export function recordsDecision(intent: Intent, status: string): boolean {
  switch (intent.kind) {
    case 'sweep':
      return true
    case 'preview':
    case 'restore':
      return false
    case 'release':
      return intent.mode === 'enforce' && status === 'released'
    case 'rollback':
      // A rollback that failed part-way leaves its exemption, and nothing else, on record.
      return !intent.dryRun && status === 'rolled-back'
  }
}

/**
 * Whether the run goes user by user and stops at the first failure, as an operator's rollback does: the
 * operator sees where it stopped and runs it again. A sweep carries on past a user in error.
 */
export function oneByOne(intent: Intent): boolean {
  return intent.kind === 'rollback'
}

/** Whether the run reads every user's report afresh: `sweep --full`, and a one-user preview. */
export function readsFresh(intent: Intent): boolean {
  return intent.kind === 'preview' || (intent.kind === 'sweep' && intent.fullReads)
}
