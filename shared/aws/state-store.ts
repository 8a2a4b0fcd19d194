import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { DecisionStatus, UserDecision } from '../domain/decision.js'
import type { Notable } from '../domain/digest.js'
import type { Attempt, ServiceChange } from '../domain/planner.js'
import type { Mode } from '../domain/types.js'
import { isChange, nextUserState, stateChanged, type UserState } from '../domain/user-state.js'
import { keys, STATE_TABLE } from './state-table.js'

export type AccountStatus = 'reachable' | 'unreachable' | 'failed'

export interface AccountState {
  accountId: string
  name: string
  status: AccountStatus
  reason: string
  sweepId: string
  updatedAt: string
}

export interface Exemption {
  accountId: string
  userName: string
  /** The UserId the exemption was granted to (from the user's recorded state). */
  userId?: string
  /** A single service, or undefined for the whole user. */
  service?: string
  /** ISO date the exemption ends. */
  until: string
  reason: string
  createdAt: string
}

export interface ChangeRecord {
  accountId: string
  userName: string
  /** Absent only in rows written before the UserId was kept. */
  userId?: string
  at: string
  sweepId: string
  mode: Mode
  /** `attempt`: activity on a denied service (one row per service and attempt time). */
  status: DecisionStatus | 'tampered' | 'attempt'
  previousStatus?: string
  added: ServiceChange[]
  removed: ServiceChange[]
  denied: string[]
  reason: string
  /** The attempt, on `attempt` rows. */
  attempt?: Attempt
  /** Who asked for it (an operator's ARN from sts:GetCallerIdentity), on operator actions. */
  actor?: string
}

export interface SweepSummary {
  sweepId: string
  mode: Mode
  trigger: string
  startedAt: string
  status: 'running' | 'completed'
  /** Accounts this sweep targets. */
  accounts: string[]
  invocations: number
  /** An operator confirmed a large change: the blast-radius brake does not apply to this sweep. */
  confirmLargeChange?: boolean
  /** Accounts handed to the next invocation, when the time budget ran out. */
  cursor?: string[]
  finishedAt?: string
  durationMs?: number
  counts?: Record<string, number>
  accountsSwept?: number
  accountsUnreachable?: number
  accountsFailed?: number
  /** Accounts where the blast-radius brake held back every write. */
  accountsBraked?: number
  /** Access Advisor job durations seen (ms), to start the next sweep or invocation with. */
  jobDurationsMs?: number[]
}

export interface AccountOutcome {
  accountId: string
  outcome: 'swept' | AccountStatus
  reason: string
  users: number
  counts: Record<string, number>
  writes: number
  durationMs: number
  /** Why the blast-radius brake held back every write, when it did. */
  brake?: string
  /** Short lists for the digest. */
  notable?: Notable
}

export interface SweepAccountRow extends Partial<AccountOutcome> {
  accountId: string
  state: 'claimed' | 'done'
  leaseExpiresAt: number
}

export interface AccountSnapshotState {
  /** Current-state rows by user name. */
  users: Map<string, UserState>
  /** The same rows by UserId (rows that carry one). */
  usersById: Map<string, UserState>
  exemptions: Exemption[]
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

/** Counts of write requests made, so that tests and the benchmark can measure them. */
export interface WriteCounter {
  writes: number
}

/**
 * All reads and writes of the state table. Per-user rows are written only when something an auditor
 * cares about changed, so a steady-state sweep writes only its own sweep records.
 */
export class StateStore {
  readonly counter: WriteCounter = { writes: 0 }

  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly historyRetentionDays = 0,
  ) {}

  // --- sweeps -------------------------------------------------------------------------------------

  /** Creates the sweep record; false when it already exists (a retried first invocation). */
  async startSweep(summary: SweepSummary): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: keys.sweep(summary.sweepId), sk: keys.summary, ...this.sweepIndex(summary), ...summary },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
  }

  async getSweep(sweepId: string): Promise<SweepSummary | undefined> {
    const reply = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keys.sweep(sweepId), sk: keys.summary } }),
    )
    return reply.Item ? strip<SweepSummary>(reply.Item) : undefined
  }

  /**
   * Claims an account for this sweep. Succeeds once per account, unless an earlier claim's lease ran
   * out without the account being done (its invocation died): then the account is taken over.
   */
  async claimAccount(sweepId: string, accountId: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: keys.sweep(sweepId),
          sk: keys.sweepAccount(accountId),
          accountId,
          state: 'claimed',
          leaseExpiresAt: now.getTime() + leaseMs,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND leaseExpiresAt < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.getTime() },
      }),
    )
  }

  async completeAccount(sweepId: string, outcome: AccountOutcome): Promise<void> {
    await this.put({
      pk: keys.sweep(sweepId),
      sk: keys.sweepAccount(outcome.accountId),
      state: 'done',
      leaseExpiresAt: 0,
      ...outcome,
    })
  }

  async sweepAccounts(sweepId: string): Promise<SweepAccountRow[]> {
    return this.queryAll<SweepAccountRow>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': keys.sweep(sweepId), ':sk': 'ACCOUNT#' },
    })
  }

  async recordContinuation(sweepId: string, cursor: string[], jobDurationsMs: number[]): Promise<void> {
    this.counter.writes++
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: keys.sweep(sweepId), sk: keys.summary },
        UpdateExpression: 'SET #cursor = :c, jobDurationsMs = :d, invocations = invocations + :one',
        ExpressionAttributeNames: { '#cursor': 'cursor' },
        ExpressionAttributeValues: { ':c': cursor, ':d': jobDurationsMs, ':one': 1 },
      }),
    )
  }

  /** Marks the sweep finished; only the first caller succeeds, so the digest goes out once. */
  async finishSweep(summary: SweepSummary): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: keys.sweep(summary.sweepId), sk: keys.summary, ...this.sweepIndex(summary), ...summary },
        ConditionExpression: 'attribute_exists(pk) AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'running' },
      }),
    )
  }

  async recentSweeps(limit: number): Promise<SweepSummary[]> {
    const reply = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: STATE_TABLE.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.sweeps },
        ScanIndexForward: false,
        Limit: limit,
      }),
    )
    return (reply.Items ?? []).map((i) => strip<SweepSummary>(i))
  }

  // --- per account --------------------------------------------------------------------------------

  /** Everything the sweep needs to know about an account's past, in one paginated query. */
  async loadAccount(accountId: string): Promise<AccountSnapshotState> {
    const rows = await this.queryRaw({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.account(accountId) },
    })
    const users = new Map<string, UserState>()
    const exemptions: Exemption[] = []
    let account: AccountState | undefined
    for (const row of rows) {
      const sk = String(row.sk)
      if (sk.startsWith('USER#')) users.set(String(row.userName), strip<UserState>(row))
      else if (sk.startsWith('EXEMPTION#')) exemptions.push(strip<Exemption>(row))
      else if (sk === keys.accountRow) account = strip<AccountState>(row)
    }
    const usersById = new Map<string, UserState>()
    for (const row of users.values()) if (row.userId) usersById.set(row.userId, row)
    return { users, usersById, exemptions, ...(account ? { account } : {}) }
  }

  /**
   * Writes the user's state row and a history row, each only when something changed, plus a row per
   * tampering found and per new attempt on a denied service. A renamed user's row moves to the new
   * name (the caller forgets the old one); its history stays under the UserId.
   */
  async saveDecision(
    prev: UserState | undefined,
    decision: UserDecision,
    sweepId: string,
    mode: Mode,
    now: Date,
    actor?: string,
  ): Promise<void> {
    const next = nextUserState(prev, decision, sweepId, now)
    const row = {
      accountId: next.accountId,
      userName: next.userName,
      userId: decision.userId,
      sweepId,
      mode,
      ...(prev ? { previousStatus: prev.status } : {}),
    }
    if (decision.tampered?.length) {
      await this.appendHistory({
        ...row,
        at: new Date(now.getTime() - 1).toISOString(), // sorts before the change that restores it
        status: 'tampered',
        added: [],
        removed: [],
        denied: prev?.denied ?? [],
        reason: decision.tampered.map((t) => `${t.kind}: ${t.policyArn}`).join('; '),
      })
    }
    for (const attempt of decision.attempts ?? []) {
      await this.appendHistory({
        ...row,
        at: now.toISOString(),
        status: 'attempt',
        added: [],
        removed: [],
        denied: next.denied,
        attempt,
        reason: `tried denied service ${attempt.namespace} at ${attempt.at}${attempt.region ? ` in ${attempt.region}` : ''}; the deny stays`,
      })
    }
    if (!stateChanged(prev, next)) return
    await this.put({
      pk: keys.account(next.accountId),
      sk: keys.user(next.userName),
      gsi1pk: keys.userStatus(next.status),
      gsi1sk: `${next.accountId}#${next.userName}`,
      ...next,
    })
    if (isChange(prev, next)) {
      await this.appendHistory({
        ...row,
        at: now.toISOString(),
        status: next.status,
        added: decision.added,
        removed: decision.removed,
        denied: next.denied,
        reason:
          prev && prev.userName !== next.userName
            ? `${next.reason} (renamed from ${prev.userName})`
            : next.reason,
        ...(actor ? { actor } : {}),
      })
    }
  }

  async appendHistory(change: ChangeRecord): Promise<void> {
    const ttl =
      this.historyRetentionDays > 0
        ? { expiresAt: Math.floor(Date.parse(change.at) / 1000) + this.historyRetentionDays * 86_400 }
        : {}
    const attempt = change.attempt
    await this.put({
      pk: change.userId
        ? keys.history(change.accountId, change.userId)
        : keys.legacyHistory(change.accountId, change.userName),
      sk: keys.change(change.at, change.sweepId, attempt ? `attempt#${attempt.namespace}` : undefined),
      // Attempts across the organization are one index query, newest last, from any date on.
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
  async forgetUser(accountId: string, userName: string): Promise<void> {
    this.counter.writes++
    await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: keys.account(accountId), sk: keys.user(userName) },
      }),
    )
  }

  async saveAccountState(prev: AccountState | undefined, next: AccountState): Promise<void> {
    if (prev && prev.status === next.status && prev.reason === next.reason && prev.name === next.name) return
    await this.put({
      pk: keys.account(next.accountId),
      sk: keys.accountRow,
      gsi1pk: keys.accountStatus(next.status),
      gsi1sk: next.accountId,
      ...next,
    })
  }

  async putExemption(exemption: Exemption): Promise<void> {
    await this.put({
      pk: keys.account(exemption.accountId),
      sk: keys.exemption(exemption.userName, exemption.service),
      ...exemption,
      // DynamoDB's TTL removes the row some time after expiry; the sweep also ignores expired rows.
      expiresAt: Math.floor(Date.parse(exemption.until) / 1000),
    })
  }

  // --- audit --------------------------------------------------------------------------------------

  async getUser(accountId: string, userName: string): Promise<UserState | undefined> {
    const reply = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.account(accountId), sk: keys.user(userName) },
      }),
    )
    return reply.Item ? strip<UserState>(reply.Item) : undefined
  }

  /**
   * A user's history, newest first: by UserId when given, else through the user's current-state row
   * (history follows renames). A user with no current row (deleted) is found by `userId`.
   */
  async userHistory(
    accountId: string,
    user: { name: string } | { id: string },
    limit: number,
  ): Promise<ChangeRecord[]> {
    let pk: string
    if ('id' in user) pk = keys.history(accountId, user.id)
    else {
      const row = await this.getUser(accountId, user.name)
      pk = row?.userId ? keys.history(accountId, row.userId) : keys.legacyHistory(accountId, user.name)
    }
    const reply = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': pk, ':sk': 'CHANGE#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    )
    return (reply.Items ?? []).map((i) => strip<ChangeRecord>(i))
  }

  /** Attempts on denied services across the organization since a date, oldest first. */
  async attemptsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    return this.queryAll<ChangeRecord>({
      IndexName: STATE_TABLE.statusIndex.name,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk >= :since',
      ExpressionAttributeValues: {
        ':pk': keys.attempts,
        ':since': since,
        ...(accountId ? { ':account': accountId } : {}),
      },
      ...(accountId ? { FilterExpression: 'accountId = :account' } : {}),
    })
  }

  async usersByStatus(status: string): Promise<UserState[]> {
    return this.queryIndex<UserState>(keys.userStatus(status))
  }

  async accountsByStatus(status: AccountStatus): Promise<AccountState[]> {
    return this.queryIndex<AccountState>(keys.accountStatus(status))
  }

  // --- plumbing -----------------------------------------------------------------------------------

  private sweepIndex(summary: SweepSummary) {
    return { gsi1pk: keys.sweeps, gsi1sk: `${summary.startedAt}#${summary.sweepId}` }
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    this.counter.writes++
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }))
  }

  private async conditional(command: PutCommand): Promise<boolean> {
    this.counter.writes++
    try {
      await this.db.send(command)
      return true
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false
      throw error
    }
  }

  private async queryIndex<T>(gsi1pk: string): Promise<T[]> {
    return this.queryAll<T>({
      IndexName: STATE_TABLE.statusIndex.name,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': gsi1pk },
    })
  }

  private async queryAll<T>(input: QueryInput): Promise<T[]> {
    return (await this.queryRaw(input)).map((item) => strip<T>(item))
  }

  private async queryRaw(input: QueryInput): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = []
    for await (const page of paginateQuery({ client: this.db }, { TableName: this.tableName, ...input })) {
      out.push(...(page.Items ?? []))
    }
    return out
  }
}

type QueryInput = Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>

/** Drops the key attributes so callers see domain records only. */
function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item
  return rest as T
}
