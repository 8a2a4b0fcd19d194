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
   * one lease (a long CLI rollback, a large account) is never taken over, and gives it back after. A
   * renewal only ever extends this holder's own row: once another writer took the account over (this
   * one was frozen past its lease), `lost()` turns true for good and the work must stop writing.
   */
  async hold<T>(
    accountId: string,
    holder: string,
    now: () => Date,
    leaseMs: number,
    work: (lost: () => boolean) => Promise<T>,
  ): Promise<{ held: true; result: T } | { held: false; heldBy: string; until: string }> {
    const taken = await this.acquire(accountId, holder, now(), leaseMs)
    if (!taken.acquired) return { held: false, heldBy: taken.heldBy, until: taken.until }
    let lost = false
    // On this process's own monotonic clock: past the lease with no renewal, the lock may be someone
    // else's, whatever the table would say (a table unreachable for a lease counts as lost).
    let renewedAt = performance.now()
    let renewing: Promise<void> = Promise.resolve()
    const renewal = setInterval(() => {
      const asked = performance.now()
      renewing = this.renew(accountId, holder, now(), leaseMs).then(
        (kept) => {
          if (kept) renewedAt = asked
          else lost = true
        },
        () => undefined, // a failed call is not yet a lost lock: the deadline decides
      )
    }, leaseMs / 3)
    renewal.unref()
    const isLost = () => lost || performance.now() - renewedAt > leaseMs * 0.9
    try {
      return { held: true, result: await work(isLost) }
    } finally {
      clearInterval(renewal)
      await renewing // a renewal in flight must not outlive the release
      if (!isLost()) await this.release(accountId, holder)
    }
  }

  /** Extends this holder's lease; false when the row is gone or another holder's. Never creates one. */
  private async renew(accountId: string, holder: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.table.updateIf(
      { pk: keys.lock(accountId), sk: keys.lockRow },
      {
        UpdateExpression: 'SET leaseExpiresAt = :until',
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: { ':until': now.getTime() + leaseMs, ':holder': holder },
      },
    )
  }

  /** Who holds the account's lock now, if anyone. */
  async holderOf(accountId: string): Promise<string | undefined> {
    const row = await this.table.raw({ pk: keys.lock(accountId), sk: keys.lockRow })
    return row ? String(row.holder) : undefined
  }

  /** Gives the lock back, if this holder still has it. */
  async release(accountId: string, holder: string): Promise<void> {
    await this.table.deleteIf(
      { pk: keys.lock(accountId), sk: keys.lockRow },
      { ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } },
    )
  }
}
