/**
 * Notice before a new deny. A service that becomes deniable is first scheduled for a UTC day
 * NOTICE_DAYS ahead, and denied at the first enforce sweep on or after it, only if that sweep's own
 * complete report still shows it unused. People see it coming; the owner can react (use it, ask for an
 * exemption or a release) before anything is taken away.
 */

import type { Owner, ScheduledDeny } from './records.js'

const DAY_MS = 86_400_000

/** The UTC day of a time, as YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10)
}

/** The UTC day `days` after the day of `at`. */
export function daysAfter(at: Date, days: number): string {
  return dayOf(new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS + days * DAY_MS))
}

/**
 * Days after its day within which an onboarding schedule is still carried out as the onboarding
 * (unjudged by the brake). Later, held up by an unreachable account or a quota, it is an ordinary deny.
 */
export const ONBOARDING_GRACE_DAYS = 2

/**
 * The denies a decision newly announces, each with its day and the last use it was judged on. A key
 * announced with no notice is a planner's fault, said here instead of recorded as a day that is none.
 */
export function newNotices(
  newly: readonly string[] | undefined,
  scheduled: Readonly<Record<string, ScheduledDeny>> | undefined,
): { key: string; on: string; lastUsed?: string }[] {
  return (newly ?? []).map((key) => {
    const notice = scheduled?.[key]
    if (!notice) throw new Error(`${key} is announced with no notice on record`)
    return { key, on: notice.on, ...(notice.lastUsed ? { lastUsed: notice.lastUsed } : {}) }
  })
}

/** Whether a deny carried out now counts as the account's onboarding: on its day, or just after. */
export function asOnboarding(scheduled: ScheduledDeny, now: Date): boolean {
  return (
    scheduled.onboarding === true &&
    isDue(scheduled, now) &&
    dayOf(now) <= daysAfter(new Date(`${scheduled.on}T00:00:00Z`), ONBOARDING_GRACE_DAYS)
  )
}

/** Whether a scheduled deny is due at `now`: its day has come. */
export function isDue(scheduled: ScheduledDeny, now: Date): boolean {
  return scheduled.on <= dayOf(now)
}

/** The earliest day among a user's scheduled denies, if any. */
export function nextScheduledDay(
  scheduled: Readonly<Record<string, ScheduledDeny>> | undefined,
): string | undefined {
  return Object.values(scheduled ?? {})
    .map((s) => s.on)
    .sort()[0]
}

/** One scheduled deny of one user, as `audit scheduled` lists them. */
export interface ScheduledRow {
  accountId: string
  userName: string
  service: string
  on: string
  since: string
  onboarding: boolean
}

/** Each user's scheduled denies (due on or before `until`, when given), soonest first. */
export function scheduledDenies(
  users: readonly {
    accountId: string
    userName: string
    scheduled?: Record<string, ScheduledDeny> | undefined
  }[],
  until?: string,
): ScheduledRow[] {
  return users
    .flatMap((u) =>
      Object.entries(u.scheduled ?? {}).map(([service, s]) => ({
        accountId: u.accountId,
        userName: u.userName,
        service,
        on: s.on,
        since: s.since,
        onboarding: s.onboarding === true,
      })),
    )
    .filter((row) => until === undefined || row.on <= until)
    .sort(
      (a, b) =>
        a.on.localeCompare(b.on) ||
        a.accountId.localeCompare(b.accountId) ||
        a.userName.localeCompare(b.userName) ||
        a.service.localeCompare(b.service),
    )
}

/**
 * A Slack member id as Slack issues them (`U…` or `W…`, upper-case letters and digits). Anything else in
 * the owner tag is reported as malformed and never put in a message: a tag value is the user's to set.
 */
const MEMBER_ID = /^[UW][A-Z0-9]{2,20}$/

/** The owner named by the user's tag `tagKey`, when the user carries it. */
export function ownerOf(
  tags: Readonly<Record<string, string>>,
  tagKey: string | undefined,
): Owner | undefined {
  if (!tagKey) return undefined
  const value = tags[tagKey]
  if (value === undefined) return undefined
  return MEMBER_ID.test(value) ? { memberId: value } : { malformed: true }
}
