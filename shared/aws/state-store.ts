import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { AccountLocks } from './state/account-locks.js'
import { AuditQueries } from './state/audit-queries.js'
import { SweepLedger } from './state/sweep-ledger.js'
import { StateTable } from './state/table.js'
import { UserStates } from './state/user-states.js'

export { BATCH_WRITE_ITEMS } from './state/table.js'
export { type AccountSnapshotState, priorStateOf } from './state/user-states.js'

/**
 * The state table, by concern: the sweep ledger, the users' states and history, and the audit views.
 * Per-user rows are written only when something an auditor cares about changed, so a steady-state sweep
 * writes only its own sweep records.
 */
export class StateStore {
  readonly sweeps: SweepLedger
  readonly users: UserStates
  readonly audit: AuditQueries
  readonly locks: AccountLocks
  private readonly table: StateTable

  constructor(
    db: DynamoDBDocumentClient,
    readonly tableName: string,
    historyRetentionDays = 0,
  ) {
    const table = new StateTable(db, tableName)
    this.table = table
    this.sweeps = new SweepLedger(table, historyRetentionDays)
    this.users = new UserStates(table, historyRetentionDays)
    this.audit = new AuditQueries(table)
    this.locks = new AccountLocks(table)
  }

  /** Write requests made so far (the benchmark's measure). */
  get writeCount(): number {
    return this.table.writeCount
  }
}
