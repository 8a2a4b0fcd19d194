/**
 * Users the credential report proves quiet since their stored Access Advisor report was read: nothing
 * they could sign a request with was used late enough to be missing from that report, so a fresh read
 * would say what the stored one says. Such a user's refresh read is skipped (report-reuse.ts); a read the
 * plan calls for (a deny to add, grants changed) is never skipped.
 *
 * The margins (README, "Fewer Access Advisor reads, from the same report", has the sources):
 * - Access Advisor shows activity "usually" within 4 hours: a day is allowed, since a use missing from
 *   the stored report is exactly what a skipped read would have found.
 * - A key's last use is the last request it signed. AWS does not say that requests made with session
 *   credentials it obtained (GetSessionToken, GetFederationToken) count, and such sessions last up to
 *   36 hours.
 * - A console session lasts 12 hours after the password's last use (the sign-in).
 * - IAM records a key's use once per 15 minutes (a password's once per 5): a last use may be that early.
 *
 * What the report cannot show keeps a user from being quiet: an active signing certificate (no last use in
 * IAM), a grant of a service that takes SSH keys or service-specific credentials (they are not in the
 * report), a key or password on record at the read that is gone or replaced now (used, then deleted), and
 * a report that lists the user twice, is dated ahead of the sweep, or is hours old.
 */
import type { StoredReport } from '../records.js'
import type { IamUser } from '../types.js'
import { PROXIED_SERVICES, rowsByUser } from './account.js'
import { type CredentialReport, type ReportRow, reportIsCurrent } from './report.js'

const HOUR_MS = 3_600_000
const ADVISOR_LAG_MS = 24 * HOUR_MS
const KEY_SESSION_MS = 36 * HOUR_MS
const CONSOLE_SESSION_MS = 12 * HOUR_MS
const RECORDING_GRAIN_MS = HOUR_MS / 4

/**
 * What the user could sign with, as the report lists it: each access key and the password, by their
 * creation (a password's last change: a new one is a new mark). Kept with a stored report; one gone by
 * the next report may have been used before it went.
 */
function credentialMarks(row: ReportRow): string[] {
  const password = row.password ? [`password:${row.password.changedAt ?? 'unknown'}`] : []
  return [...row.keys.map((k) => `key:${k.createdAt}`), ...password]
}

/** Each listed user's marks in the report, by UserId (users the report does not show are left out). */
export function marksByUser(report: CredentialReport, users: readonly IamUser[]): Map<string, string[]> {
  const rows = rowsByUser(report.rows, users)
  return new Map([...rows].map(([id, row]) => [id, credentialMarks(row)]))
}

/** The UserIds whose stored report a fresh read could not change, by the report's word. */
export function quietUsers(input: {
  report: CredentialReport
  users: readonly IamUser[]
  reports: ReadonlyMap<string, StoredReport>
  now: Date
}): Set<string> {
  const quiet = new Set<string>()
  // A report dated ahead of the sweep is no report of IAM's; one much older leaves too many hours unseen.
  if (!reportIsCurrent(input.report, input.now)) return quiet
  const rows = rowsByUser(input.report.rows, input.users)
  // Two rows under one user's name and ARN: which one is theirs cannot be told.
  const heads = new Map<string, number>()
  for (const r of input.report.rows) heads.set(r.head, (heads.get(r.head) ?? 0) + 1)
  for (const user of input.users) {
    const row = rows.get(user.id)
    const stored = input.reports.get(user.id)
    if (!row || !stored || heads.get(row.head) !== 1) continue
    if (quietSinceRead(row, stored, input.report.generatedAt)) quiet.add(user.id)
  }
  return quiet
}

function quietSinceRead(row: ReportRow, stored: StoredReport, generatedAt: string): boolean {
  const readAt = Date.parse(stored.readAt)
  // A report made before the read knows nothing of what came after it.
  if (!(Date.parse(generatedAt) > readAt)) return false
  // Missing data never means quiet: a report kept without marks, or a report that cannot tell certificates.
  if (!stored.credentials || row.certificates !== 0) return false
  const marks = credentialMarks(row)
  if (marks.includes('password:unknown')) return false
  const now = new Set(marks)
  if (!stored.credentials.every((mark) => now.has(mark))) return false
  if (stored.services.some((s) => PROXIED_SERVICES.has(s.namespace))) return false
  const before = (at: string | undefined, margin: number) =>
    at === undefined || Date.parse(at) < readAt - margin
  return (
    row.keys.every((k) => before(k.lastUsed, KEY_SESSION_MS + RECORDING_GRAIN_MS + ADVISOR_LAG_MS)) &&
    before(row.lastSignIn, CONSOLE_SESSION_MS + RECORDING_GRAIN_MS + ADVISOR_LAG_MS)
  )
}
