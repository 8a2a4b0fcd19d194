import type { z } from 'zod'
import type { DecisionStatus } from '../../domain/decision.js'
import {
  type AccountState,
  type AccountStatus,
  accountState,
  type ChangeRecord,
  type CredentialState,
  type CredentialStatus,
  changeRecord,
  credentialState,
  type Exemption,
  exemption,
  type StoredReport,
  storedReport,
  type UserState,
  userState,
} from '../../domain/records.js'
import type { AuditViews } from '../../ports.js'
import type { StateTable } from './table.js'
import { keys, STATE_TABLE } from './table-shape.js'

/** The audit views: each one a GetItem or a Query, never a scan. */
export class AuditQueries implements AuditViews {
  constructor(private readonly table: StateTable) {}

  user(accountId: string, userName: string): Promise<UserState | undefined> {
    return this.table.get({ pk: keys.account(accountId), sk: keys.user(userName) }, userState)
  }

  /**
   * Two small reads, not the account's whole partition (its users and their reports). A row that cannot
   * be read is left out and told, as the account's loading does: one bad row hides no other.
   */
  async exemptions(accountId: string): Promise<{ exemptions: Exemption[]; account?: AccountState }> {
    const [exemptions, account] = await Promise.all([
      this.table.queryParsed(
        {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': keys.account(accountId), ':sk': 'EXEMPTION#' },
        },
        exemption,
      ),
      this.table.find({ pk: keys.account(accountId), sk: keys.accountRow }, accountState),
    ])
    return { exemptions, ...(account ? { account } : {}) }
  }

  report(accountId: string, userId: string): Promise<StoredReport | undefined> {
    return this.table.get({ pk: keys.account(accountId), sk: keys.report(userId) }, storedReport)
  }

  /**
   * A user's history, newest first: by UserId when given, else through the user's current-state row
   * (history follows renames). A user with no current row (deleted) is found by `id`.
   */
  async history(
    accountId: string,
    who: { name: string } | { id: string },
    limit: number,
  ): Promise<ChangeRecord[]> {
    let pk: string
    if ('id' in who) pk = keys.history(accountId, who.id)
    else {
      const row = await this.user(accountId, who.name)
      pk = row?.userId ? keys.history(accountId, row.userId) : keys.legacyHistory(accountId, who.name)
    }
    return this.table.queryPage(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': pk, ':sk': 'CHANGE#' },
        ScanIndexForward: false,
        Limit: limit,
      },
      changeRecord,
    )
  }

  /** Attempts on denied services across the organization since a date, oldest first. */
  attemptsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    const index = STATE_TABLE.statusIndex
    return this.orgWide(index, keys.attempts, { op: '>=', value: since }, accountId, changeRecord)
  }

  /** Exemption tags set on users who hold denies, across the organization since a time, oldest first. */
  requestsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    const index = STATE_TABLE.statusIndex
    return this.orgWide(index, keys.exemptionRequests, { op: '>=', value: since }, accountId, changeRecord)
  }

  /** Users with a deny scheduled (on or before `until`, a UTC day, when given), soonest first. */
  scheduled(until: string | undefined, accountId?: string): Promise<UserState[]> {
    // Sort keys start with the earliest day: `<day>$` sorts after every `<day>#…` of that day.
    const range = until ? { op: '<' as const, value: `${until}$` } : undefined
    return this.orgWide(STATE_TABLE.scheduleIndex, keys.scheduled, range, accountId, userState)
  }

  /** One index key across the organization, its sort key bounded, optionally one account's rows. */
  private orgWide<S extends z.ZodType>(
    index: { name: string; partitionKey: string; sortKey: string },
    key: string,
    range: { op: '<' | '>='; value: string } | undefined,
    accountId: string | undefined,
    schema: S,
  ): Promise<z.output<S>[]> {
    return this.table.queryParsed(
      {
        IndexName: index.name,
        KeyConditionExpression: `${index.partitionKey} = :pk${range ? ` AND ${index.sortKey} ${range.op} :sk` : ''}`,
        ExpressionAttributeValues: {
          ':pk': key,
          ...(range ? { ':sk': range.value } : {}),
          ...(accountId ? { ':account': accountId } : {}),
        },
        ...(accountId ? { FilterExpression: 'accountId = :account' } : {}),
      },
      schema,
    )
  }

  usersByStatus(status: DecisionStatus): Promise<UserState[]> {
    return this.table.byIndex(keys.userStatus(status), userState)
  }

  /** Sorted by account, user and credential: the index's sort key. */
  credentials(status: CredentialStatus, accountId?: string): Promise<CredentialState[]> {
    const index = STATE_TABLE.statusIndex
    return this.orgWide(index, keys.credentialStatus(status), undefined, accountId, credentialState)
  }

  accountsByStatus(status: AccountStatus): Promise<AccountState[]> {
    return this.table.byIndex(keys.accountStatus(status), accountState)
  }
}
