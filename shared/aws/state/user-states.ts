import {
  type AccountState,
  accountState,
  type ChangeRecord,
  type CredentialState,
  credentialState,
  type Exemption,
  exemption as exemptionSchema,
  type StoredReport,
  storedReport,
  type UserState,
  userState,
} from '../../domain/records.js'
import type { AccountRecords, AccountStore, ReportSink, RowVersion, UnreadableRow } from '../../ports.js'
import { parseRow, unreadableRow } from './rows.js'
import { BATCH_WRITE_ITEMS, type StateTable } from './table.js'
import { keys } from './table-shape.js'

/** Each user's current state and history, each account's reachability, reports and exemptions. */
export class UserStates implements AccountStore {
  constructor(
    private readonly table: StateTable,
    private readonly historyRetentionDays = 0,
  ) {}

  /** Everything recorded about an account, in one paginated query. */
  async loadAccount(accountId: string): Promise<AccountRecords> {
    const rows = await this.table.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.account(accountId) },
    })
    const users = new Map<string, UserState>()
    const exemptions: Exemption[] = []
    const reports = new Map<string, StoredReport>()
    let account: AccountState | undefined
    const credentials: CredentialState[] = []
    const unreadable: UnreadableRow[] = []
    for (const row of rows) {
      const sk = String(row.sk)
      // One row that cannot be read is left out and told; the rest of the account is swept.
      try {
        if (sk.startsWith('USER#')) {
          const user = parseRow(userState, row)
          users.set(user.userName, user)
        } else if (sk.startsWith('EXEMPTION#')) exemptions.push(parseRow(exemptionSchema, row))
        else if (sk.startsWith('REPORT#')) {
          const report = parseRow(storedReport, row)
          reports.set(report.userId, report)
        } else if (sk.startsWith('CREDENTIAL#')) credentials.push(parseRow(credentialState, row))
        else if (sk === keys.accountRow) account = parseRow(accountState, row)
      } catch (error) {
        unreadable.push(unreadableRow(row, error))
      }
    }
    const usersById = new Map<string, UserState>()
    for (const row of users.values()) if (row.userId) usersById.set(row.userId, row)
    return { users, usersById, exemptions, reports, credentials, unreadable, ...(account ? { account } : {}) }
  }

  /** Conditional on the row being as it was loaded: a writer that changed it since is never overwritten. */
  saveUser(next: UserState, expected: RowVersion): Promise<boolean> {
    return this.table.putIf(
      {
        pk: keys.account(next.accountId),
        sk: keys.user(next.userName),
        gsi1pk: keys.userStatus(next.status),
        gsi1sk: `${next.accountId}#${next.userName}`,
        ...(next.nextScheduled
          ? { gsi2pk: keys.scheduled, gsi2sk: `${next.nextScheduled}#${next.accountId}#${next.userName}` }
          : {}),
        ...next,
        // A version that is not a number (a damaged row) is matched as stored, and counting starts again.
        version: (typeof expected?.version === 'number' ? expected.version : 0) + 1,
      },
      !expected
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : expected.version === undefined
          ? { ConditionExpression: 'attribute_not_exists(version)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expected.version } },
    )
  }

  async appendHistory(change: ChangeRecord): Promise<void> {
    const ttl =
      this.historyRetentionDays > 0
        ? { expiresAt: Math.floor(Date.parse(change.at) / 1000) + this.historyRetentionDays * 86_400 }
        : {}
    const attempt = change.attempt
    await this.table.put({
      pk: change.userId
        ? keys.history(change.accountId, change.userId)
        : keys.legacyHistory(change.accountId, change.userName),
      sk: keys.change(change.at, change.sweepId, historyDetail(change)),
      // Attempts and exemption requests across the organization are each one index query, in time order.
      ...(attempt
        ? {
            gsi1pk: keys.attempts,
            gsi1sk: `${attempt.at}#${change.accountId}#${change.userName}#${attempt.namespace}`,
          }
        : {}),
      ...(change.status === 'exemption-requested'
        ? { gsi1pk: keys.exemptionRequests, gsi1sk: `${change.at}#${change.accountId}#${change.userName}` }
        : {}),
      ...change,
      ...ttl,
    })
  }

  forgetUser(accountId: string, userName: string): Promise<void> {
    return this.table.delete({ pk: keys.account(accountId), sk: keys.user(userName) })
  }

  /**
   * Keeps the reports read in an account, each replacing the user's one before, 25 to a batch write sent
   * as soon as it is full: the table costs a request per 25 users, and reads in flight are not held up.
   */
  reportSink(accountId: string): ReportSink {
    let pending: StoredReport[] = []
    const batches: Promise<string[]>[] = []
    const send = () => {
      const rows = pending
      pending = []
      if (rows.length === 0) return
      const items = rows.map((report) => ({
        pk: keys.account(accountId),
        sk: keys.report(report.userId),
        ...report,
      }))
      batches.push(
        this.table.putAll(items).then(
          () => [],
          () => rows.map((r) => r.userId),
        ),
      )
    }
    return {
      keep: (report) => {
        pending.push(report)
        if (pending.length === BATCH_WRITE_ITEMS) send()
      },
      written: async () => {
        send()
        return (await Promise.all(batches)).flat()
      },
    }
  }

  forgetReport(accountId: string, userId: string): Promise<void> {
    return this.table.delete({ pk: keys.account(accountId), sk: keys.report(userId) })
  }

  async saveAccountState(state: AccountState): Promise<void> {
    await this.table.put({
      pk: keys.account(state.accountId),
      sk: keys.accountRow,
      gsi1pk: keys.accountStatus(state.status),
      gsi1sk: state.accountId,
      ...state,
    })
  }

  async saveCredential(row: CredentialState): Promise<void> {
    await this.table.put({
      pk: keys.account(row.accountId),
      sk: keys.credential(row.userId, row.credentialId),
      gsi1pk: keys.credentialStatus(row.status),
      gsi1sk: `${row.accountId}#${row.userName}#${row.credentialId}`,
      ...row,
    })
  }

  forgetCredential(row: Pick<CredentialState, 'accountId' | 'userId' | 'credentialId'>): Promise<void> {
    return this.table.delete({
      pk: keys.account(row.accountId),
      sk: keys.credential(row.userId, row.credentialId),
    })
  }

  deleteExemption(exemption: Exemption): Promise<boolean> {
    return this.table.deleteIf(
      { pk: keys.account(exemption.accountId), sk: exemptionKey(exemption) },
      { ConditionExpression: 'attribute_exists(pk)' },
    )
  }

  putExemption(exemption: Exemption): Promise<void> {
    return this.table.put({
      pk: keys.account(exemption.accountId),
      sk: exemptionKey(exemption),
      ...exemption,
      // DynamoDB's TTL removes the row some time after expiry; the sweep also ignores expired rows.
      expiresAt: Math.floor(Date.parse(exemption.until) / 1000),
    })
  }
}

/** History rows a decision writes beside its change row, at the same time: keyed by their kind. */
const SEPARATE_ROWS: ReadonlySet<string> = new Set(['scheduled', 'schedule-cancelled', 'exemption-requested'])

/** What tells apart the several rows one decision writes at the same time. */
function historyDetail(change: ChangeRecord): string | undefined {
  if (change.attempt) return `attempt#${change.attempt.namespace}`
  if (change.credential) return `${change.status}#${change.credential.credentialId}`
  if (SEPARATE_ROWS.has(change.status)) return change.status
  return undefined
}

/** Exemptions are keyed by UserId, so a reused name never overwrites another user's (name for old rows). */
function exemptionKey(exemption: Exemption): string {
  return keys.exemption(exemption.userId ?? exemption.userName, exemption.service)
}
