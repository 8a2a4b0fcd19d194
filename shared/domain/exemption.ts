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
