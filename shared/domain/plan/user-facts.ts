import type { EngineConfig } from '../../config.js'
import type { PolicyTarget } from '../deny-policy.js'
import type { PlanEvent } from '../events.js'
import type { OwnedPart, UserPolicies } from '../ownership.js'
import type { DenyPlan } from '../planner.js'
import type { PriorUser } from '../prior-user.js'
import type { UserDecision } from '../records.js'
import type { ReadReason, StoredUsage } from '../report-reuse.js'
import type { AccountQuotas, IamUser, ServiceUsage } from '../types.js'
import type { WriteOp } from '../write-plan.js'
import type { Intent } from './intent.js'

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
  /**
   * No enforce sweep has reached the account yet: exemption tags present now are its baseline, honoured
   * (a plan sweep shows what its first enforce sweep will do).
   */
  tagBaseline: boolean
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
  /** The credential report shows the user quiet since the stored report was read (credentials/quiet.ts). */
  quiet?: boolean
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
  /** Actions the plan judged one by one; absent when no report was read. */
  judgedActions?: number
  /** Services denied live before the run. */
  activeDenies: number
  /** Services the writes deny again on the record's word alone (see restoredBy): the brake counts them. */
  restored?: number
  /** Policies the last sweep recorded for the user, and how many are gone. */
  recordedPolicies: number
  missingPolicies: number
  /** The report, read in this run, shows a service used within the window: not an outage's reply. */
  recentUse?: boolean
  events: PlanEvent[]
}

export type UserStep =
  | { kind: 'planned'; plan: UserPlan }
  /** `standing` is kept for the plan made again once the report is read. */
  | { kind: 'needs-read'; user: IamUser; why: ReadReason | 'would-add'; standing: Standing }
  /** An operator's request that cannot be carried out: the run stops, naming it. */
  | { kind: 'refused'; reason: string }

export type PlanParts = Pick<UserPlan, 'decision' | 'ops' | 'after' | 'events'> &
  Partial<Pick<UserPlan, 'granted' | 'judgedActions' | 'recentUse'>>

export interface DeniedOn {
  plan: DenyPlan
  status?: UserDecision['status']
  reason?: string
  reused?: boolean
  /** Services in the report and whether it shows use within the window, for the brake. */
  granted?: number
  judgedActions?: number
  recentUse?: boolean
  events?: PlanEvent[]
}

/** The user's standing before this run: what is live, what the record keeps, and the decision's base. */
export interface Standing {
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
