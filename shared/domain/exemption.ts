import type { Exemption, UserState } from './records.js'
import type { IamUser } from './types.js'

/**
 * An exemption rule: a user carrying tag `key` (matched exactly, as IAM tag keys are case-sensitive)
 * is exempt when `values` is absent or the tag's value equals one of them ignoring case
 * (so `true`, `True` and `TRUE` all count).
 */
export interface ExemptionTag {
  key: string
  values?: readonly string[] | undefined
}

/** Returns the rule that exempts the user, written as `key=value`, or undefined. */
export function exemptionFor(user: IamUser, rules: readonly ExemptionTag[]): string | undefined {
  for (const rule of rules) {
    const value = user.tags[rule.key]
    if (value === undefined) continue
    if (!rule.values || rule.values.some((v) => v.toLowerCase() === value.toLowerCase())) {
      return `${rule.key}=${value}`
    }
  }
  return undefined
}

const DAY_MS = 86_400_000

/** A user younger than the window has not had the chance to use what they were given. */
export function isTooYoung(user: IamUser, now: Date, windowDays: number): boolean {
  return now.getTime() - user.createDate.getTime() < windowDays * DAY_MS
}

/** The end date of an exemption that lasts until an operator lifts it (`exemptions revoke`). */
export const UNTIL_LIFTED = '9999-12-31T00:00:00.000Z'

/**
 * Whether an exemption is this user's. It follows the UserId it was granted to: taking that user's name
 * by a rename, or reusing a deleted user's name, gets nothing. Rows from before the UserId was kept, or
 * a user whose UserId is not known, match by name (IAM compares names ignoring case).
 */
export function isExemptionOf(
  exemption: Exemption,
  user: { name: string; id?: string | undefined },
  legacyResolved = false,
): boolean {
  if (exemption.userId && user.id) return exemption.userId === user.id
  if (!exemption.userId && legacyResolved) return false
  return exemption.userName.toLowerCase() === user.name.toLowerCase()
}

/** The exemptions in force for a user now; expired ones are ignored even before TTL removes them. */
export function activeExemptions(
  user: { name: string; id: string },
  records: {
    exemptions: readonly Exemption[]
    account?: { legacyResolvedAt?: string | undefined } | undefined
  },
  now: Date,
): { exemptServices: string[]; exemptUntil?: string } {
  const resolved = records.account?.legacyResolvedAt !== undefined
  const live = records.exemptions.filter(
    (e) => isExemptionOf(e, user, resolved) && Date.parse(e.until) > now.getTime(),
  )
  const whole = live
    .filter((e) => !e.service)
    .map((e) => e.until)
    .sort()
    .at(-1)
  return {
    exemptServices: [...new Set(live.flatMap((e) => (e.service ? [e.service] : [])))].sort(),
    ...(whole ? { exemptUntil: whole } : {}),
  }
}

/** The recorded users as the plan finds them: by UserId, else (rows from before it was kept) by name. */
export interface RecordedUsers {
  users: ReadonlyMap<string, UserState>
  usersById: ReadonlyMap<string, UserState>
  account?: { legacyResolvedAt?: string | undefined } | undefined
}

/**
 * The recorded state of an IAM user, found by its UserId. A row from before the UserId was kept is
 * matched by name; a row naming another UserId belongs to a deleted user whose name was reused.
 */
export function recordedStateOf(
  records: RecordedUsers,
  user: { name: string; id: string },
): UserState | undefined {
  const byId = records.usersById.get(user.id)
  if (byId) return byId
  // A row without a UserId is read by name only until the account's old rows are resolved.
  if (records.account?.legacyResolvedAt) return undefined
  const byName = records.users.get(user.name)
  return byName && byName.userId === undefined ? byName : undefined
}
