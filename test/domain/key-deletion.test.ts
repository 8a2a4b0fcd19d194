/** Deleting access keys of ours, pure: when one is due, what a run that could not confirm it finds, restore. */
import { describe, expect, it } from 'vitest'
import { credentialsExempt, survey } from '../../shared/domain/credentials/account.js'
import { deletionDay, deletionDue } from '../../shared/domain/credentials/deletion.js'
import type { LiveCredential } from '../../shared/domain/credentials/judge.js'
import { type CredentialSettings, planUserCredentials } from '../../shared/domain/credentials/plan.js'
import { reportIsCurrent } from '../../shared/domain/credentials/report.js'
import { planRestore } from '../../shared/domain/credentials/restore.js'
import type { CredentialState } from '../../shared/domain/records.js'
import type { IamUser } from '../../shared/domain/types.js'

const NOW = new Date('2026-12-02T12:00:00.000Z')
const ago = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString()
const KEY = 'AKIAAAAAAAAAAAAAAAAA'
/** The stretch of sweeps with deletion on that these tests run in. */
const EPOCH = '20261001T120000000Z-aaaaaa'
const dee = {
  name: 'dee',
  id: 'AIDADEEXXXXXXXXXXXXXX',
  arn: 'arn:aws:iam::123456789012:user/dee',
  createDate: new Date('2020-01-01T00:00:00.000Z'),
  tags: {},
} as unknown as IamUser

/** The UTC day `days` from NOW (negative: before). */
const dayIn = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString().slice(0, 10)
/**
 * A key the project deactivated `days` ago, by a sweep that may delete: its 30-day second period began
 * then, and its deletion was announced for the day that period ends.
 */
const ours = (days: number, extra: Partial<CredentialState> = {}): CredentialState => ({
  accountId: '123456789012',
  userName: dee.name,
  userId: dee.id,
  userArn: dee.arn,
  kind: 'access-key',
  credentialId: KEY,
  status: 'deactivated',
  since: ago(days),
  inactiveFrom: ago(days),
  deleteOn: dayIn(30 - days),
  deletionEpoch: EPOCH,
  createdAt: ago(900),
  lastUsed: ago(600),
  sweepId: 's',
  updatedAt: ago(days),
  ...extra,
})
const inactiveKey = (extra: Partial<LiveCredential> = {}): LiveCredential => ({
  kind: 'access-key',
  id: KEY,
  active: false,
  createdAt: ago(900),
  lastUsed: ago(600),
  ...extra,
})
const DELETING: CredentialSettings = {
  windowDays: 90,
  noticeDays: 7,
  mode: 'enforce',
  onboarding: false,
  deleteAfterDays: 30,
  deletionEpoch: EPOCH,
}
const plan = (row: CredentialState, live: LiveCredential[], settings: Partial<CredentialSettings> = {}) =>
  planUserCredentials(
    {
      accountId: '123456789012',
      user: { name: dee.name, id: dee.id, arn: dee.arn },
      live,
      rows: [row],
      exempt: false,
    },
    { ...DELETING, ...settings },
    { now: NOW, sweepId: 'sweep-9' },
  )

describe('a key of ours, still inactive', () => {
  it('is deleted once its second period has run, its deactivation kept on the record', () => {
    const due = plan(ours(30), [inactiveKey()])
    // IAM is asked to delete it only as read: inactive, with this last use.
    expect(due.ops).toEqual([{ kind: 'delete-key', id: KEY, lastUsed: ago(600) }])
    expect(due.put).toEqual([
      expect.objectContaining({ status: 'deleted', since: NOW.toISOString(), deactivatedAt: ago(30) }),
    ])
    expect(due.history).toEqual([
      { event: 'credential-deleted', credential: expect.objectContaining({ credentialId: KEY }) },
    ])
  })

  it('starts its second period when a sweep that may delete first finds it inactive, never from before', () => {
    const { inactiveFrom: _from, deleteOn: _on, ...unstarted } = ours(300)
    const started = plan(unstarted, [inactiveKey()])
    expect(started).toMatchObject({ ops: [], drop: [], history: [] })
    expect(started.put).toEqual([
      expect.objectContaining({ status: 'deactivated', inactiveFrom: NOW.toISOString() }),
    ])
    expect(started.put[0]?.deleteOn).toBeUndefined()
    // Deactivated by a sweep that may delete: started at once.
    const fresh = planUserCredentials(
      {
        accountId: '123456789012',
        user: { name: dee.name, id: dee.id, arn: dee.arn },
        live: [inactiveKey({ active: true })],
        rows: [ours(0, { status: 'scheduled', on: '2026-12-02' })],
        exempt: false,
      },
      DELETING,
      { now: NOW, sweepId: 'sweep-9' },
    )
    expect(fresh.put.at(-1)).toMatchObject({ status: 'deactivated', inactiveFrom: NOW.toISOString() })
  })

  it('is announced NOTICE_DAYS ahead once its period ends within them, and deleted on that day, not before', () => {
    const { deleteOn: _on, ...unannounced } = ours(23)
    const announced = plan(unannounced, [inactiveKey()])
    expect(announced.ops).toEqual([])
    expect(announced.put).toEqual([expect.objectContaining({ deleteOn: dayIn(7), inactiveFrom: ago(23) })])
    expect(plan(ours(22, { deleteOn: dayIn(7) }), [inactiveKey()]).ops).toEqual([])
    // Its period long over (deletion turned on late, or its days lowered): still NOTICE_DAYS of notice.
    const { deleteOn: _late, ...overdue } = ours(300)
    expect(plan(overdue, [inactiveKey()]).put).toEqual([expect.objectContaining({ deleteOn: dayIn(7) })])
    expect(plan(overdue, [inactiveKey()]).ops).toEqual([])
  })

  it('keeps its announced day when the period is shortened, and moves it later when lengthened', () => {
    const announced = ours(10, { deleteOn: dayIn(5) })
    const rule = (deleteAfterDays: number) => ({ deleteAfterDays, epoch: EPOCH })
    expect(deletionDay(announced, rule(30))).toBe(dayIn(20))
    expect(deletionDay(announced, rule(12))).toBe(dayIn(5))
    expect(plan(announced, [inactiveKey()], { deleteAfterDays: 12 }).ops).toEqual([])
    const { deleteOn: _on, ...unannounced } = announced
    expect(deletionDay(unannounced, rule(30))).toBeUndefined()
  })

  it('counts a period and notice only within the stretch of sweeps that set them: turned off and on, anew', () => {
    const other = { deletionEpoch: '20260101T000000000Z-bbbbbb' }
    // Announced long ago in an earlier stretch: not deleted, its period starts again now.
    const anew = plan(ours(300, other), [inactiveKey()])
    expect(anew.ops).toEqual([])
    expect(anew.put).toEqual([
      expect.objectContaining({ inactiveFrom: NOW.toISOString(), deletionEpoch: EPOCH }),
    ])
    expect(anew.put[0]?.deleteOn).toBeUndefined()
    expect(deletionDay(ours(300, other), { deleteAfterDays: 30, epoch: EPOCH })).toBeUndefined()
    // No stretch at all (deletion off for this sweep): nothing is due, nothing is marked.
    expect(plan(ours(300), [inactiveKey()], { deletionEpoch: undefined })).toMatchObject({ ops: [], put: [] })
  })

  it('is never deleted while its user is left alone (exempt, or a never-deactivate name)', () => {
    const exempt = planUserCredentials(
      {
        accountId: '123456789012',
        user: { name: dee.name, id: dee.id, arn: dee.arn },
        live: [inactiveKey()],
        rows: [ours(300)],
        exempt: true,
      },
      DELETING,
      { now: NOW, sweepId: 'sweep-9' },
    )
    // Its announced deletion is withdrawn: not told any more, and no day is kept for later.
    expect(exempt).toMatchObject({ ops: [], drop: [], history: [] })
    expect(exempt.put).toEqual([expect.objectContaining({ status: 'deactivated' })])
    expect(exempt.put[0]?.deleteOn).toBeUndefined()
    expect(exempt.put[0]?.inactiveFrom).toBeUndefined()
  })

  it.each([
    ['before its announced day', ours(29), inactiveKey(), {}],
    ['while deletion is off', ours(300), inactiveKey(), { deleteAfterDays: undefined }],
    ['in plan mode (nothing is changed)', ours(300), inactiveKey(), { mode: 'plan' as const }],
  ])('is left as it is %s', (_when, row, live, settings) => {
    const left = plan(row, [live], settings)
    expect(left.ops).toEqual([])
    if ((settings as Partial<CredentialSettings>).mode !== 'plan')
      expect(left).toMatchObject({ put: [], drop: [], history: [] })
  })

  it.each([
    ['a removed password', ours(300, { kind: 'password', credentialId: 'password' }), []],
    [
      'an SSH key',
      ours(300, { kind: 'ssh-key', credentialId: 'APKAAAAAAAAAAAAAAAAA', service: 'codecommit' }),
      [inactiveKey({ kind: 'ssh-key', id: 'APKAAAAAAAAAAAAAAAAA', service: 'codecommit' })],
    ],
  ])('is never %s: only access keys are deleted', (_what, row, live) => {
    expect(plan(row, live).ops).toEqual([])
  })

  it('is not ours any more once used after our deactivation: put back and used, then made inactive again', () => {
    const theirs = plan(ours(300), [inactiveKey({ lastUsed: ago(100) })])
    expect(theirs).toMatchObject({ ops: [], put: [], drop: [{ credentialId: KEY }] })
    expect(theirs.history.map((h) => h.event)).toEqual(['credential-reactivated'])
  })

  it.each([
    ['no last use where one was recorded', (({ lastUsed: _seen, ...never }) => never)(inactiveKey())],
    ['an earlier last use than recorded', inactiveKey({ lastUsed: ago(700) })],
  ])('is left as it is when IAM shows %s: a reply that cannot be trusted with a deletion', (_what, live) => {
    expect(plan(ours(300), [live])).toMatchObject({ ops: [], put: [], drop: [], history: [] })
  })

  it('stays on record once deleted: nothing is planned for it again', () => {
    expect(plan(ours(1, { status: 'deleted', deactivatedAt: ago(31) }), [])).toMatchObject({
      ops: [],
      put: [],
      drop: [],
      history: [],
    })
  })
})

describe('a deletion a run recorded and could not confirm', () => {
  const marked = ours(0, {
    status: 'deleted',
    deactivatedAt: ago(31),
    inactiveFrom: ago(31),
    deleteOn: dayIn(-1),
    unconfirmed: true,
  })

  it('is finished when IAM no longer lists the key', () => {
    const finished = plan(marked, [])
    expect(finished.ops).toEqual([])
    expect(finished.put).toEqual([expect.objectContaining({ status: 'deleted', deactivatedAt: ago(31) })])
    expect(finished.put[0]?.unconfirmed).toBeUndefined()
    expect(finished.history.map((h) => h.event)).toEqual(['credential-deleted'])
  })

  it('is made again while the key is still inactive and unused; judged as the deactivated key it is otherwise', () => {
    expect(plan(marked, [inactiveKey()]).ops).toEqual([{ kind: 'delete-key', id: KEY, lastUsed: ago(600) }])
    // Written back as deactivated before the deletion is tried again: a brake holding the deletion
    // leaves the key's record as the key is.
    expect(plan(marked, [inactiveKey()]).put.map((r) => r.status)).toEqual(['deactivated', 'deleted'])
    // Set Active meanwhile and still unused: put back outside the project, deactivated again at once.
    const back = plan(marked, [inactiveKey({ active: true })])
    expect(back.ops).toEqual([{ kind: 'deactivate', credential: 'access-key', id: KEY }])
    expect(back.history.map((h) => h.event)).toEqual(['credential-reactivated', 'credential-deactivated'])
    // Deletion turned off meanwhile (or the clock disagrees today): the key stays, and so does its
    // record as deactivated, as it was before the run; never a deleted key a restore would refuse.
    const off = plan(marked, [inactiveKey()], { deleteAfterDays: undefined })
    expect(off.ops).toEqual([])
    expect(off.put).toEqual([
      expect.objectContaining({ status: 'deactivated', since: ago(31), inactiveFrom: ago(31) }),
    ])
    expect(off.put[0]?.unconfirmed).toBeUndefined()
  })
})

describe('whom a sweep looks at for deletion', () => {
  it('a key of ours whose second period has run, and only while deletion is on', () => {
    const rule = { deleteAfterDays: 30, epoch: EPOCH, noticeDays: 7, now: NOW }
    const plain = (days: number) => {
      const { deleteOn: _on, ...row } = ours(days)
      return row
    }
    // Announced: looked at every day (a user left alone since has it withdrawn), and on its day.
    expect(deletionDue(ours(29), rule)).toBe(true)
    // To announce it: its period ends within the notice; not before.
    expect(deletionDue(plain(23), rule)).toBe(true)
    expect(deletionDue(plain(22), rule)).toBe(false)
    // Its period not started yet: looked at once, to start it.
    const { inactiveFrom: _from, ...unstarted } = plain(1)
    expect(deletionDue(unstarted, rule)).toBe(true)
    expect(deletionDue(ours(300), { ...rule, deleteAfterDays: undefined })).toBe(false)
    expect(deletionDue(ours(300, { kind: 'password', credentialId: 'password' }), rule)).toBe(false)
    expect(deletionDue(ours(300, { status: 'deleted' }), rule)).toBe(false)
  })

  it('is looked at live through the survey, and a deleted one is not', () => {
    const look = (rows: CredentialState[], deleteAfterDays?: number) =>
      survey({
        report: { generatedAt: NOW.toISOString(), rows: [] },
        users: [dee],
        rows,
        reports: new Map(),
        sweepId: 's',
        byService: false,
        windowDays: 90,
        ...(deleteAfterDays ? { deletion: { deleteAfterDays, epoch: EPOCH, noticeDays: 7 } } : {}),
        now: NOW,
      }).lookAt.map((u) => u.name)
    expect(look([ours(30)], 30)).toEqual(['dee'])
    expect(look([ours(30)])).toEqual([])
    expect(look([ours(300, { status: 'deleted' })], 30)).toEqual([])
  })

  it('never takes a deleted key of ours for a sibling made in the same second: the sibling is judged', () => {
    const report = {
      generatedAt: NOW.toISOString(),
      rows: [
        {
          head: `dee,${dee.arn}`,
          user: 'dee',
          arn: dee.arn,
          userCreatedAt: '2020-01-01T00:00:00.000Z',
          keys: [{ slot: 1 as const, active: true, createdAt: ago(900), lastUsed: ago(200) }],
          certificates: 0,
        },
      ],
    }
    const surveyed = survey({
      report,
      users: [dee],
      rows: [ours(1, { status: 'deleted' })],
      reports: new Map(),
      sweepId: 's',
      byService: false,
      windowDays: 90,
      now: NOW,
    })
    expect(surveyed.lookAt.map((u) => u.name)).toEqual(['dee'])
  })

  it('leaves a user whose only row of ours is a deleted key free to be exempted by an honoured tag', () => {
    const tagged = { ...dee, tags: { 'least-privilege-exempt': 'true' } } as IamUser
    const records = {
      users: new Map(),
      usersById: new Map([[dee.id, { userId: dee.id, honouredTag: 'least-privilege-exempt=true' } as never]]),
      exemptions: [],
    }
    const rules = { exemptTags: [{ key: 'least-privilege-exempt', values: ['true'] }], neverDeactivate: [] }
    expect(credentialsExempt(tagged, records, rules, [ours(1, { status: 'deleted' })], NOW)).toBe(true)
    expect(credentialsExempt(tagged, records, rules, [ours(1)], NOW)).toBe(false)
  })
})

describe("the sweep's clock, against the date AWS put on the credential report", () => {
  it.each([
    [ago(0), true],
    [new Date(NOW.getTime() - 4 * 3_600_000).toISOString(), true],
    [new Date(NOW.getTime() + 10 * 60_000).toISOString(), true],
    [new Date(NOW.getTime() - 6 * 3_600_000).toISOString(), false],
    [new Date(NOW.getTime() + 3_600_000).toISOString(), false],
    [ago(30), false],
  ])('a report made %s agrees: %s', (generatedAt, agrees) => {
    expect(reportIsCurrent({ generatedAt }, NOW)).toBe(agrees)
  })
})

describe('a restore of a deleted key', () => {
  const who = (rows: CredentialState[]) => ({
    accountId: '123456789012',
    user: { name: dee.name, id: dee.id, arn: dee.arn },
    rows,
    live: [],
  })
  const at = { now: NOW, runId: 'restore-1', mode: 'enforce' as const }
  const deleted = ours(2, { status: 'deleted', deactivatedAt: ago(32) })

  it('is refused, saying when it was deleted and what can be done instead', () => {
    const refused = planRestore(who([deleted]), { keys: [KEY], password: false }, at)
    expect('refused' in refused && refused.refused).toMatch(
      /key AKIA\S+ of dee was deleted by the project on 2026-11-30, inactive since 2026-10-31: it cannot be put back; an administrator of the account can make the user a new key/,
    )
    const all = planRestore(who([deleted]), { all: true }, at)
    expect('refused' in all && all.refused).toMatch(/was deleted by the project/)
  })

  it('of a key still inactive ends its period and notice: a restore IAM did not make cannot leave an old day', () => {
    const kept = planRestore(
      { ...who([ours(25)]), live: [inactiveKey()] },
      { keys: [KEY], password: false },
      at,
    )
    expect('refused' in kept).toBe(false)
    if ('refused' in kept) return
    expect(kept.put[0]).toMatchObject({ status: 'restarted' })
    expect(kept.put[0]?.inactiveFrom).toBeUndefined()
    expect(kept.put[0]?.deleteOn).toBeUndefined()
  })

  it('recorded and not confirmed, of a key IAM still lists, is put back as the deactivated key it is', () => {
    const unconfirmed = ours(0, { status: 'deleted', deactivatedAt: ago(40), unconfirmed: true })
    const back = planRestore(
      { ...who([unconfirmed]), live: [inactiveKey()] },
      { keys: [KEY], password: false },
      at,
    )
    expect('refused' in back).toBe(false)
    if (!('refused' in back))
      expect(back.ops).toEqual([{ kind: 'reactivate', credential: 'access-key', id: KEY }])
  })

  it('is passed over by --all, which restores what can be', () => {
    const password = ours(5, { kind: 'password', credentialId: 'password' })
    const plan = planRestore(who([deleted, password]), { all: true }, at)
    expect('refused' in plan).toBe(false)
    if (!('refused' in plan)) expect(plan.history.map((h) => h.credential.credentialId)).toEqual(['password'])
  })
})
