/** The shapes of an account's plan: what it is given, and what it gives back. */
import type { EngineConfig } from '../../config.js'
import type { AccountListing, AccountRecords } from '../../ports.js'
import type { BlastRadius } from '../brake.js'
import type { PlanEvent } from '../events.js'
import type { Stray } from '../ownership.js'
import type { Exemption, UserDecision } from '../records.js'
import type { ReadReason } from '../report-reuse.js'
import type { IamUser } from '../types.js'
import type { WriteOp } from '../write-plan.js'
import type { Intent } from './intent.js'
import type { UsageRead, UserPlan, UserStep } from './user-facts.js'

export interface AccountFacts {
  accountId: string
  listing: AccountListing
  records: AccountRecords
  now: Date
  /** Users (by UserId) an earlier invocation of this sweep decided: planned for the brake, not again. */
  decidedEarlier: ReadonlySet<string>
  /** Random per run (see user-plan.ts, policy names). */
  nameSalt: string
  /** Users the credential report shows quiet since their stored report (credentials/quiet.ts), by UserId. */
  quiet?: ReadonlySet<string>
}

export interface PlanRequest {
  facts: AccountFacts
  settings: EngineConfig
  intent: Intent
  /** Fresh Access Advisor reads made by this run, by UserId. */
  reads: ReadonlyMap<string, UsageRead>
  /** The steps of the plan made before those reads: users it settled are not planned again. */
  earlier?: readonly UserStep[]
}

/** What happens to one user: a decision that stands as it is, or writes and the decision they lead to. */
export type UserAction =
  | { kind: 'settled'; plan: UserPlan; decision: UserDecision; earlier: boolean; told: PlanEvent[] }
  | {
      kind: 'write'
      plan: UserPlan
      ops: WriteOp[]
      /** The decision once the writes are made. */
      decision: UserDecision
      /** Recorded before the writes (a rollback's exemption). */
      grant?: Exemption
      earlier: boolean
      /** Told once the decision is recorded. */
      told: PlanEvent[]
    }

export type AccountPlan =
  | { kind: 'refused'; reason: string }
  | { kind: 'needs-reads'; reads: { user: IamUser; why: ReadReason | 'would-add' }[]; steps: UserStep[] }
  | {
      kind: 'ready'
      users: UserAction[]
      blastRadius: BlastRadius
      /** Why the brake held back every write, when it did. */
      brake?: string
      strays: Stray[]
      /** Strays are removed (enforce mode, no brake), else only listed. */
      removeStrays: boolean
      onboarding: boolean
      /** Every user the listing holds, decided by an earlier invocation or not. */
      listed: { name: string; id: string }[]
      events: PlanEvent[]
    }
