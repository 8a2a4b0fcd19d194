import type { SweepReport } from '../../shared/app/org-sweep.js'
import { serviceOf } from '../../shared/domain/actions/keys.js'
import { credentialLabel } from '../../shared/domain/credentials/judge.js'
import { countsText, exemptCommand, grantCommand, releaseCommand } from '../../shared/domain/digest.js'
import type { ScheduledRow } from '../../shared/domain/notice.js'
import type {
  AccountOutcome,
  AccountState,
  ChangeRecord,
  CredentialState,
  Exemption,
  StoredReport,
  SweepAccountRow,
  SweepSummary,
  UserState,
} from '../../shared/domain/records.js'

import { cut, list, table } from './table.js'

/**
 * One row per account, then why each braked, failed or unreachable one is so, on lines of their own
 * under the table: a reason holds ARNs, which no column narrow enough for a terminal could keep whole.
 */
function accountRows(accounts: readonly AccountOutcome[], mode: string): string {
  const sorted = [...accounts].sort((a, b) => a.accountId.localeCompare(b.accountId))
  const rows = sorted.map((a) => [
    a.accountId,
    a.brake ? 'braked' : a.outcome,
    a.users,
    countsText(a.counts),
    a.writes,
    a.usersScheduled ?? 0,
    credentialsText(a.credentials, mode),
  ])
  const reasons = sorted.flatMap((a) => {
    const why = a.brake ? `brake: ${a.brake}` : a.reason
    return why ? [`${a.accountId} ${a.brake ? 'braked' : a.outcome}: ${why}`] : []
  })
  const heads = ['account', 'outcome', 'users', 'decisions', 'IAM writes', 'users scheduled', 'credentials']
  return [table(heads, rows, ['users scheduled', 'IAM writes', 'credentials']), ...reasons].join('\n')
}

/** `1 scheduled, 2 deactivated`, or why the account's credentials were left as they are. */
function credentialsText(c: AccountOutcome['credentials'], mode: string): string {
  if (!c) return ''
  if (c.failed) return `not judged: ${cut(c.failed, 60)}`
  const counts = Object.entries(c.totals).flatMap(([k, n]) => (n ? [`${n} ${k}`] : []))
  const text = [
    ...counts,
    ...(c.unknown ? [`${c.unknown} unknown`] : []),
    ...(c.held ? ['held by the brake'] : []),
  ]
  const shown = mode === 'plan' && counts.length > 0 ? `would be: ${text.join(', ')}` : text.join(', ')
  const met = c.compliance
    ? `IAM.8 ${c.compliance.iam8}/${c.compliance.users}, IAM.22 ${c.compliance.iam22}/${c.compliance.users}`
    : ''
  return [shown, met].filter(Boolean).join('; ')
}

export function sweepTable(report: SweepReport): string {
  const head = `sweep ${report.sweepId} (${report.mode}): ${report.status}`
  const totals = report.summary
    ? `\n${report.summary.accountsSwept} swept, ${report.summary.accountsUnreachable} unreachable, ${report.summary.accountsFailed} failed in ${report.summary.durationMs} ms${Object.keys(report.summary.counts).length > 0 ? ` — ${countsText(report.summary.counts)}` : ''}\n${report.summary.iamCalls ?? 0} IAM calls (${report.summary.iamThrottled ?? 0} throttled); ${report.summary.readsSkipped ?? 0} Access Advisor reads skipped (stored reports)`
    : ''
  return `${head}\n${accountRows(report.accounts, report.mode)}${totals}`
}

/** One sweep as recorded: its summary line, then each account done so far. */
export function sweepDetail(sweep: SweepSummary, accounts: readonly SweepAccountRow[]): string {
  const state =
    sweep.status === 'completed'
      ? `completed in ${sweep.durationMs} ms: ${countsText(sweep.counts)}`
      : sweep.status === 'stalled'
        ? `stalled at ${sweep.stalledAt}: ${sweep.reason}`
        : `running, last sign of life ${sweep.heartbeatAt ?? sweep.startedAt}`
  // Short lines: a terminal must not wrap through an ID or a time.
  return [
    `sweep ${sweep.sweepId} (${sweep.mode}, ${sweep.trigger})`,
    `started ${sweep.startedAt}, ${sweep.invocations} invocation(s)`,
    state,
    `${accounts.length} of ${sweep.accountCount} accounts done`,
    accountRows(accounts, sweep.mode),
  ].join('\n')
}

/** When each granted service was first seen: the start of its window. */
/**
 * Where a user stands on each service and action: its last use as the last report read it, when it was
 * first seen, and whether it is denied (since when), scheduled (for which day) or kept. Actions are
 * listed when used or when denied or scheduled; the rest of a kept service's actions are simply kept.
 */
export function usageTable(user: UserState, report: StoredReport | undefined): string {
  const lastUse = new Map<string, string>()
  for (const s of report?.services ?? []) {
    if (s.lastAuthenticated) lastUse.set(s.namespace, s.lastAuthenticated)
    for (const a of s.actions ?? []) lastUse.set(`${s.namespace}:${a.name}`, a.at)
  }
  // First-seen dates name the services, and the actions whose clock a release restarted.
  const keys = new Set([
    ...(report?.services ?? []).map((s) => s.namespace),
    ...lastUse.keys(),
    ...user.denied,
    ...Object.keys(user.scheduled ?? {}),
    ...Object.keys(user.firstSeen ?? {}),
  ])
  const standing = (key: string) => {
    if (user.denied.includes(key)) return `denied since ${user.deniedSince?.[key] ?? '(before records)'}`
    const notice = user.scheduled?.[key]
    return notice ? `scheduled for ${notice.on}` : 'kept'
  }
  // Kept and never used says nothing about this user's standing: counted, not listed (--json has them).
  const quiet = (key: string) => standing(key) === 'kept' && !lastUse.has(key) && !user.lastAttempts?.[key]
  const shown = [...keys].sort().filter((key) => !quiet(key))
  const rows = shown.map((key) => [
    key,
    lastUse.get(key) ?? (report ? 'not within 400 days' : 'no report read'),
    user.firstSeen?.[key] ?? user.firstSeen?.[serviceOf(key)] ?? '',
    standing(key),
    user.lastAttempts?.[key] ?? '',
  ])
  const left = keys.size - shown.length
  const read = report ? `last report read ${report.readAt}` : 'no report read yet'
  const more = left > 0 ? `; ${left} more kept and not used within 400 days (--json lists them)` : ''
  const heads = ['service or action', 'last use', 'first seen', 'standing', 'last attempt']
  return `${table(heads, rows, ['first seen', 'last attempt'])}\n${read}${more}`
}

export function usersTable(users: readonly UserState[]): string {
  return table(
    ['account', 'user', 'status', 'denied', 'next deny', 'reason', 'updated'],
    users.map((u) => [
      u.accountId,
      u.userName,
      u.status,
      list(u.denied),
      u.nextScheduled
        ? `${u.nextScheduled}: ${list(Object.keys(u.scheduled ?? {}).filter((ns) => u.scheduled?.[ns]?.on === u.nextScheduled))}`
        : '',
      cut(u.reason, 70),
      u.updatedAt,
    ]),
    ['updated', 'next deny', 'reason'],
  )
}

/**
 * Scheduled denies, soonest first, a row per user and day; then the commands that keep the services,
 * one per line below the table, where a terminal does not wrap them and they can be copied whole.
 */
export function scheduledTable(rows: readonly ScheduledRow[]): string {
  if (rows.length === 0) return 'no deny scheduled'
  const groups = new Map<string, ScheduledRow[]>()
  for (const r of rows) {
    const key = `${r.on}#${r.accountId}#${r.userName}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const users = [...groups.values()].map((group) => ({
    first: group[0] as ScheduledRow,
    services: group.map((r) => r.service),
  }))
  const overview = table(
    ['on', 'account', 'user', 'count', 'services', 'scheduled'],
    users.map(({ first, services }) => [
      first.on,
      first.accountId,
      first.userName,
      services.length,
      list(services, 6),
      `${first.since}${first.onboarding ? ' (onboarding)' : ''}`,
    ]),
    ['scheduled'],
  )
  // A few services are named; more (an action-level wave is hundreds) are one short command for all.
  const commands = users.flatMap(({ first, services }) =>
    services.length <= 3
      ? [
          `# ${first.userName} in ${first.accountId}, on ${first.on}: hold the denies off for 30 days, or lift them (their clocks restart)`,
          exemptCommand(first.accountId, first.userName, ...services),
          releaseCommand(first.accountId, first.userName, ...services),
        ]
      : [
          `# ${first.userName} in ${first.accountId}, on ${first.on}: cancel all ${services.length} (their clocks restart)`,
          `least-privilege release --account ${first.accountId} --user ${first.userName} --scheduled --reason "..." --enforce`,
        ],
  )
  return `${overview}\n\nTo keep the services:\n${commands.join('\n')}`
}

export function historyTable(changes: readonly ChangeRecord[]): string {
  return table(
    ['at', 'sweep', 'mode', 'status', 'added', 'removed', 'reason'],
    changes.map((c) => [
      c.at,
      c.sweepId,
      c.mode,
      c.previousStatus ? `${c.previousStatus} → ${c.status}` : c.status,
      list([
        ...c.added.map((a) => (a.scheduledOn ? `${a.namespace} (scheduled ${a.scheduledOn})` : a.namespace)),
        ...(c.scheduled ?? []).map((s) => `${s.namespace} on ${s.on}`),
        ...(c.credential
          ? [`${credentialLabel(c.credential)}${c.credential.on ? ` on ${c.credential.on}` : ''}`]
          : []),
      ]),
      list([
        ...c.removed.map((r) => r.namespace),
        ...(c.cancelled ?? []).map((x) => `${x.namespace} (${x.reason})`),
      ]),
      cut(c.reason, 60),
    ]),
    ['sweep', 'mode', 'removed'],
  )
}

/** Credentials of the project's, with when each is due or changed, and the evidence it was judged on. */
export function credentialsTable(rows: readonly CredentialState[], statuses: readonly string[]): string {
  if (rows.length === 0) return `no credential of the project is ${statuses.join(' or ')}`
  return table(
    ['account', 'user', 'credential', 'id', 'status', 'due', 'since', 'last used', 'created'],
    rows.map((r) => [
      r.accountId,
      r.userName,
      credentialLabel(r).replace(` ${r.credentialId}`, ''),
      r.credentialId,
      r.unconfirmed ? `${r.status} (unconfirmed: the next sweep finishes it)` : r.status,
      // A schedule's day, or the day a deactivated key's deletion was announced for.
      r.on ?? r.deleteOn ?? '',
      r.since,
      r.lastUsed ?? 'never',
      r.createdAt,
    ]),
    ['created', 'since', 'last used'],
  )
}

/** Accounts by reachability; each one's reason (it holds ARNs) on a line of its own under the table. */
export function accountsTable(accounts: readonly AccountState[]): string {
  const reasons = accounts.flatMap((a) => (a.reason ? [`${a.accountId} ${a.status}: ${a.reason}`] : []))
  return [
    table(
      ['account', 'status', 'since sweep', 'updated'],
      accounts.map((a) => [a.accountId, a.status, a.sweepId, a.updatedAt]),
      ['updated'],
    ),
    ...reasons,
  ].join('\n')
}

export function sweepsTable(sweeps: readonly SweepSummary[]): string {
  return table(
    ['sweep', 'mode', 'trigger', 'status', 'started', 'duration ms', 'accounts', 'unreachable', 'decisions'],
    sweeps.map((s) => [
      s.sweepId,
      s.mode,
      s.trigger,
      s.status === 'stalled' ? `stalled: ${s.reason}` : s.status,
      s.startedAt,
      s.status === 'completed' ? s.durationMs : '',
      s.accountCount,
      s.status === 'completed' ? s.accountsUnreachable : '',
      s.status === 'completed' ? countsText(s.counts) : '',
    ]),
    // The sweep id holds its start time; the rest is in `audit sweep ID`.
    ['trigger', 'duration ms', 'unreachable', 'accounts', 'started'],
  )
}

export function exemptionsTable(rows: readonly Exemption[]): string {
  if (rows.length === 0) return 'no exemption in force'
  return table(
    ['account', 'user', 'of', 'until', 'granted at', 'reason'],
    rows.map((e) => [
      e.accountId,
      e.userName,
      e.service ?? 'every deny',
      e.until,
      e.createdAt,
      cut(e.reason, 200),
    ]),
    ['granted at'],
  )
}

export function attemptsTable(attempts: readonly ChangeRecord[]): string {
  if (attempts.length === 0) return 'no attempt on a denied service since then'
  return table(
    ['attempt at', 'account', 'user', 'service', 'region', 'recorded by sweep'],
    attempts.map((a) => [
      a.attempt?.at ?? '',
      a.accountId,
      a.userName,
      a.attempt?.namespace ?? '',
      a.attempt?.region ?? '',
      a.sweepId,
    ]),
    ['recorded by sweep', 'region'],
  )
}

/** Exemption requests, and the command an operator runs to grant each one. */
export function requestsTable(requests: readonly ChangeRecord[]): string {
  if (requests.length === 0) return 'no exemption requests'
  const rows = requests.map((r) => [r.at, r.accountId, r.userName, r.reason.split(' while ')[0] ?? ''])
  const commands = [...new Set(requests.map((r) => grantCommand(r.accountId, r.userName)))]
  return `${table(['seen at', 'account', 'user', 'request'], rows)}\nTo grant one (recorded with you as its operator):\n${commands.join('\n')}`
}
