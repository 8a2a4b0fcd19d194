/** The shapes one account's run passes between its steps, and the outcome it returns. */
import type { HubConfig } from '../config.js'
import type { CredentialUserPlan } from '../domain/credentials/plan.js'
import type { Stray } from '../domain/ownership.js'
import type { Intent } from '../domain/plan/intent.js'
import type { AccountOutcome, AccountProgress } from '../domain/records.js'
import type { Logger } from '../logger.js'
import type { AccountIam, AccountListing, AccountRecords, Budget, StateStore } from '../ports.js'
import type { DoneUser } from './account-writes.js'

/** What a run in an account works with: the store, its log, its clock and its budget. */
export interface Run {
  store: StateStore
  log: Logger
  now: () => Date
  budget: Budget
  progress?: UserProgress
}

/** How far a run has gone in its accounts: their users listed, and each user's report read. */
export interface UserProgress {
  listed(accountId: string, users: number): void
  /** A user's report read (or its read failed): one user further. */
  read(accountId: string): void
}

export type AccountRun =
  | {
      kind: 'done'
      outcome: AccountOutcome
      /** The users this run decided, with their plans. */
      users: DoneUser[]
      /** The policies no current user owns, handled (removed or listed) by this run. */
      strays: Stray[]
      /** Those of them whose removal failed (alerted as it happened). */
      unremoved?: Stray[]
      /** Why an operator's run could not reach the account, as it was raised. */
      error?: unknown
    }
  /** Another writer holds the account's lock until then. */
  | { kind: 'busy'; heldBy: string; until: string }
  /** Time ran out at a user boundary; the account is carried on by the next invocation of the sweep. */
  | { kind: 'unfinished' }
  /** The lease lapsed and another writer took the account; nothing more was recorded. */
  | { kind: 'lost' }
  /** Another invocation of the sweep finished it meanwhile. */
  | { kind: 'skipped' }
  /** An operator's restore, carried out (or shown) and recorded. */
  | { kind: 'restored'; plan: CredentialUserPlan; failed?: string }
  /** An operator's request that cannot be carried out, and why. */
  | { kind: 'refused'; reason: string }

export interface Scope {
  settings: HubConfig
  accountId: string
  intent: Intent
}

export interface Account extends Scope {
  iam: AccountIam
  listing: AccountListing
  records: AccountRecords
  earlier?: AccountProgress
  now: Date
  started: number
}
