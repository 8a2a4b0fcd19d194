import type { DecisionStatus } from '../../domain/decision.js'
import type { AccountState, AccountStatus, ChangeRecord } from '../../domain/records.js'
import type { UserState } from '../../domain/user-state.js'
import { keys, STATE_TABLE } from '../state-table.js'
import { accountStateRow, changeRow, userStateRow } from './rows.js'
import type { StateTable } from './table.js'

/** The audit views: each one a GetItem or a Query, never a scan. */
export class AuditQueries {
  constructor(private readonly table: StateTable) {}

  user(accountId: string, userName: string): Promise<UserState | undefined> {
    return this.table.get<UserState>({ pk: keys.account(accountId), sk: keys.user(userName) }, userStateRow)
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
    return this.table.queryPage<ChangeRecord>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': pk, ':sk': 'CHANGE#' },
        ScanIndexForward: false,
        Limit: limit,
      },
      changeRow,
    )
  }

  /** Attempts on denied services across the organization since a date, oldest first. */
  attemptsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    return this.table.queryParsed<ChangeRecord>(
      {
        IndexName: STATE_TABLE.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk >= :since',
        ExpressionAttributeValues: {
          ':pk': keys.attempts,
          ':since': since,
          ...(accountId ? { ':account': accountId } : {}),
        },
        ...(accountId ? { FilterExpression: 'accountId = :account' } : {}),
      },
      changeRow,
    )
  }

  /** Users with a deny scheduled on or before `until` (a UTC day), soonest first. */
  scheduled(until: string, accountId?: string): Promise<UserState[]> {
    return this.table.queryParsed<UserState>(
      {
        IndexName: STATE_TABLE.scheduleIndex.name,
        // Sort keys start with the day: every user whose earliest day is `until` or before.
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :after',
        ExpressionAttributeValues: {
          ':pk': keys.scheduled,
          ':after': `${until}$`,
          ...(accountId ? { ':account': accountId } : {}),
        },
        ...(accountId ? { FilterExpression: 'accountId = :account' } : {}),
      },
      userStateRow,
    )
  }

  usersByStatus(status: DecisionStatus): Promise<UserState[]> {
    return this.table.byIndex<UserState>(keys.userStatus(status), userStateRow)
  }

  accountsByStatus(status: AccountStatus): Promise<AccountState[]> {
    return this.table.byIndex<AccountState>(keys.accountStatus(status), accountStateRow)
  }
}
