import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { StateStore, UnreadableRow } from '../../ports.js'
import { AccountLocks } from './account-locks.js'
import { AuditQueries } from './audit-queries.js'
import { SweepLedger } from './sweep-ledger.js'
import { StateTable } from './table.js'
import { UserStates } from './user-states.js'

/**
 * The state store in one DynamoDB table, by concern: the sweep ledger, the users' states and history,
 * the account locks and the audit views. Per-user rows are written only when something an auditor
 * cares about changed, so a steady-state sweep writes only its own sweep records.
 */
export class DynamoStateStore implements StateStore {
  readonly sweeps: SweepLedger
  readonly users: UserStates
  readonly audit: AuditQueries
  readonly locks: AccountLocks
  private readonly table: StateTable

  /** @param unreadable told each row a read leaves out because it cannot be read (the wiring alerts it). */
  constructor(
    db: DynamoDBDocumentClient,
    readonly tableName: string,
    historyRetentionDays = 0,
    unreadable?: (row: UnreadableRow) => void,
  ) {
    const table = new StateTable(db, tableName, unreadable)
    this.table = table
    this.sweeps = new SweepLedger(table, historyRetentionDays)
    this.users = new UserStates(table, historyRetentionDays)
    this.audit = new AuditQueries(table)
    this.locks = new AccountLocks(table)
  }

  get writeCount(): number {
    return this.table.writeCount
  }
}
