import type { UserDecision } from '../../domain/decision.js'
import type { AccountState, ChangeRecord, Exemption, StoredReport } from '../../domain/records.js'
import { rowsForDecision } from '../../domain/state-rows.js'
import type { Mode } from '../../domain/types.js'
import type { UserState } from '../../domain/user-state.js'
import { StateConflictError } from '../../errors.js'
import { keys } from '../state-table.js'
import { accountStateRow, exemptionRow, parseRow, storedReportRow, userStateRow } from './rows.js'
import type { StateTable } from './table.js'

/** What the sweep needs to know about an account's past. */
export interface AccountSnapshotState {
  /** Current-state rows by user name. */
  users: Map<string, UserState>
  /** The same rows by UserId (rows that carry one). */
  usersById: Map<string, UserState>
  exemptions: Exemption[]
  /** Each user's last Access Advisor report, by UserId. */
  reports: Map<string, StoredReport>
  account?: AccountState
}

/**
 * The recorded state of an IAM user, found by its UserId. A row from before the UserId was kept is
 * matched by name; a row naming another UserId belongs to a deleted user whose name was reused.
 */
export function priorStateOf(
  past: AccountSnapshotState,
  user: { name: string; id: string },
): UserState | undefined {
  const byId = past.usersById.get(user.id)
  if (byId) return byId
  const byName = past.users.get(user.name)
  return byName && byName.userId === undefined ? byName : undefined
}

/** Each user's current state and history, each account's reachability, and temporary exemptions. */
export class UserStates {
  constructor(
    private readonly table: StateTable,
    private readonly historyRetentionDays = 0,
  ) {}

  /** Everything the sweep needs to know about an account's past, in one paginated query. */
  async loadAccount(accountId: string): Promise<AccountSnapshotState> {
    const rows = await this.table.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.account(accountId) },
    })
    const users = new Map<string, UserState>()
    const exemptions: Exemption[] = []
    const reports = new Map<string, StoredReport>()
    let account: AccountState | undefined
    for (const row of rows) {
      const sk = String(row.sk)
      if (sk.startsWith('USER#')) {
        const user = parseRow<UserState>(userStateRow, row)
        users.set(user.userName, user)
      } else if (sk.startsWith('EXEMPTION#')) exemptions.push(parseRow<Exemption>(exemptionRow, row))
      else if (sk.startsWith('REPORT#')) {
        const report = parseRow<StoredReport>(storedReportRow, row)
        reports.set(report.userId, report)
      } else if (sk === keys.accountRow) account = parseRow<AccountState>(accountStateRow, row)
    }
    const usersById = new Map<string, UserState>()
    for (const row of users.values()) if (row.userId) usersById.set(row.userId, row)
    return { users, usersById, exemptions, reports, ...(account ? { account } : {}) }
  }

  /**
   * Writes the rows a decision calls for (see rowsForDecision). A renamed user's row moves to the new
   * name (the caller forgets the old one); its history stays under the UserId.
   */
  async saveDecision(
    prev: UserState | undefined,
    decision: UserDecision,
    run: { sweepId: string; mode: Mode; now: Date; actor?: string },
    /** The row stored under the user's name when the account was loaded (another user's, after a reuse). */
    current: UserState | undefined,
  ): Promise<void> {
    const rows = rowsForDecision(prev, decision, run)
    // History first: a crash in between repeats a history row at worst, and never loses an attempt.
    for (const change of rows.history) await this.appendHistory(change)
    const next = rows.state
    if (!next) return
    // Conditional on the row being as it was loaded: a writer that changed it since is never overwritten.
    const written = await this.table.putIf(
      {
        pk: keys.account(next.accountId),
        sk: keys.user(next.userName),
        gsi1pk: keys.userStatus(next.status),
        gsi1sk: `${next.accountId}#${next.userName}`,
        ...(next.nextScheduled
          ? { gsi2pk: keys.scheduled, gsi2sk: `${next.nextScheduled}#${next.accountId}#${next.userName}` }
          : {}),
        ...next,
        version: (current?.version ?? 0) + 1,
      },
      !current
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : current.version === undefined
          ? { ConditionExpression: 'attribute_not_exists(version)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': current.version } },
    )
    if (!written) {
      throw new StateConflictError(
        `the state of ${next.userName} in ${next.accountId} was changed by another writer; not overwritten`,
      )
    }
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
      // Attempts across the organization are one index query, in attempt-time order, from any date on.
      ...(attempt
        ? {
            gsi1pk: keys.attempts,
            gsi1sk: `${attempt.at}#${change.accountId}#${change.userName}#${attempt.namespace}`,
          }
        : {}),
      ...change,
      ...ttl,
    })
  }

  /** Users that no longer exist in IAM leave the current-state view; their history stays. */
  forgetUser(accountId: string, userName: string): Promise<void> {
    return this.table.delete({ pk: keys.account(accountId), sk: keys.user(userName) })
  }

  /** Keeps a user's complete Access Advisor report, replacing the one before. */
  /** Keeps the users' last reports, in as few requests as the table allows. */
  saveReports(accountId: string, reports: readonly StoredReport[]): Promise<void> {
    return this.table.putAll(
      reports.map((report) => ({ pk: keys.account(accountId), sk: keys.report(report.userId), ...report })),
    )
  }

  forgetReport(accountId: string, userId: string): Promise<void> {
    return this.table.delete({ pk: keys.account(accountId), sk: keys.report(userId) })
  }

  async saveAccountState(prev: AccountState | undefined, next: AccountState): Promise<void> {
    const same =
      prev &&
      prev.status === next.status &&
      prev.reason === next.reason &&
      prev.name === next.name &&
      (next.enforcedSince === undefined || prev.enforcedSince === next.enforcedSince)
    if (same) return
    await this.table.put({
      pk: keys.account(next.accountId),
      sk: keys.accountRow,
      gsi1pk: keys.accountStatus(next.status),
      gsi1sk: next.accountId,
      ...next,
    })
  }

  /** Lifts an exemption before its end (`exemptions revoke`); false when there was none. */
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

/** What tells apart the several rows one decision writes at the same time. */
function historyDetail(change: ChangeRecord): string | undefined {
  if (change.attempt) return `attempt#${change.attempt.namespace}`
  if (change.status === 'scheduled' || change.status === 'schedule-cancelled') return change.status
  return undefined
}

/** Exemptions are keyed by UserId, so a reused name never overwrites another user's (name for old rows). */
function exemptionKey(exemption: Exemption): string {
  return keys.exemption(exemption.userId ?? exemption.userName, exemption.service)
}
