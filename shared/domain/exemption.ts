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

/** An operator's time-limited exemption of a user, or of one service for that user. */
export interface TemporaryExemption {
  userName: string
  /** The UserId it was granted to; absent in rows written before it was kept (matched by name). */
  userId?: string
  service?: string
  until: string
}

/** The exemptions in force for a user now; expired ones are ignored even before TTL removes them. */
export function activeExemptions(
  user: { name: string; id: string },
  exemptions: readonly TemporaryExemption[],
  now: Date,
): { exemptServices: string[]; exemptUntil?: string } {
  // An exemption follows the UserId it was granted to: taking that user's name by a rename gets nothing.
  const isFor = (e: TemporaryExemption) =>
    e.userId ? e.userId === user.id : e.userName.toLowerCase() === user.name.toLowerCase()
  const live = exemptions.filter((e) => isFor(e) && Date.parse(e.until) > now.getTime())
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
