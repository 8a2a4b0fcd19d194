/**
 * Unused credentials, end to end on the emulated organization with the clock advanced day by day: each
 * key and password judged on its own, announced, deactivated on its day if still unused, put back by an
 * operator's restore; the brake, exemption requests and tracking gaps. Each test adds accounts of its own.
 */
import { describe, expect, it } from 'vitest'
import { slackNotifier } from '../../hub/runtime.js'
import { restoreCredentials } from '../../shared/app/operator.js'
import { daysAfter } from '../../shared/domain/notice.js'
import { makeCredentialReport } from '../emulator/credentials-api.js'
import type { UserSeed } from '../emulator/seed.js'
import { accountOnDays, day, T0 } from '../support/day-by-day.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const slack = await startSlackStandIn()
const notifier = must(slackNotifier(h.runtime, { webhookUrl: slack.url }), 'Slack notifier')
const OPERATOR = 'arn:aws:sts::111111111111:assumed-role/operator/alice'

/** A user who uses S3 daily, so that their denies stay out of the way. */
const user = (name: string, extra: Partial<UserSeed> = {}): UserSeed => ({
  name,
  createdDaysAgo: 400,
  policies: ['aws:AmazonS3FullAccess'],
  lastUsedDaysAgo: { s3: 1, 's3-object-lambda': 1 },
  ...extra,
})

function givenAccount(users: UserSeed[]) {
  const { id, account, sweep, member } = accountOnDays(h, users, { notifier })
  const key = (name: string, i = 0) => must(member(name).accessKeys[i], `${name}'s key ${i}`)
  const restore = (n: number, userName: string, target: Parameters<typeof restoreCredentials>[2]['target']) =>
    restoreCredentials(h.operator({ now: () => day(n) }), h.config(), {
      accountId: id,
      userName,
      target,
      reason: 'needed for the quarterly export',
      enforce: true,
      actor: OPERATOR,
    })
  // The report is IAM's of the last 4 hours, and the emulator's clock is not the test's: a test that
  // changes credentials between its days has one made on the day it sweeps.
  const newReport = (n: number) => makeCredentialReport(account, day(n))
  return { id, account, sweep, member, key, restore, newReport }
}

const history = async (accountId: string, userName: string) =>
  (await h.store.audit.history(accountId, { name: userName }, 50)).map((c) => c.status)

describe('unused credentials', () => {
  it('judges each key on its own: the used one stays, the unused one is announced, then deactivated', async () => {
    const w = givenAccount([
      user('ann', { accessKeys: [{ lastUsedDaysAgo: 1 }, { createdDaysAgo: 300, lastUsedDaysAgo: 120 }] }),
    ])
    const due = daysAfter(T0, 7)
    const first = await w.sweep(0)
    expect(first.accounts[0]?.credentials).toMatchObject({
      scheduled: [{ userName: 'ann', credential: `key ${w.key('ann', 1).id}`, on: due }],
      totals: { scheduled: 1, deactivated: 0 },
    })
    expect(w.key('ann', 1).status).toBe('Active')
    const scheduled = await h.store.audit.credentials('scheduled', w.id)
    expect(scheduled).toEqual([
      expect.objectContaining({ userName: 'ann', credentialId: w.key('ann', 1).id, on: due }),
    ])
    expect(JSON.stringify(slack.messages.at(-1)?.blocks)).toContain('Credentials scheduled')

    for (let n = 1; n < 7; n++) await w.sweep(n)
    expect(w.key('ann', 1).status).toBe('Active')
    const carried = await w.sweep(7)
    expect(carried.accounts[0]?.credentials?.totals).toMatchObject({ deactivated: 1, scheduled: 0 })
    expect(w.key('ann', 0).status).toBe('Active')
    expect(w.key('ann', 1).status).toBe('Inactive')
    expect(await h.store.audit.credentials('deactivated', w.id)).toEqual([
      expect.objectContaining({ credentialId: w.key('ann', 1).id, kind: 'access-key' }),
    ])
    expect(await history(w.id, 'ann')).toEqual(
      expect.arrayContaining(['credential-scheduled', 'credential-deactivated']),
    )
    const digest = JSON.stringify(slack.messages.at(-1)?.blocks)
    expect(digest).toContain('Credentials deactivated: 1')
    expect(digest).toContain(
      `least-privilege restore --account ${w.id} --user ann --key ${w.key('ann', 1).id}`,
    )
    // Security Hub's controls as the sweep found the account: the old key failed both until it went off.
    expect(carried.accounts[0]?.credentials?.compliance).toEqual({ users: 1, iam8: 0, iam22: 0 })
    const after = await w.sweep(8)
    expect(after.accounts[0]?.credentials?.compliance).toEqual({ users: 1, iam8: 1, iam22: 1 })
  })

  it('removes a password never used since it was made, after its notice, keeping what it was', async () => {
    const w = givenAccount([user('ben', { password: { createdDaysAgo: 200, resetRequired: true } })])
    await w.sweep(0)
    expect(w.member('ben').loginProfile).toBeDefined()
    await w.sweep(7)
    expect(w.member('ben').loginProfile).toBeUndefined()
    const [row] = await h.store.audit.credentials('deactivated', w.id)
    expect(row).toMatchObject({ kind: 'password', credentialId: 'password', passwordResetRequired: true })
  })

  it('leaves a key used during the notice untouched, and says so in its history', async () => {
    const w = givenAccount([user('cid', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 100 }] })])
    await w.sweep(0)
    expect(await h.store.audit.credentials('scheduled', w.id)).toHaveLength(1)
    w.key('cid').lastUsed = { at: day(3), region: 'us-east-1', service: 's3' }
    await w.sweep(7)
    expect(w.key('cid').status).toBe('Active')
    expect(await h.store.audit.credentials('scheduled', w.id)).toEqual([])
    const [cancelled] = await h.store.audit.history(w.id, { name: 'cid' }, 1)
    expect(cancelled).toMatchObject({ status: 'credential-cancelled', credential: { detail: 'used' } })
  })

  it('restores a key and a password in one command each, recorded with the operator, their windows restarted', async () => {
    const w = givenAccount([
      user('dee', {
        accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }],
        password: { createdDaysAgo: 300, lastUsedDaysAgo: 150 },
      }),
    ])
    await w.sweep(0)
    await w.sweep(7)
    expect(w.key('dee').status).toBe('Inactive')
    expect(w.member('dee').loginProfile).toBeUndefined()

    const key = await w.restore(8, 'dee', { keys: [w.key('dee').id], password: false })
    expect(key).toMatchObject({
      restored: [`key ${w.key('dee').id}`],
      actor: OPERATOR,
      passwordApproved: false,
    })
    expect(w.key('dee').status).toBe('Active')
    // The hub never sets a password (whoever can, can become the user): the restore approves one.
    const password = await w.restore(8.01, 'dee', { keys: [], password: true })
    expect(password).toMatchObject({ restored: ['password'], passwordApproved: true })
    expect(w.member('dee').loginProfile).toBeUndefined()
    const [restored] = await h.store.audit.history(w.id, { name: 'dee' }, 1)
    expect(restored).toMatchObject({
      status: 'credential-restored',
      actor: OPERATOR,
      reason: 'needed for the quarterly export',
      credential: { kind: 'password' },
    })
    w.member('dee').loginProfile = { createDate: day(8), passwordResetRequired: true } // the administrator's

    // The restored key's window starts again, and the new password is new: neither is announced again.
    w.newReport(9)
    const next = await w.sweep(9)
    expect(next.accounts[0]?.credentials?.totals).toMatchObject({
      scheduled: 0,
      deactivated: 0,
      reactivated: 0,
    })
    expect(await h.store.audit.credentials('restarted', w.id)).toEqual([
      expect.objectContaining({ credentialId: w.key('dee').id }),
    ])
    await expect(w.restore(9, 'dee', { keys: ['AKIANOTAKEYOFOURS1'], password: false })).rejects.toThrow(
      /dee has no AKIANOTAKEYOFOURS1 deactivated or announced by the project/,
    )
  })

  it('reports a key put back by someone else, and deactivates it again while it stays unused', async () => {
    const w = givenAccount([
      user('eve', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] }),
      user('fin', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] }),
    ])
    await w.sweep(0)
    await w.sweep(7)
    // Both users set their own key Active again (self-service); fin also uses his.
    w.key('eve').status = 'Active'
    w.key('fin').status = 'Active'
    w.key('fin').lastUsed = { at: day(7.5), region: 'us-east-1', service: 's3' }
    w.newReport(8)
    const next = await w.sweep(8)
    expect(next.accounts[0]?.credentials?.reactivated).toEqual([
      { userName: 'eve', credential: `key ${w.key('eve').id}` },
      { userName: 'fin', credential: `key ${w.key('fin').id}` },
    ])
    expect(h.logs.lines().some((l) => l.event === 'alert.credential-reactivated')).toBe(true)
    // Putting a key back restarts nothing: eve's, still unused, is off again; fin's is in use.
    expect(w.key('eve').status).toBe('Inactive')
    expect(w.key('fin').status).toBe('Active')
    const again = await h.store.audit.history(w.id, { name: 'eve' }, 2)
    expect(again).toContainEqual(
      expect.objectContaining({
        status: 'credential-deactivated',
        credential: expect.objectContaining({ detail: expect.stringMatching(/^again/) }),
      }),
    )
    expect(await h.store.audit.credentials('deactivated', w.id)).toEqual([
      expect.objectContaining({ userName: 'eve' }),
    ])
  })

  it('puts a change that IAM refused back on record as it was, and makes it the next day', async () => {
    const w = givenAccount([user('gil', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] })])
    await w.sweep(0)
    h.emulator.injectFault({ action: 'UpdateAccessKey', account: w.id, times: 1, code: 'AccessDenied' })
    await w.sweep(7)
    expect(w.key('gil').status).toBe('Active')
    expect(await h.store.audit.credentials('scheduled', w.id)).toEqual([
      expect.objectContaining({ userName: 'gil' }),
    ])
    await w.sweep(8)
    expect(w.key('gil').status).toBe('Inactive')
    expect(await h.store.audit.credentials('deactivated', w.id)).toEqual([
      expect.not.objectContaining({ unconfirmed: true }),
    ])
  })

  it("finishes a change a run made and could not confirm, without calling it anyone else's", async () => {
    const w = givenAccount([user('hap', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] })])
    await w.sweep(0)
    // As a run that stopped right after IAM's change leaves it: the row marked, the key off.
    const [row] = await h.store.audit.credentials('scheduled', w.id)
    await h.store.users.saveCredential({
      ...must(row, 'row'),
      status: 'deactivated',
      since: day(7).toISOString(),
      unconfirmed: true,
    })
    w.key('hap').status = 'Inactive'
    const next = await w.sweep(8)
    expect(next.accounts[0]?.credentials?.reactivated).toEqual([])
    const [done] = await h.store.audit.credentials('deactivated', w.id)
    expect(done?.unconfirmed).toBeUndefined()
    expect((await h.store.audit.history(w.id, { name: 'hap' }, 1))[0]?.status).toBe('credential-deactivated')
  })

  it('holds a mass deactivation with the brake until an operator confirms it', async () => {
    // Reached before: keys in use at the first sweep. Days later five cross the window together.
    const names = ['fay', 'gus', 'hal', 'ida', 'jon']
    const w = givenAccount(
      names.map((n) => user(n, { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 85 }] })),
    )
    await w.sweep(0)
    const held = await w.sweep(10, { noticeDays: 0 })
    expect(held.accounts[0]?.credentials?.held).toMatch(/5 of 5 active credentials \(100%\)/)
    for (const n of names) expect(w.key(n).status).toBe('Active')
    expect(await h.store.audit.credentials('scheduled', w.id)).toHaveLength(5)
    await w.sweep(11, { noticeDays: 0 }, true)
    for (const n of names) expect(w.key(n).status).toBe('Inactive')
  })

  it('takes an exemption tag set after a key was announced as a request: the key is still deactivated', async () => {
    const w = givenAccount([user('kim', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] })])
    await w.sweep(0)
    w.member('kim').tags.push({ Key: 'least-privilege-exempt', Value: 'true' })
    await w.sweep(7)
    expect(w.key('kim').status).toBe('Inactive')
  })

  it("judges SSH keys and CodeCommit credentials by the user's use of CodeCommit, from a report read that day", async () => {
    const codecommit = (name: string, daysAgo: number): UserSeed =>
      user(name, {
        inline: [
          {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['codecommit:*', 's3:*'], Resource: '*' }],
          },
        ],
        policies: [],
        lastUsedDaysAgo: { s3: 1, codecommit: daysAgo },
        sshKeys: [{ createdDaysAgo: 300 }],
        serviceCredentials: [{ serviceName: 'codecommit.amazonaws.com', createdDaysAgo: 300 }],
      })
    // Off by default (AWS does not document git over SSH in Access Advisor): nothing is judged.
    const off = givenAccount([codecommit('kai', 120)])
    expect((await off.sweep(0)).accounts[0]?.credentials?.totals.scheduled).toBe(0)
    const w = givenAccount([codecommit('kai', 120), codecommit('lee', 1)])
    const on = { credentialsByService: 'on' as const }
    const first = await w.sweep(0, on)
    expect(
      first.accounts[0]?.credentials?.scheduled.map((c) => [c.userName, c.credential.split(' ')[0]]),
    ).toEqual([
      ['kai', 'codecommit'],
      ['kai', 'SSH'],
    ])
    await w.sweep(7, on)
    expect(w.member('kai').sshKeys[0]?.status).toBe('Inactive')
    expect(w.member('kai').serviceCredentials[0]?.status).toBe('Inactive')
    expect(w.member('lee').sshKeys[0]?.status).toBe('Active')
    const restored = await w.restore(8, 'kai', { all: true })
    expect(restored.restored).toEqual([
      expect.stringMatching(/^codecommit credential ACCA/),
      expect.stringMatching(/^SSH key APKA/),
    ])
    expect(w.member('kai').sshKeys[0]?.status).toBe('Active')
  })

  it('leaves every credential as it is, and alerts, when the credential report cannot be had', async () => {
    const w = givenAccount([user('jay', { accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 150 }] })])
    h.emulator.injectFault({
      action: 'GenerateCredentialReport',
      account: w.id,
      times: Number.POSITIVE_INFINITY,
      code: 'AccessDenied',
    })
    const run = await w.sweep(0, { noticeDays: 0 })
    expect(run.accounts[0]?.outcome).toBe('swept') // the denies' work stands
    expect(run.accounts[0]?.credentials).toMatchObject({
      failed: expect.stringMatching(/AccessDenied|injected/),
      totals: { scheduled: 0 },
    })
    expect(w.key('jay').status).toBe('Active')
    expect(await h.store.audit.credentials('scheduled', w.id)).toEqual([])
    expect(h.logs.lines().some((l) => l.event === 'alert.credentials-failed' && l.accountId === w.id)).toBe(
      true,
    )
  })

  it('never judges a key quiet since before IAM tracked key use, nor a break-glass user', async () => {
    const w = givenAccount([
      // Neither has used anything: their keys were never used.
      user('old', { createdDaysAgo: 5000, lastUsedDaysAgo: {}, accessKeys: [{ createdDaysAgo: 4300 }] }),
      user('glass', { lastUsedDaysAgo: {}, accessKeys: [{ createdDaysAgo: 300 }] }),
    ])
    const first = await w.sweep(0, { neverDeactivateUsers: ['glass'] })
    expect(first.accounts[0]?.credentials).toMatchObject({ unknown: 1, totals: { scheduled: 0 } })
    await w.sweep(8, { neverDeactivateUsers: ['glass'] })
    expect(w.key('old').status).toBe('Active')
    expect(w.key('glass').status).toBe('Active')
  })
})
