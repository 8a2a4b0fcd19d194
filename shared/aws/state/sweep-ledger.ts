import type {
  AccountOutcome,
  CompletedSweep,
  RunningSweep,
  SweepAccountRow,
  SweepSummary,
} from '../../domain/records.js'
import { keys, STATE_TABLE } from '../state-table.js'
import { sweepAccountRow, sweepRow } from './rows.js'
import type { StateTable } from './table.js'

/** The record of each sweep: its summary, the claim and outcome of each account, its continuation. */
export class SweepLedger {
  constructor(private readonly table: StateTable) {}

  /** Creates the sweep record; false when it already exists (a retried first invocation). */
  start(summary: RunningSweep): Promise<boolean> {
    return this.table.putIf(this.summaryItem(summary), { ConditionExpression: 'attribute_not_exists(pk)' })
  }

  get(sweepId: string): Promise<SweepSummary | undefined> {
    return this.table.get<SweepSummary>({ pk: keys.sweep(sweepId), sk: keys.summary }, sweepRow)
  }

  /**
   * Claims an account for this sweep. Succeeds once per account, unless an earlier claim's lease ran
   * out without the account being done (its invocation died): then the account is taken over.
   */
  claimAccount(sweepId: string, accountId: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.table.putIf(
      {
        pk: keys.sweep(sweepId),
        sk: keys.sweepAccount(accountId),
        accountId,
        state: 'claimed',
        leaseExpiresAt: now.getTime() + leaseMs,
      },
      {
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND leaseExpiresAt < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.getTime() },
      },
    )
  }

  completeAccount(sweepId: string, outcome: AccountOutcome): Promise<void> {
    return this.table.put({
      pk: keys.sweep(sweepId),
      sk: keys.sweepAccount(outcome.accountId),
      state: 'done',
      leaseExpiresAt: 0,
      ...outcome,
    })
  }

  accounts(sweepId: string): Promise<SweepAccountRow[]> {
    return this.table.queryParsed<SweepAccountRow>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': keys.sweep(sweepId), ':sk': 'ACCOUNT#' },
      },
      sweepAccountRow,
    )
  }

  recordContinuation(sweepId: string, cursor: string[], jobDurationsMs: number[]): Promise<void> {
    return this.table.update(
      { pk: keys.sweep(sweepId), sk: keys.summary },
      {
        UpdateExpression: 'SET #cursor = :c, jobDurationsMs = :d, invocations = invocations + :one',
        ExpressionAttributeNames: { '#cursor': 'cursor' },
        ExpressionAttributeValues: { ':c': cursor, ':d': jobDurationsMs, ':one': 1 },
      },
    )
  }

  /** Marks the sweep finished; only the first caller succeeds, so the digest goes out once. */
  finish(summary: CompletedSweep): Promise<boolean> {
    return this.table.putIf(this.summaryItem(summary), {
      ConditionExpression: 'attribute_exists(pk) AND #status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':running': 'running' },
    })
  }

  /** The last sweeps, newest first. */
  recent(limit: number): Promise<SweepSummary[]> {
    return this.table.queryPage<SweepSummary>(
      {
        IndexName: STATE_TABLE.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.sweeps },
        ScanIndexForward: false,
        Limit: limit,
      },
      sweepRow,
    )
  }

  private summaryItem(summary: SweepSummary) {
    return {
      pk: keys.sweep(summary.sweepId),
      sk: keys.summary,
      gsi1pk: keys.sweeps,
      gsi1sk: `${summary.startedAt}#${summary.sweepId}`,
      ...summary,
    }
  }
}
