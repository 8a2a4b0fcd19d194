import type { LockAttempt, AccountLocks as Locks } from '../../ports.js'
import type { StateTable } from './table.js'
import { keys } from './table-shape.js'

/**
 * One lock per account, shared by every writer (sweeps, release, rollback), with a lease so that a
 * writer that died does not hold the account for good. Two writers never interleave their IAM writes and
 * state rows in one account: the second is told who holds it and until when.
 */
export class AccountLocks implements Locks {
  constructor(private readonly table: StateTable) {}

  /** Takes the account's lock for `holder`; false (with the current holder) when someone else has it. */
  async acquire(accountId: string, holder: string, now: Date, leaseMs: number): Promise<LockAttempt> {
    const acquired = await this.table.putIf(
      { pk: keys.lock(accountId), sk: keys.lockRow, holder, leaseExpiresAt: now.getTime() + leaseMs },
      {
        // A lease that is not a number (a damaged row) holds nothing: it would otherwise hold for good.
        ConditionExpression:
          'attribute_not_exists(pk) OR NOT attribute_type(leaseExpiresAt, :number) OR leaseExpiresAt < :now OR holder = :holder',
        ExpressionAttributeValues: { ':now': now.getTime(), ':holder': holder, ':number': 'N' },
      },
    )
    if (acquired) return { acquired: true }
    const current = await this.table.raw({ pk: keys.lock(accountId), sk: keys.lockRow })
    const lease = Number(current?.leaseExpiresAt)
    return {
      acquired: false,
      heldBy: String(current?.holder ?? 'unknown'),
      until: Number.isFinite(lease) ? new Date(lease).toISOString() : String(current?.leaseExpiresAt),
    }
  }

  /** Extends this holder's lease; false when the row is gone or another holder's. Never creates one. */
  async renew(accountId: string, holder: string, now: Date, leaseMs: number): Promise<boolean> {
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
