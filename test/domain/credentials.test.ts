/** The credential rules, pure: the report read, each credential judged, whom to look at, restore, brake. */
import { describe, expect, it } from 'vitest'
import {
  credentialBrake,
  credentialsExempt,
  survey,
  withServiceUse,
} from '../../shared/domain/credentials/account.js'
import { judge, type LiveCredential } from '../../shared/domain/credentials/judge.js'
import { planUserCredentials } from '../../shared/domain/credentials/plan.js'
import { parseCredentialReport } from '../../shared/domain/credentials/report.js'
import { planRestore } from '../../shared/domain/credentials/restore.js'
import type { CredentialState, UserState } from '../../shared/domain/records.js'
import type { IamUser } from '../../shared/domain/types.js'

const NOW = new Date('2026-12-02T12:00:00.000Z')
const ago = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString()
const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated'
const ROOT =
  '<root_account>,arn:aws:iam::123456789012:root,2015-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A'

const line = (name: string, fields: { password?: string; key1?: string; key2?: string } = {}) =>
  [
    name,
    `arn:aws:iam::123456789012:user/${name}`,
    '2020-01-01T00:00:00+00:00',
    fields.password ?? 'false,N/A,N/A',
    'N/A,false',
    fields.key1 ?? 'false,N/A,N/A,N/A,N/A',
    fields.key2 ?? 'false,N/A,N/A,N/A,N/A',
    'false,N/A,false,N/A',
  ].join(',')

describe('the credential report', () => {
  it("reads each user's password and keys, and leaves the root account out", () => {
    const rows = parseCredentialReport(
      [
        HEADER,
        ROOT,
        line('ann', {
          password: 'true,no_information,2021-03-01T00:00:00+00:00',
          key1: 'true,2021-01-01T00:00:00+00:00,2026-11-30T10:00:00+00:00,us-east-1,s3',
          key2: 'false,2022-01-01T00:00:00+00:00,N/A,N/A,N/A',
        }),
      ].join('\n'),
    )
    expect(rows).toEqual([
      {
        head: 'ann,arn:aws:iam::123456789012:user/ann',
        user: 'ann',
        arn: 'arn:aws:iam::123456789012:user/ann',
        userCreatedAt: '2020-01-01T00:00:00.000Z',
        password: { changedAt: '2021-03-01T00:00:00.000Z' },
        keys: [
          {
            slot: 1,
            active: true,
            createdAt: '2021-01-01T00:00:00.000Z',
            lastUsed: '2026-11-30T10:00:00.000Z',
          },
          { slot: 2, active: false, createdAt: '2022-01-01T00:00:00.000Z' },
        ],
        certificates: 0,
      },
    ])
  })

  it('keeps the user and ARN text whole, commas in names and paths included (the report does not quote them)', () => {
    const [row] = parseCredentialReport([HEADER, line('a,b,c')].join('\n'))
    expect(row).toMatchObject({ head: 'a,b,c,arn:aws:iam::123456789012:user/a,b,c', user: 'a,b,c' })
    // A path may hold commas too: the row is still read, and matched only against a listed user's text.
    const odd = line('n').replace('user/n', 'user/x,arn:y/n')
    expect(parseCredentialReport([HEADER, odd].join('\n'))[0]?.head).toBe(
      'n,arn:aws:iam::123456789012:user/x,arn:y/n',
    )
  })

  it.each([
    [
      'a missing column',
      HEADER.replace(',access_key_2_last_used_date', ''),
      /lacks the column\(s\) access_key_2_last_used_date/,
    ],
    ['a time that is none', HEADER, /access_key_1_last_rotated is not a time: yesterday/],
  ])('refuses %s, naming it', (_what, header, message) => {
    const bad = line('bob', { key1: 'true,yesterday,N/A,N/A,N/A' })
    expect(() => parseCredentialReport([header, bad].join('\n'))).toThrow(message)
  })
})

describe('one credential judged on its own', () => {
  const key = { kind: 'access-key' as const, createdAt: ago(400) }
  it.each([
    ['used within the window', { ...key, lastUsed: ago(10) }, { kind: 'used' }],
    ['unused for the window', { ...key, lastUsed: ago(120) }, { kind: 'unused', reason: 'unused' }],
    ['never used since its creation', key, { kind: 'unused', reason: 'never-used' }],
    ['created within the window', { ...key, createdAt: ago(30) }, { kind: 'used' }],
    [
      'a password set again after the last use of the old one',
      { kind: 'password' as const, createdAt: ago(20), lastUsed: ago(300) },
      { kind: 'used' },
    ],
  ])('%s', (_what, credential, verdict) => {
    expect(judge(credential, 90, NOW)).toMatchObject(verdict)
  })

  it.each([
    [
      'a key quiet since before IAM tracked key use',
      { kind: 'access-key' as const, createdAt: '2015-01-10T00:00:00.000Z' },
    ],
    [
      'a password quiet since before IAM tracked sign-ins',
      { kind: 'password' as const, createdAt: '2014-06-01T00:00:00.000Z' },
    ],
    [
      "a password quiet across IAM's May 2018 gap",
      {
        kind: 'password' as const,
        createdAt: '2016-01-01T00:00:00.000Z',
        lastUsed: '2018-04-20T00:00:00.000Z',
      },
    ],
  ])('calls %s unknown, never unused', (_what, credential) => {
    expect(judge(credential, 90, NOW).kind).toBe('unknown')
  })

  it('counts a restarted window from its restart, whatever the last use', () => {
    expect(judge({ ...key, lastUsed: ago(300) }, 90, NOW, ago(5)).kind).toBe('used')
    expect(judge({ ...key, lastUsed: ago(300) }, 90, NOW, ago(95))).toMatchObject({
      kind: 'unused',
      reason: 'unused',
    })
  })
})

const user = (name: string, extra: Partial<IamUser> = {}): IamUser =>
  ({
    name,
    id: `AIDA${name.toUpperCase().padEnd(17, 'X')}`,
    arn: `arn:aws:iam::123456789012:user/${name}`,
    createDate: new Date('2020-01-01T00:00:00.000Z'),
    tags: {},
    ...extra,
  }) as IamUser

const row = (u: IamUser, extra: Partial<CredentialState>): CredentialState => ({
  accountId: '123456789012',
  userName: u.name,
  userId: u.id,
  userArn: u.arn,
  kind: 'access-key',
  credentialId: 'AKIAAAAAAAAAAAAAAAAA',
  status: 'scheduled',
  since: ago(3),
  on: '2026-12-05',
  createdAt: '2021-01-01T00:00:00.000Z',
  sweepId: 's',
  updatedAt: ago(3),
  ...extra,
})

describe('whom a sweep looks at live', () => {
  const quiet = 'true,2021-01-01T00:00:00+00:00,2026-01-01T00:00:00+00:00,us-east-1,s3'
  const busy = 'true,2021-01-01T00:00:00+00:00,2026-11-30T00:00:00+00:00,us-east-1,s3'
  const reportOf = (generatedAt: string, ...lines: string[]) => ({
    generatedAt,
    rows: parseCredentialReport([HEADER, ...lines].join('\n')),
  })
  const [ann, ben] = [user('ann'), user('ben')]
  const surveyOf = (report: ReturnType<typeof reportOf>, rows: CredentialState[] = []) =>
    survey({
      report,
      users: [ann, ben],
      rows,
      reports: new Map(),
      sweepId: 's',
      byService: false,
      windowDays: 90,
      now: NOW,
    })
  const look = (report: ReturnType<typeof reportOf>, rows: CredentialState[] = []) =>
    surveyOf(report, rows).lookAt.map((u) => u.name)

  it('only users with a credential quiet for the window', () => {
    const report = reportOf(ago(0), line('ann', { key1: quiet }), line('ben', { key1: busy }))
    expect(look(report)).toEqual(['ann'])
    expect(surveyOf(report)).toMatchObject({
      active: 2,
      compliance: { users: 2, iam8: 1, iam22: 1 },
    })
  })

  it('never a signing certificate, which IAM keeps no last use of: each active one is counted unknown', () => {
    const certified = line('ann').replace(
      /false,N\/A,false,N\/A$/,
      'true,2020-01-01T00:00:00+00:00,false,N/A',
    )
    const surveyed = surveyOf(reportOf(ago(0), certified, line('ben', { key1: busy })))
    expect(surveyed).toMatchObject({ lookAt: [], unknown: 1 })
  })

  it('not a credential of ours on a report made before our row, nor one announced and not due', () => {
    const deactivated = row(ann, { status: 'deactivated', since: ago(1) })
    expect(look(reportOf(ago(2), line('ann', { key1: quiet })), [deactivated])).toEqual([])
    expect(look(reportOf(ago(2), line('ann', { key1: quiet })), [row(ann, {})])).toEqual([])
  })

  it('one of ours the report shows back in use, used since it was announced, or due', () => {
    const deactivated = row(ann, { status: 'deactivated', since: ago(3) })
    expect(look(reportOf(ago(0), line('ann', { key1: quiet })), [deactivated])).toEqual(['ann'])
    expect(look(reportOf(ago(0), line('ann', { key1: busy })), [row(ann, { since: ago(5) })])).toEqual([
      'ann',
    ])
    expect(look(reportOf(ago(5), line('ann', { key1: quiet })), [row(ann, { on: '2026-12-02' })])).toEqual([
      'ann',
    ])
  })

  it('not a user the report lists under a reused name (created after the report says)', () => {
    const report = reportOf(ago(0), line('ann', { key1: quiet }))
    const again = user('ann', { createDate: new Date('2025-06-01T00:00:00.000Z') })
    expect(
      survey({
        report,
        users: [again],
        rows: [],
        reports: new Map(),
        sweepId: 's',
        byService: false,
        windowDays: 90,
        now: NOW,
      }).lookAt,
    ).toEqual([])
  })
})

describe("an SSH key's or service credential's use", () => {
  const ssh = {
    kind: 'ssh-key' as const,
    id: 'APKAAAAAAAAAAAAAAAAA',
    active: true,
    createdAt: ago(300),
    service: 'codecommit',
  }
  const report = (sweepId: string, lastAuthenticated?: string) => ({
    userId: 'u',
    sweepId,
    readAt: ago(0),
    services: [{ namespace: 'codecommit', ...(lastAuthenticated ? { lastAuthenticated } : {}) }],
  })
  it("is the user's last use of its service, from a report read in this sweep", () => {
    expect(withServiceUse([ssh], report('today', ago(120)), 'today')).toEqual([
      { ...ssh, lastUsed: ago(120) },
    ])
    expect(withServiceUse([ssh], report('today'), 'today')).toEqual([ssh])
  })
  it('is unknown on an older report, or when the service is not in it (not granted): left as it is', () => {
    expect(withServiceUse([ssh], report('yesterday', ago(120)), 'today')[0]?.unjudged).toBe(true)
    expect(withServiceUse([{ ...ssh, service: 'bedrock' }], report('today'), 'today')[0]?.unjudged).toBe(true)
  })
})

describe('who is left alone', () => {
  const tagged = user('kim', { tags: { 'least-privilege-exempt': 'true' } })
  const records = (honouredTag?: string) => {
    const state = { userId: tagged.id, ...(honouredTag ? { honouredTag } : {}) } as UserState
    return { users: new Map(), usersById: new Map([[tagged.id, state]]), exemptions: [] }
  }
  const rules = {
    exemptTags: [{ key: 'least-privilege-exempt', values: ['true'] }],
    neverDeactivate: ['Glass'],
  }

  it('a user whose tag the sweep honours, until a credential of theirs is announced', () => {
    expect(credentialsExempt(tagged, records('least-privilege-exempt=true'), rules, [], NOW)).toBe(true)
    const announced = [row(tagged, {})]
    expect(credentialsExempt(tagged, records('least-privilege-exempt=true'), rules, announced, NOW)).toBe(
      false,
    )
    expect(credentialsExempt(tagged, records(), rules, [], NOW)).toBe(false)
  })

  it('a break-glass user by name, and a user with an exemption of the whole user', () => {
    expect(credentialsExempt(user('glass'), records(), rules, [], NOW)).toBe(true)
    const exempted = {
      ...records(),
      exemptions: [
        {
          accountId: '1',
          userName: 'kim',
          userId: tagged.id,
          until: ago(-3),
          reason: 'r',
          createdAt: ago(1),
        },
      ],
    }
    expect(credentialsExempt(tagged, exempted, rules, [], NOW)).toBe(true)
  })
})

describe('a change a run recorded and could not confirm', () => {
  const dee = user('dee')
  const key = 'AKIAAAAAAAAAAAAAAAAA'
  const plan = (row: CredentialState, live: LiveCredential[]) =>
    planUserCredentials(
      {
        accountId: '123456789012',
        user: { name: dee.name, id: dee.id, arn: dee.arn },
        live,
        rows: [row],
        exempt: false,
      },
      { windowDays: 90, noticeDays: 7, mode: 'enforce', onboarding: false },
      { now: NOW, sweepId: 'sweep-2' },
    )
  const liveKey = (extra: Partial<LiveCredential>): LiveCredential => ({
    kind: 'access-key',
    id: key,
    active: true,
    createdAt: ago(400),
    ...extra,
  })
  const marked = (extra: Partial<CredentialState>) =>
    row(dee, { status: 'deactivated', unconfirmed: true, ...extra })

  it('is finished when IAM shows it made, a removed password included', () => {
    expect(plan(marked({}), [liveKey({ active: false })])).toMatchObject({
      ops: [],
      put: [{ status: 'deactivated' }],
    })
    const password = plan(marked({ kind: 'password', credentialId: 'password' }), [])
    expect(password.put).toEqual([expect.objectContaining({ status: 'deactivated', kind: 'password' })])
    expect(password.put[0]?.unconfirmed).toBeUndefined()
    expect(password.history.map((h) => h.event)).toEqual(['credential-deactivated'])
  })

  it('is judged again when IAM shows it not made: made if still unused, dropped if used since', () => {
    expect(plan(marked({}), [liveKey({ lastUsed: ago(200) })]).ops).toEqual([
      { kind: 'deactivate', credential: 'access-key', id: key },
    ])
    const used = plan(marked({}), [liveKey({ lastUsed: ago(1) })])
    expect(used).toMatchObject({ ops: [], drop: [{ credentialId: key }] })
  })

  it("is an operator's restore put back as it was when IAM does not show it made", () => {
    const restart = row(dee, { status: 'restarted', unconfirmed: true, windowFrom: ago(0) })
    expect(plan(restart, [liveKey({ active: false })]).put).toEqual([
      expect.objectContaining({ status: 'deactivated', credentialId: key }),
    ])
  })

  it('is never carried out as an onboarding, whatever the row it came from said', () => {
    const again = plan(marked({ onboarding: true }), [liveKey({ lastUsed: ago(200) })])
    expect(again.put[0]?.onboarding).toBeUndefined()
  })
})

describe('a restore', () => {
  const dee = user('dee')
  const at = { now: NOW, runId: 'restore-1', mode: 'enforce' as const }
  const who = (rows: CredentialState[], live: { id: string; active: boolean }[] = []) => ({
    accountId: '123456789012',
    user: { name: dee.name, id: dee.id, arn: dee.arn },
    rows,
    live: live.map((l) => ({ kind: 'access-key' as const, createdAt: ago(400), ...l })),
  })
  const key = 'AKIAAAAAAAAAAAAAAAAA'

  it('reactivates a key of ours, and keeps one announced, each window restarted', () => {
    const plan = planRestore(
      who(
        [row(dee, { status: 'deactivated' }), row(dee, { credentialId: 'AKIABBBBBBBBBBBBBBBB' })],
        [
          { id: key, active: false },
          { id: 'AKIABBBBBBBBBBBBBBBB', active: true },
        ],
      ),
      { all: true },
      at,
    )
    expect(plan).toMatchObject({
      ops: [{ kind: 'reactivate', credential: 'access-key', id: key }],
      put: [
        { credentialId: key, status: 'restarted', windowFrom: NOW.toISOString() },
        { credentialId: 'AKIABBBBBBBBBBBBBBBB', status: 'restarted' },
      ],
    })
  })

  it('approves a password without setting one', () => {
    const plan = planRestore(
      who([row(dee, { status: 'deactivated', kind: 'password', credentialId: 'password' })]),
      { keys: [], password: true },
      at,
    )
    expect(plan).toMatchObject({ ops: [], put: [], drop: [{ credentialId: 'password' }] })
  })

  it.each([
    [
      'a key that is not ours',
      [],
      { keys: [key], password: false },
      /dee has no AKIAAAAAAAAAAAAAAAAA deactivated or announced/,
    ],
    [
      'a deleted key',
      [row(dee, { status: 'deactivated' })],
      { keys: [key], password: false },
      /was deleted: it cannot be put back/,
    ],
    ['nothing at all', [], { all: true as const }, /dee has no credential deactivated or announced/],
  ])('refuses %s, saying why', (_what, rows, target, message) => {
    const plan = planRestore(who(rows), target, at)
    expect('refused' in plan && plan.refused).toMatch(message)
  })
})

describe('the credential brake', () => {
  const settings = { maxCredentialShare: 0.3, minCredentials: 5 }
  it.each([
    [4, 4, undefined],
    [5, 20, undefined],
    [7, 20, /7 of 20 active credentials \(35%\) would be deactivated at once, above 30%/],
  ])('%i of %i deactivated at once', (deactivations, active, verdict) => {
    const held = credentialBrake({ deactivations, deletions: 0, active }, settings)
    if (verdict) expect(held).toMatch(verdict)
    else expect(held).toBeUndefined()
  })

  it.each([
    [0, 4, 20, undefined],
    // The keys to delete are counted among those taken away, and among those they are taken from.
    [
      2,
      6,
      20,
      /8 of 26 credentials \(31%\) would be taken away at once \(6 inactive keys deleted\), above 30%/,
    ],
    [0, 5, 0, /5 of 5 credentials \(100%\)/],
  ])('%i deactivated and %i deleted of %i active at once', (deactivations, deletions, active, verdict) => {
    const held = credentialBrake({ deactivations, deletions, active }, settings)
    if (verdict) expect(held).toMatch(verdict)
    else expect(held).toBeUndefined()
  })
})
