/**
 * The IAM credential report, read: one row per user with their console password and access keys, as of
 * when IAM generated it (a cached report can be up to 4 hours old). It only narrows down whom to look at;
 * every decision is made on the credential's live state (see judge.ts).
 */
import { UnexpectedReplyError } from '../../errors.js'

export interface ReportKey {
  /** Which of the user's two key slots: 1 is the older key. */
  slot: 1 | 2
  active: boolean
  /** The key's creation (the report's `last_rotated`). */
  createdAt: string
  /** Absent when the key was never used (or not since tracking began). */
  lastUsed?: string
}

export interface ReportRow {
  /** The row's `user,arn` text as it came: what a listed user is matched by (see splitRow). */
  head: string
  user: string
  arn: string
  userCreatedAt: string
  password?: { lastUsed?: string; changedAt?: string }
  /** The password's last use (absent: never, not tracked, or no password: the report shows none then). */
  lastSignIn?: string
  keys: ReportKey[]
  /**
   * How many X.509 signing certificates are active: IAM tracks no last use of one. Absent when the report
   * has no certificate columns (unknown).
   */
  certificates?: number
}

/** The report as IAM made it: its rows, and when it was made (what it can know of). */
export interface CredentialReport {
  generatedAt: string
  rows: ReportRow[]
}

const HOUR_MS = 3_600_000
/** How far ahead of the sweep's clock a report may be dated (clock skew), and how old it may be. */
const SKEW_MS = HOUR_MS / 4
const REPORT_MAX_AGE_MS = 5 * HOUR_MS

/**
 * Whether the report is today's, by the sweep's clock: IAM makes one at most every 4 hours, so it is
 * dated at most that long before the sweep, and never after it. Any other date means a report that says
 * too little of the last hours, or a sweep whose clock disagrees with AWS's.
 */
export function reportIsCurrent(report: Pick<CredentialReport, 'generatedAt'>, now: Date): boolean {
  const age = now.getTime() - Date.parse(report.generatedAt)
  return age >= -SKEW_MS && age <= REPORT_MAX_AGE_MS
}

const COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
] as const
/** Reports have carried them for years; a reply without them only leaves the certificates unknown. */
const CERTIFICATE_COLUMNS = ['cert_1_active', 'cert_2_active'] as const
type Column = (typeof COLUMNS)[number] | (typeof CERTIFICATE_COLUMNS)[number]

/** Values that mean "nothing here": no password or key, never used, or not since tracking began. */
const NONE = new Set(['N/A', 'no_information', 'not_supported', ''])

/** Parses the report's CSV; a reply that is not a credential report fails naming what is wrong. */
export function parseCredentialReport(csv: string): ReportRow[] {
  const [head = '', ...lines] = csv.split(/\r?\n/).filter((l) => l.length > 0)
  const header = head.split(',')
  const at = new Map(header.map((name, i) => [name, i]))
  const missing = COLUMNS.filter((c) => !at.has(c))
  if (missing.length > 0)
    throw new UnexpectedReplyError(`credential report lacks the column(s) ${missing.join(', ')}`)
  return lines.flatMap((line, n) => {
    const fields = splitRow(line, header.length, n + 2)
    const get = (c: Column) => fields[at.get(c) ?? -1] ?? ''
    if (get('user') === '<root_account>') return []
    const certificates = CERTIFICATE_COLUMNS.every((c) => at.has(c))
    return [{ head: fields.at(-1) ?? '', ...rowOf(get, n + 2, certificates) }]
  })
}

/**
 * IAM user names and paths may hold commas, and the report does not quote them: a row's `user` and `arn`
 * cannot always be told apart. Every later column is a fixed format without commas, so the row is read
 * from its end, and the `user,arn` text before is kept whole: a listed user is matched against it
 * (`name,arn` exactly), never the other way round. A generic CSV reader would misread such rows.
 */
function splitRow(line: string, columns: number, lineNo: number): string[] {
  const fields = line.split(',')
  const head = fields.length - (columns - 2)
  if (head < 2)
    throw new UnexpectedReplyError(
      `credential report line ${lineNo} has ${fields.length} fields, not ${columns}`,
    )
  const before = fields.slice(0, head)
  // The likeliest reading (the name's commas in both columns), for display only.
  const k = (head - 2) / 2
  const [user, arn] = Number.isInteger(k)
    ? [before.slice(0, k + 1).join(','), before.slice(k + 1).join(',')]
    : [before.join(','), '']
  return [user, arn, ...fields.slice(head), before.join(',')]
}

function rowOf(get: (c: Column) => string, lineNo: number, certificates: boolean): Omit<ReportRow, 'head'> {
  const user = get('user')
  const arn = get('arn')
  const time = (c: Column, optional: boolean): string | undefined => {
    const value = get(c)
    if (NONE.has(value)) {
      if (optional) return undefined
      throw new UnexpectedReplyError(`credential report line ${lineNo}: ${c} is missing`)
    }
    if (!Number.isFinite(Date.parse(value)))
      throw new UnexpectedReplyError(`credential report line ${lineNo}: ${c} is not a time: ${value}`)
    return new Date(value).toISOString()
  }
  const flag = (c: Column): boolean => {
    const value = get(c)
    if (value !== 'true' && value !== 'false')
      throw new UnexpectedReplyError(`credential report line ${lineNo}: ${c} is ${value}, not true or false`)
    return value === 'true'
  }
  const keys = ([1, 2] as const).flatMap((slot): ReportKey[] => {
    const createdAt = time(`access_key_${slot}_last_rotated`, true)
    if (!createdAt) return []
    const lastUsed = time(`access_key_${slot}_last_used_date`, true)
    return [{ slot, active: flag(`access_key_${slot}_active`), createdAt, ...(lastUsed ? { lastUsed } : {}) }]
  })
  const lastUsed = time('password_last_used', true)
  const changedAt = time('password_last_changed', true)
  return {
    user,
    arn,
    userCreatedAt: time('user_creation_time', false) ?? '',
    ...(flag('password_enabled')
      ? { password: { ...(lastUsed ? { lastUsed } : {}), ...(changedAt ? { changedAt } : {}) } }
      : {}),
    ...(lastUsed ? { lastSignIn: lastUsed } : {}),
    keys,
    ...(certificates ? { certificates: CERTIFICATE_COLUMNS.filter(flag).length } : {}),
  }
}
