/**
 * An account's credentials at once, from its credential report: whom to look at live (the few whose
 * report shows a credential quiet for the window, or who have a credential of ours on record), the
 * share of users meeting Security Hub's IAM.8 and IAM.22, and the brake on mass deactivation.
 */

import { activeExemptions, type ExemptionTag, exemptionFor, recordedStateOf } from '../exemption.js'
import { dayOf } from '../notice.js'
import type { CredentialState, Exemption, StoredReport, UserState } from '../records.js'
import type { IamUser } from '../types.js'
import { type DeletionRule, deletionDue } from './deletion.js'
import { CREDENTIAL_SERVICES, judge, type LiveCredential, quietSince, SSH_KEY_SERVICE } from './judge.js'
import type { CredentialReport, ReportRow } from './report.js'

const DAY_MS = 86_400_000

export interface CredentialSurvey {
  /** Users whose credentials are read live and judged. */
  lookAt: IamUser[]
  /** Those of them whose SSH keys and service-specific credentials are listed too (by UserId). */
  proxied: Set<string>
  /** Active keys and passwords in the account: the brake's measure. */
  active: number
  /** Active credentials quiet across a tracking gap: never judged unused, left to a person. */
  unknown: number
  compliance: { users: number; iam8: number; iam22: number }
}

/** The report's row of a listed user: by ARN, and only if it is that user (a re-created one is not). */
export function rowsByUser(report: readonly ReportRow[], users: readonly IamUser[]): Map<string, ReportRow> {
  const byHead = new Map(report.map((r) => [r.head, r]))
  const rows = new Map<string, ReportRow>()
  for (const user of users) {
    const row = byHead.get(`${user.name},${user.arn}`)
    if (row && Math.abs(Date.parse(row.userCreatedAt) - user.createDate.getTime()) < 1_000)
      rows.set(user.id, row)
  }
  return rows
}

export function survey(input: {
  report: CredentialReport
  users: readonly IamUser[]
  rows: readonly CredentialState[]
  /** Each user's last Access Advisor report, and the sweep's id: SSH keys and service credentials go by it. */
  reports: ReadonlyMap<string, StoredReport>
  sweepId: string
  /** CREDENTIALS_BY_SERVICE: new SSH keys and service credentials are judged (ours are followed anyway). */
  byService: boolean
  windowDays: number
  /** Deletion as the sweep may do it today (deletion.ts): keys of ours it concerns are looked at. */
  deletion?: Omit<DeletionRule, 'now'>
  now: Date
}): CredentialSurvey {
  const { now, windowDays } = input
  const reported = rowsByUser(input.report.rows, input.users)
  const lookAt: IamUser[] = []
  const proxied = new Set<string>()
  let active = 0
  let unknown = 0
  const compliance = { users: 0, iam8: 0, iam22: 0 }
  for (const user of input.users) {
    const row = reported.get(user.id)
    // A key we deleted is gone from IAM: matched by its creation, it could stand for a sibling made that
    // second. One whose deletion is unconfirmed is still looked at.
    const ours = input.rows.filter((r) => r.userId === user.id && (r.status !== 'deleted' || r.unconfirmed))
    // A report made before our change still lists the credential active: it is not, since.
    const changed = (c: ReportCredential) =>
      ours.some(
        (r) => r.status === 'deactivated' && r.since > input.report.generatedAt && sameCredential(r, c),
      )
    const creds = row ? activeOf(row).filter((c) => !changed(c)) : []
    active += creds.length
    if (row) {
      compliance.users++
      const quietFor = (days: number) =>
        creds.some((c) => Date.parse(quietSince(c)) <= now.getTime() - days * DAY_MS)
      if (!quietFor(90)) compliance.iam8++
      if (!quietFor(45)) compliance.iam22++
    }
    // The report has no IDs: a credential is matched to ours by its creation. One announced or changed
    // by us is followed through its row (needsLook); one whose window restarted is judged from then.
    const verdicts = creds.map((c) => {
      const mine = ours.find((r) => sameCredential(r, c))
      if (mine && mine.status !== 'restarted') return 'ours'
      return judge(c, windowDays, now, mine?.windowFrom).kind
    })
    // A signing certificate has no last use anywhere in IAM: never judged, always told as unknown.
    unknown += verdicts.filter((v) => v === 'unknown').length + (row?.certificates ?? 0)
    const quiet = verdicts.includes('unused')
    const others = listsOthers(ours, input.reports.get(user.id), input)
    if (others) proxied.add(user.id)
    const due = (r: CredentialState) =>
      input.deletion !== undefined && deletionDue(r, { ...input.deletion, now })
    if (others || quiet || ours.some((r) => due(r) || needsLook(r, creds, input.report.generatedAt, now)))
      lookAt.push(user)
  }
  return { lookAt, proxied, active, unknown, compliance }
}

/**
 * Whether a user's SSH keys and service-specific credentials are listed today: when their Access Advisor
 * report, read in this sweep, shows a service such credentials are for granted and quiet for the window,
 * and whenever one of theirs is on record. Two calls for the few users it concerns, instead of two for
 * every user every day.
 */
function listsOthers(
  ours: readonly CredentialState[],
  report: StoredReport | undefined,
  at: { sweepId: string; byService: boolean; windowDays: number; now: Date },
): boolean {
  // One of ours on record is always followed: unlisted, it would look deleted.
  if (ours.some((r) => r.service !== undefined)) return true
  if (!at.byService || report?.sweepId !== at.sweepId) return false
  const start = at.now.getTime() - at.windowDays * DAY_MS
  return report.services.some(
    (s) =>
      PROXIED_SERVICES.has(s.namespace) && Date.parse(s.lastAuthenticated ?? '1970-01-01T00:00:00Z') <= start,
  )
}

/** The services SSH keys and service-specific credentials sign in to: the credential report shows neither. */
export const PROXIED_SERVICES: ReadonlySet<string> = new Set([
  ...Object.values(CREDENTIAL_SERVICES),
  SSH_KEY_SERVICE,
])

/**
 * An SSH key's or service-specific credential's last use is the user's last use of its service, from
 * their Access Advisor report read in this sweep (a request made with it is the user's, on that service).
 * Without such a report, or a row for the service (not granted), nothing tells: it is left unjudged.
 */
export function withServiceUse(
  live: readonly LiveCredential[],
  report: StoredReport | undefined,
  sweepId: string,
): LiveCredential[] {
  return live.map((c) => {
    if (!c.service) return c
    const row =
      report?.sweepId === sweepId ? report.services.find((s) => s.namespace === c.service) : undefined
    if (!row) return { ...c, unjudged: true as const }
    return row.lastAuthenticated ? { ...c, lastUsed: row.lastAuthenticated } : c
  })
}

type ReportCredential = { kind: 'access-key' | 'password'; createdAt: string; lastUsed?: string }

function activeOf(row: ReportRow): ReportCredential[] {
  const keys = row.keys
    .filter((k) => k.active)
    .map((k) => ({
      kind: 'access-key' as const,
      createdAt: k.createdAt,
      ...(k.lastUsed ? { lastUsed: k.lastUsed } : {}),
    }))
  if (!row.password) return keys
  // The report has no creation time for a password (`password_last_changed` moves with every change,
  // which needs no sign-in): the user's own creation stands in, so the report never hides a quiet one.
  const createdAt = row.userCreatedAt
  const lastUsed = row.password.lastUsed
  return [...keys, { kind: 'password', createdAt, ...(lastUsed ? { lastUsed } : {}) }]
}

const sameCredential = (row: CredentialState, c: ReportCredential) =>
  row.kind === c.kind &&
  (c.kind === 'password' || Math.abs(Date.parse(c.createdAt) - Date.parse(row.createdAt)) < 1_000)

/**
 * A credential of ours on record is looked at live when something is due or may have changed: a
 * schedule on its day, or one the report shows used (or gone) since it was announced; one we changed
 * that the report shows back in use. A report made before our row says nothing about what came after.
 */
function needsLook(
  row: CredentialState,
  active: readonly ReportCredential[],
  generatedAt: string,
  now: Date,
): boolean {
  if (row.unconfirmed) return true
  if (row.status === 'restarted' || row.status === 'deleted') return false
  const fresh = generatedAt > row.since
  const seen = active.find((c) => sameCredential(row, c))
  if (row.status === 'deactivated') return fresh && seen !== undefined
  if (row.on !== undefined && row.on <= dayOf(now)) return true
  return fresh && (!seen || (seen.lastUsed ?? '') > row.since)
}

/**
 * Whether a user's credentials are left alone: an operator's exemption of the whole user, a name on the
 * never-deactivate list, or an exemption tag the sweep honoured, but only while the user has no
 * credential of ours announced or changed: a tag set after that is a request, never a lift.
 */
export function credentialsExempt(
  user: IamUser,
  records: {
    users: ReadonlyMap<string, UserState>
    usersById: ReadonlyMap<string, UserState>
    exemptions: readonly Exemption[]
    account?: { legacyResolvedAt?: string | undefined } | undefined
  },
  rules: { exemptTags: readonly ExemptionTag[]; neverDeactivate: readonly string[] },
  ours: readonly CredentialState[],
  now: Date,
): boolean {
  if (activeExemptions(user, records, now).exemptUntil) return true
  if (rules.neverDeactivate.some((n) => n.toLowerCase() === user.name.toLowerCase())) return true
  const tag = exemptionFor(user, rules.exemptTags)
  // A key we deleted is history: it leaves nothing of ours for a tag to ask about.
  if (!tag || ours.some((r) => r.status !== 'restarted' && r.status !== 'deleted')) return false
  return recordedStateOf(records, user)?.honouredTag === tag
}

/**
 * Deactivating a large share of an account's active credentials in one sweep is not a day's drift: a
 * wrong clock, a wrong reply, or a compromised hub. It is held until an operator confirms.
 */
export function credentialBrake(
  changes: { deactivations: number; deletions: number; active: number },
  settings: { maxCredentialShare: number; minCredentials: number },
): string | undefined {
  // A deleted key is one more credential taken away, out of those it is taken from.
  const taken = changes.deactivations + changes.deletions
  const of = changes.active + changes.deletions
  // None active on the record (every one an SSH key, say) and some to deactivate: all of them.
  const share = of ? taken / of : taken > 0 ? 1 : 0
  if (taken < settings.minCredentials || share <= settings.maxCredentialShare) return undefined
  const percent = `(${Math.round(share * 100)}%)`
  const what = changes.deletions
    ? `credentials ${percent} would be taken away at once (${changes.deletions} inactive keys deleted)`
    : `active credentials ${percent} would be deactivated at once`
  return `${taken} of ${of} ${what}, above ${Math.round(settings.maxCredentialShare * 100)}%`
}
