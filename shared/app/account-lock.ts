import type { AccountLocks } from '../ports.js'

export type Held<T> = { held: true; result: T } | { held: false; heldBy: string; until: string }

/**
 * Runs `work` under the account's lock, renewing the lease every third of it so that work longer than
 * one lease (a long rollback, a large account) is never taken over, and gives it back after. A renewal
 * only ever extends this holder's own lock: once another writer took the account over (this one was
 * frozen past its lease), `lost()` turns true for good and the work must stop writing.
 */
export async function holdLock<T>(
  locks: AccountLocks,
  lease: { accountId: string; holder: string; now: () => Date; leaseMs: number },
  work: (lost: () => boolean) => Promise<T>,
): Promise<Held<T>> {
  const { accountId, holder, now, leaseMs } = lease
  const taken = await locks.acquire(accountId, holder, now(), leaseMs)
  if (!taken.acquired) return { held: false, heldBy: taken.heldBy, until: taken.until }
  let lost = false
  // On this process's own monotonic clock: past the lease with no renewal, the lock may be someone
  // else's, whatever the table would say (a table unreachable for a lease counts as lost).
  let renewedAt = performance.now()
  let renewing: Promise<void> = Promise.resolve()
  const renewal = setInterval(() => {
    const asked = performance.now()
    renewing = locks.renew(accountId, holder, now(), leaseMs).then(
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
    if (!isLost()) await locks.release(accountId, holder)
  }
}
