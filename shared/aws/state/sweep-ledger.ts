import {
  type AccountOutcome,
  type AccountProgress,
  type CompletedSweep,
  type PlannedUser,
  plannedUser,
  type RunningSweep,
  type StalledSweep,
  type SweepAccountRow,
  type SweepSummary,
  sweepAccountRow,
  sweepSummary,
} from '../../domain/records.js'
import type { SweepLedger as Ledger, SweepRef } from '../../ports.js'
import { accountProgressRow, parseRow, sweepTargetsRow } from './rows.js'
import type { StateTable } from './table.js'
import { keys, STATE_TABLE } from './table-shape.js'

/**
 * Target accounts per row: 2,000 ids are about 30 KB, so a sweep of any organization stays far below
 * DynamoDB's 400 KB item limit, however many accounts it has.
 */
export const TARGETS_PER_ROW = 2_000

/** The record of each sweep: its summary, its target accounts, and the outcome of each account. */
export class SweepLedger implements Ledger {
  constructor(
    private readonly table: StateTable,
    private readonly retentionDays = 0,
  ) {}

  /**
   * Creates the sweep record with its targets; false when it already exists (a retried first
   * invocation), in which case the targets recorded first are kept.
   */
  async start(summary: RunningSweep, targets: readonly string[]): Promise<boolean> {
    const exists = { ConditionExpression: 'attribute_not_exists(pk)' }
    if (await this.get(summary.sweepId)) return false
    for (let i = 0; i * TARGETS_PER_ROW < targets.length; i++) {
      await this.table.putIf(
        {
          pk: keys.sweep(summary.sweepId),
          sk: keys.sweepTargets(i),
          accounts: targets.slice(i * TARGETS_PER_ROW, (i + 1) * TARGETS_PER_ROW),
          ...this.ttl(summary.startedAt),
        },
        exists,
      )
    }
    return this.table.putIf(this.summaryItem(summary), exists)
  }

  get(sweepId: string): Promise<SweepSummary | undefined> {
    return this.table.get({ pk: keys.sweep(sweepId), sk: keys.summary }, sweepSummary)
  }

  /** The accounts the sweep chose when it began; a chunk that cannot be read fails it (none may be lost). */
  async targets(sweepId: string): Promise<string[]> {
    const rows = await this.table.queryWhole(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': keys.sweep(sweepId), ':sk': 'TARGETS#' },
      },
      sweepTargetsRow,
    )
    return rows.flatMap((r) => r.accounts)
  }

  /** Records an account's outcome; `ifAbsent` keeps an outcome already recorded (a write made without the lock). */
  async completeAccount(sweep: SweepRef, outcome: AccountOutcome, at: Date, ifAbsent = false): Promise<void> {
    const item = {
      pk: keys.sweep(sweep.sweepId),
      sk: keys.sweepAccount(outcome.accountId),
      doneAt: at.toISOString(),
      ...outcome,
      ...this.ttl(sweep.startedAt),
    }
    if (ifAbsent) await this.table.putIf(item, { ConditionExpression: 'attribute_not_exists(pk)' })
    else await this.table.put(item)
  }

  async isDone(sweepId: string, accountId: string): Promise<boolean> {
    return (await this.table.raw({ pk: keys.sweep(sweepId), sk: keys.sweepAccount(accountId) })) !== undefined
  }

  /** What earlier invocations did in an account they left unfinished; an unreadable row reads as none. */
  progress(sweepId: string, accountId: string): Promise<AccountProgress | undefined> {
    return this.table.find({ pk: keys.sweep(sweepId), sk: keys.sweepProgress(accountId) }, accountProgressRow)
  }

  /** UserIds are kept as one string: 5,000 users (IAM's most per account) take about 110 KB. */
  saveProgress(sweep: SweepRef, accountId: string, progress: AccountProgress): Promise<void> {
    return this.table.put({
      pk: keys.sweep(sweep.sweepId),
      sk: keys.sweepProgress(accountId),
      ...progress,
      userIds: progress.userIds.join(','),
      ...this.ttl(sweep.startedAt),
    })
  }

  /** The accounts done so far, with their outcomes. */
  async accounts(sweepId: string): Promise<SweepAccountRow[]> {
    const rows = await this.table.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': keys.sweep(sweepId), ':sk': 'ACCOUNT#' },
    })
    // An outcome row that cannot be read still says the account is done (or the sweep would never end):
    // it is read as a failure naming what is wrong with it.
    return rows.map((row) => {
      try {
        return parseRow(sweepAccountRow, row)
      } catch (error) {
        return unreadableOutcome(row, error)
      }
    })
  }

  /**
   * An invocation is at work on the sweep; counted when it hands on, for the audit. False when the sweep
   * finished or stalled meanwhile: there is nothing left to keep alive.
   */
  heartbeat(sweepId: string, at: Date, handedOn = false): Promise<boolean> {
    return this.table.updateIf(
      { pk: keys.sweep(sweepId), sk: keys.summary },
      {
        UpdateExpression: handedOn
          ? 'SET heartbeatAt = :at, invocations = invocations + :one'
          : 'SET heartbeatAt = :at',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':at': at.toISOString(),
          ':running': 'running',
          ...(handedOn ? { ':one': 1 } : {}),
        },
      },
    )
  }

  keepPlans(sweep: SweepRef, plans: readonly PlannedUser[]): Promise<void> {
    return this.table.putAll(
      plans.map((p) => ({
        pk: keys.sweep(sweep.sweepId),
        sk: keys.sweepPlan(p.accountId, p.userId),
        ...p,
        ...this.ttl(sweep.startedAt),
      })),
    )
  }

  /** Every row is read: a plan with a user left out would pass for one that changes nothing there. */
  plans(sweepId: string, accountId?: string): Promise<PlannedUser[]> {
    return this.table.queryWhole(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: {
          ':pk': keys.sweep(sweepId),
          ':sk': accountId ? keys.sweepPlan(accountId) : keys.sweepPlans,
        },
      },
      plannedUser,
    )
  }

  /** Records the job durations seen, for the next invocation to start with. */
  recordDurations(sweepId: string, jobDurationsMs: number[]): Promise<void> {
    return this.table.update(
      { pk: keys.sweep(sweepId), sk: keys.summary },
      { UpdateExpression: 'SET jobDurationsMs = :d', ExpressionAttributeValues: { ':d': jobDurationsMs } },
    )
  }

  /** Marks the sweep finished; only the first caller succeeds, so the digest goes out once. */
  finish(summary: CompletedSweep): Promise<boolean> {
    return this.endRunning(summary)
  }

  /** Marks a running sweep stalled; false when it finished or stalled meanwhile. */
  markStalled(summary: StalledSweep): Promise<boolean> {
    return this.endRunning(summary)
  }

  /** The last sweeps, newest first; one that cannot be read is told and left out. */
  recent(limit: number): Promise<SweepSummary[]> {
    return this.table.queryPage(
      {
        IndexName: STATE_TABLE.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.sweeps },
        ScanIndexForward: false,
        Limit: limit,
      },
      sweepSummary,
    )
  }

  private endRunning(summary: SweepSummary): Promise<boolean> {
    return this.table.putIf(this.summaryItem(summary), {
      ConditionExpression: 'attribute_exists(pk) AND #status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':running': 'running' },
    })
  }

  /** Sweep rows expire like history rows (HISTORY_RETENTION_DAYS; 0 keeps them). */
  private ttl(startedAt: string): { expiresAt?: number } {
    return this.retentionDays > 0
      ? { expiresAt: Math.floor(Date.parse(startedAt) / 1000) + this.retentionDays * 86_400 }
      : {}
  }

  private summaryItem(summary: SweepSummary) {
    return {
      pk: keys.sweep(summary.sweepId),
      sk: keys.summary,
      gsi1pk: keys.sweeps,
      gsi1sk: `${summary.startedAt}#${summary.sweepId}`,
      ...summary,
      ...this.ttl(summary.startedAt),
    }
  }
}

function unreadableOutcome(row: Record<string, unknown>, error: unknown): SweepAccountRow {
  return {
    accountId: String(row.sk).slice('ACCOUNT#'.length),
    outcome: 'failed',
    reason: `its outcome row is unreadable: ${error instanceof Error ? error.message : String(error)}`,
    users: 0,
    counts: {},
    writes: 0,
    durationMs: 0,
    doneAt: typeof row.doneAt === 'string' ? row.doneAt : new Date(0).toISOString(),
  }
}
