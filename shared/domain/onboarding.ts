import type { AccountState, UserState } from './records.js'

/** Statuses only an enforce sweep or an operator's lift leaves on a user. */
const ENFORCE_ONLY: ReadonlySet<string> = new Set([
  'enforced',
  'braked',
  'quota-blocked',
  'released',
  'rolled-back',
])

/**
 * No enforce sweep has reached the account yet: no record of it, and no user with a deny now or before
 * or a status only enforcement leaves (accounts swept before the record was kept, or by an older
 * version, are known that way). The account plan also requires that no policy of ours is in it.
 */
export function isNewToEnforcement(records: {
  account?: AccountState | undefined
  users: ReadonlyMap<string, UserState>
}): boolean {
  if (records.account?.enforcedSince) return false
  for (const user of records.users.values())
    if (user.denied.length > 0 || user.pastDenies || ENFORCE_ONLY.has(user.status)) return false
  return true
}
