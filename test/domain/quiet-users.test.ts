/** Who the credential report proves quiet since their stored Access Advisor report: each rule on its own. */
import { describe, expect, it } from 'vitest'
import { marksByUser, quietUsers } from '../../shared/domain/credentials/quiet.js'
import {
  type CredentialReport,
  parseCredentialReport,
  type ReportRow,
} from '../../shared/domain/credentials/report.js'
import type { StoredReport } from '../../shared/domain/records.js'
import type { IamUser } from '../../shared/domain/types.js'

const HOUR = 3_600_000
const READ = new Date('2026-12-01T06:00:00.000Z')
const hours = (n: number) => new Date(READ.getTime() + n * HOUR).toISOString()
const ann: IamUser = {
  name: 'ann',
  id: 'AIDAANNXXXXXXXXXXXXXX',
  arn: 'arn:aws:iam::123456789012:user/ann',
  createDate: new Date('2020-01-01T00:00:00.000Z'),
  tags: {},
} as IamUser
const KEY = '2021-01-01T00:00:00.000Z'

/** Ann's report row: one key, last used 3 days before the read; no password; no certificate. */
function rowOf(extra: Partial<ReportRow> = {}): ReportRow {
  return {
    head: `ann,${ann.arn}`,
    user: 'ann',
    arn: ann.arn,
    userCreatedAt: '2020-01-01T00:00:00.000Z',
    keys: [{ slot: 1, active: true, createdAt: KEY, lastUsed: hours(-72) }],
    certificates: 0,
    ...extra,
  }
}
const stored = (extra: Partial<StoredReport> = {}): StoredReport => ({
  userId: ann.id,
  sweepId: 's',
  readAt: READ.toISOString(),
  credentials: [`key:${KEY}`],
  services: [{ namespace: 's3', lastAuthenticated: hours(-72) }],
  ...extra,
})
/** The sweep runs an hour after the report it is served was made. */
const isQuiet = (row: ReportRow, report = stored(), generatedAt = hours(24), rows = [row]) =>
  quietUsers({
    report: { generatedAt, rows },
    users: [ann],
    reports: new Map([[ann.id, report]]),
    now: new Date(Date.parse(generatedAt) + HOUR),
  }).has(ann.id)

describe('a user proven quiet since their report was read', () => {
  it('is one whose key was last used long enough before the read, in a report made after it', () => {
    expect(isQuiet(rowOf())).toBe(true)
    expect(isQuiet(rowOf({ keys: [{ slot: 1, active: true, createdAt: KEY }] }))).toBe(true)
  })

  it('is not one whose key was used after the read', () => {
    expect(isQuiet(rowOf({ keys: [{ slot: 1, active: true, createdAt: KEY, lastUsed: hours(20) }] }))).toBe(
      false,
    )
  })

  it("is not one whose key was used within a session's 36 hours, the 15-minute grain and a day of Access Advisor's lag before the read", () => {
    const usedAt = (h: number) =>
      rowOf({ keys: [{ slot: 1, active: true, createdAt: KEY, lastUsed: hours(h) }] })
    expect(isQuiet(usedAt(-60))).toBe(false)
    expect(isQuiet(usedAt(-60.25))).toBe(false)
    expect(isQuiet(usedAt(-60.3))).toBe(true)
  })

  it('is not one whose password was used within a console session, the grain and the lag', () => {
    const password = { changedAt: '2025-01-01T00:00:00.000Z' }
    const had = stored({ credentials: [`key:${KEY}`, `password:${password.changedAt}`] })
    expect(isQuiet(rowOf({ password, lastSignIn: hours(-36) }), had)).toBe(false)
    expect(isQuiet(rowOf({ password, lastSignIn: hours(-36.3) }), had)).toBe(true)
  })

  it('is not one whose password on record at the read is gone or was set anew (it may have signed in between)', () => {
    const password = { changedAt: '2025-01-01T00:00:00.000Z' }
    const had = stored({ credentials: [`key:${KEY}`, `password:${password.changedAt}`] })
    expect(isQuiet(rowOf({ password, lastSignIn: hours(-100) }), had)).toBe(true)
    expect(isQuiet(rowOf(), had)).toBe(false)
    expect(isQuiet(rowOf({ password: { changedAt: hours(10) } }), had)).toBe(false)
    // A password whose setting the report does not give cannot be told from a new one.
    expect(isQuiet(rowOf({ password: {} }))).toBe(false)
  })

  it('is no one, in a report dated ahead of the sweep or more than 5 hours before it', () => {
    const count = (generatedAt: string) =>
      quietUsers({
        report: { generatedAt, rows: [rowOf()] },
        users: [ann],
        reports: new Map([[ann.id, stored()]]),
        now: new Date(hours(30)),
      }).size
    expect(count(hours(29))).toBe(1)
    expect(count(hours(24.9))).toBe(0)
    expect(count(hours(31))).toBe(0)
    expect(count(hours(30.2))).toBe(1) // a few minutes of clock skew
  })

  it('is not one the report lists twice: which row is theirs cannot be told', () => {
    const used = rowOf({ keys: [{ slot: 1, active: true, createdAt: KEY, lastUsed: hours(20) }] })
    expect(isQuiet(rowOf(), stored(), hours(24), [rowOf(), used])).toBe(false)
    expect(isQuiet(rowOf(), stored(), hours(24), [used, rowOf()])).toBe(false)
  })

  it('is not one with a key on record at the read that the report no longer lists (used, then deleted)', () => {
    expect(isQuiet(rowOf({ keys: [] }))).toBe(false)
    const rotated = { slot: 1 as const, active: true, createdAt: '2026-11-20T00:00:00.000Z' }
    expect(isQuiet(rowOf({ keys: [rotated] }))).toBe(false)
  })

  it('is not one whose stored report kept no credentials, or whose report is from before the read', () => {
    const { credentials: _none, ...unmarked } = stored()
    expect(isQuiet(rowOf(), unmarked)).toBe(false)
    expect(isQuiet(rowOf(), stored(), hours(-1))).toBe(false)
    expect(isQuiet(rowOf(), stored(), READ.toISOString())).toBe(false)
  })

  it('is not one with an active signing certificate, or whose report cannot tell', () => {
    expect(isQuiet(rowOf({ certificates: 1 }))).toBe(false)
    const { certificates: _unknown, ...untold } = rowOf()
    expect(isQuiet(untold)).toBe(false)
  })

  it.each(['codecommit', 'cassandra', 'bedrock', 'logs'])(
    'is not one granted %s, whose SSH keys or service-specific credentials the report leaves out',
    (namespace) => {
      expect(isQuiet(rowOf(), stored({ services: [{ namespace: 's3' }, { namespace }] }))).toBe(false)
    },
  )

  it('is not one the report does not list, or lists as another user of the same name', () => {
    const report: CredentialReport = { generatedAt: hours(24), rows: [] }
    const now = new Date(hours(25))
    expect(quietUsers({ report, users: [ann], reports: new Map([[ann.id, stored()]]), now }).size).toBe(0)
    expect(isQuiet(rowOf({ userCreatedAt: '2026-11-30T00:00:00.000Z' }))).toBe(false)
  })
})

describe("a user's credentials, as kept with their report", () => {
  it('are their keys by creation and their password, read from the report', () => {
    const csv = [
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,cert_1_active,cert_2_active',
      `ann,${ann.arn},2020-01-01T00:00:00+00:00,true,2026-11-01T00:00:00+00:00,2020-02-01T00:00:00+00:00,true,2021-01-01T00:00:00+00:00,N/A,false,N/A,N/A,false,true`,
    ].join('\n')
    const rows = parseCredentialReport(csv)
    expect(rows[0]).toMatchObject({ lastSignIn: '2026-11-01T00:00:00.000Z', certificates: 1 })
    expect(marksByUser({ generatedAt: hours(0), rows }, [ann]).get(ann.id)).toEqual([
      `key:${KEY}`,
      'password:2020-02-01T00:00:00.000Z',
    ])
  })

  it('leave certificates unknown in a report without their columns', () => {
    const csv = [
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date',
      `ann,${ann.arn},2020-01-01T00:00:00+00:00,false,N/A,N/A,false,N/A,N/A,false,N/A,N/A`,
    ].join('\n')
    expect(parseCredentialReport(csv)[0]?.certificates).toBeUndefined()
  })
})
