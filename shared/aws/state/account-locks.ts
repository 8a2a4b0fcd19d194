import { keys } from '../state-table.js'
import type { StateTable } from './table.js'

/**
 * One lock per account, shared by every writer (sweeps, release, rollback), with a lease so that a
 * writer that died does not hold the account for good. Two writers never interleave their IAM writes and
 * state rows in one account: the second is told who holds it and until when.
 */
export class AccountLocks {
  constructor(private readonly table: StateTable) {}

  /** Takes the account's lock for `holder`; false (with the current holder) when someone else has it. */
  async acquire(
    accountId: string,
    holder: string,
    now: Date,
    leaseMs: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: string; until: string }> {
    const acquired = await this.table.putIf(
      { pk: keys.lock(accountId), sk: keys.lockRow, holder, leaseExpiresAt: now.getTime() + leaseMs },
      {
        ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAt < :now OR holder = :holder',
        ExpressionAttributeValues: { ':now': now.getTime(), ':holder': holder },
      },
    )
    if (acquired) return { acquired: true }
    const current = await this.table.raw({ pk: keys.lock(accountId), sk: keys.lockRow })
    return {
      acquired: false,
      heldBy: String(current?.holder ?? 'unknown'),
      until: new Date(Number(current?.leaseExpiresAt ?? 0)).toISOString(),
    }
  }

  /**
   * Runs `work` under the account's lock, renewing the lease every third of it so that work longer than
   * one lease (a long CLI rollback, a large account) is never taken over, and gives it back after.
   */
  async hold<T>(
    accountId: string,
    holder: string,
    now: () => Date,
    leaseMs: number,
    work: () => Promise<T>,
  ): Promise<{ held: true; result: T } | { held: false; heldBy: string; until: string }> {
    const taken = await this.acquire(accountId, holder, now(), leaseMs)
    if (!taken.acquired) return { held: false, heldBy: taken.heldBy, until: taken.until }
    const renewal = setInterval(() => {
      this.acquire(accountId, holder, now(), leaseMs).catch(() => undefined) // the next tick tries again
    }, leaseMs / 3)
    renewal.unref()
    try {
      return { held: true, result: await work() }
    } finally {
      clearInterval(renewal)
      await this.release(accountId, holder)
    }
  }

  /** Gives the lock back, if this holder still has it. */
  async release(accountId: string, holder: string): Promise<void> {
    await this.table.deleteIf(
      { pk: keys.lock(accountId), sk: keys.lockRow },
      { ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } },
    )
  }
}
