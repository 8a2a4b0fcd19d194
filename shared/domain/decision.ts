import type { ServiceChange } from './planner.js'
import type { TamperFinding } from './tamper.js'

export type DecisionStatus =
  /** Writes were made (enforce mode). */
  | 'enforced'
  /** Writes would be made (plan mode). */
  | 'planned'
  | 'unchanged'
  | 'exempt'
  | 'too-young'
  | 'quota-blocked'
  | 'not-owned-conflict'
  | 'error'
  /** An operator removed the project's policies with `rollback` (the next enforce sweep re-applies). */
  | 'rolled-back'
  /** Writes were due, but the blast-radius brake held back every write in the account. */
  | 'braked'

/** What the sweep decided for one user, and why: the unit of audit. */
export interface UserDecision {
  accountId: string
  userName: string
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
  /** Number of IAM write calls made for this user. */
  writes: number
  /** First-seen dates to keep for the next sweep (absent when no report was read). */
  firstSeen?: Record<string, string>
}
