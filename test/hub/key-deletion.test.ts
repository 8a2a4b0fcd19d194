/**
 * Deleting access keys nobody took back (CREDENTIAL_DELETE_AFTER_DAYS), end to end on the emulated
 * organization, day by day: a key the project deactivated and that stayed inactive and unused is deleted
 * after its second period, and only then; never when deletion is off, when the sweep's clock disagrees
 * with AWS's, or when someone put the key back and used it meanwhile; a mass deletion waits for the brake.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { HubConfig } from '../../hub/config.js'
import { slackNotifier } from '../../hub/runtime.js'
import { restoreCredentials } from '../../shared/app/operator.js'
import { makeCredentialReport } from '../emulator/credentials-api.js'
import type { UserSeed } from '../emulator/seed.js'
import { accountOnDays, day } from '../support/day-by-day.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { MemoryStateStore } from '../support/memory-store.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'
import { use } from '../support/use.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const slack = await startSlackStandIn()
const notifier = must(slackNotifier(h.runtime, { webhookUrl: slack.url }), 'Slack notifier')
const DELETING = { credentialDeleteAfterDays: 30 } as const
/**
 * Each test's own state table: deletion's stretch of sweeps is the organization's (the last sweep's,
 * whichever account it reached), so stories on other days must not share one ledger.
 */
let ledger = new MemoryStateStore()
beforeEach(() => {
  ledger = new MemoryStateStore()
})
const store = () => ledger

/** A user who uses S3 daily, with one key unused for 120 days: announced on day 0, inactive from day 7. */
const idle = (name: string): UserSeed => ({
  name,
  createdDaysAgo: 400,
  policies: ['aws:AmazonS3FullAccess'],
  lastUsedDaysAgo: { s3: 1, 's3-object-lambda': 1 },
  accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 120 }],
})

/**
 * An account whose users' keys were announced on day 0 and deactivated on day 7, swept with `config`
 * (deletion on or off then). `sweepWithReport` gives each sweep the credential report IAM would have made
 * that day: the emulator's own is dated by the wall clock, which a day-n sweep's clock disagrees with.
 */
async function deactivatedOnDay7(names: string[], config: Partial<HubConfig> = {}) {
  const { id, account, sweep, member } = accountOnDays(h, names.map(idle), { notifier, store: store() })
  const sweepWithReport = (n: number, settings: Partial<HubConfig> = {}, confirm = false) => {
    makeCredentialReport(account, day(n))
    return sweep(n, settings, confirm)
  }
  await sweepWithReport(0, config)
  await sweepWithReport(7, config)
  const keyOf = (name: string) => member(name).accessKeys[0]
  for (const name of names) expect(keyOf(name)?.status).toBe('Inactive')
  const keyIds = new Map(names.map((n) => [n, must(keyOf(n), `${n}'s key`).id]))
  return { id, account, sweep, sweepWithReport, keyOf, keyIds, member }
}

const deletedRows = (accountId: string) => store().audit.credentials('deleted', accountId)

describe('deleting keys nobody took back', () => {
  it('deletes a key of ours still inactive and unused once its second period has run, and keeps the record', async () => {
    const w = await deactivatedOnDay7(['ann'], DELETING)
    // Announced NOTICE_DAYS (7) ahead, with the restore that keeps it.
    const announced = await w.sweepWithReport(30, DELETING)
    expect(announced.accounts[0]?.credentials?.deleting).toEqual([
      { userName: 'ann', credential: `key ${w.keyIds.get('ann')}`, on: day(37).toISOString().slice(0, 10) },
    ])
    expect(JSON.stringify(slack.messages.at(-1)?.blocks)).toContain('Inactive access keys to be deleted')
    await w.sweepWithReport(36, DELETING)
    expect(w.keyOf('ann')?.status).toBe('Inactive')
    const done = await w.sweepWithReport(37, DELETING)
    expect(w.member('ann').accessKeys).toEqual([])
    const id = w.keyIds.get('ann')
    expect(done.accounts[0]?.credentials).toMatchObject({
      deleted: [{ userName: 'ann', credential: `key ${id}` }],
      totals: { deleted: 1 },
    })
    expect(await deletedRows(w.id)).toEqual([
      expect.objectContaining({
        credentialId: id,
        status: 'deleted',
        deactivatedAt: day(7).toISOString(),
        inactiveFrom: day(7).toISOString(),
        deleteOn: day(37).toISOString().slice(0, 10),
        since: day(37).toISOString(),
      }),
    ])
    expect(await store().audit.credentials('deactivated', w.id)).toEqual([])
    const history = await store().audit.history(w.id, { name: 'ann' }, 10)
    expect(history[0]).toMatchObject({ status: 'credential-deleted', credential: { credentialId: id } })
    expect(JSON.stringify(slack.messages.at(-1)?.blocks)).toContain('Inactive access keys deleted')

    // Nothing brings it back, and the restore says so rather than pretending.
    await expect(
      restoreCredentials(h.operator({ now: () => day(38), store: store() }), h.config(), {
        accountId: w.id,
        userName: 'ann',
        target: { keys: [must(id, 'key id')], password: false },
        reason: 'needed for the quarterly export',
        enforce: true,
        actor: 'arn:aws:sts::111111111111:assumed-role/operator/alice',
      }),
    ).rejects.toThrow(/was deleted by the project on .* inactive since .*: it cannot be put back/)
    // The next sweeps leave the record as it is.
    await w.sweepWithReport(38, DELETING)
    expect(await deletedRows(w.id)).toHaveLength(1)
  })

  it('deletes nothing while deletion is off (the default); turned on, it counts from that day', async () => {
    const w = await deactivatedOnDay7(['bea'])
    await w.sweepWithReport(60)
    expect(w.keyOf('bea')?.status).toBe('Inactive')
    expect(await deletedRows(w.id)).toEqual([])
    // Turned on on day 61: the key deactivated on day 7 is not due at once, but 30 days from then,
    // announced 7 days ahead.
    await w.sweepWithReport(61, DELETING)
    const announced = await w.sweepWithReport(84, DELETING)
    expect(announced.accounts[0]?.credentials?.deleting).toEqual([
      expect.objectContaining({ userName: 'bea', on: day(91).toISOString().slice(0, 10) }),
    ])
    await w.sweepWithReport(90, DELETING)
    expect(w.keyOf('bea')?.status).toBe('Inactive')
    await w.sweepWithReport(91, DELETING)
    expect(w.member('bea').accessKeys).toEqual([])
  })

  it.each([
    ['deletion off', { credentialDeleteAfterDays: 'off' as const }],
    // Credentials off: the account's credentials are not even looked at, and the stretch ends all the same.
    ['credentials off', { credentials: 'off' as const }],
  ])(
    'turned off (%s) and on again, starts anew: nothing announced before is deleted without a new period',
    async (_how, off) => {
      const w = await deactivatedOnDay7(['ona'], DELETING)
      await w.sweepWithReport(30, DELETING)
      expect((await store().audit.credentials('deactivated', w.id))[0]?.deleteOn).toBe(
        day(37).toISOString().slice(0, 10),
      )
      await w.sweepWithReport(31, { ...DELETING, ...off })
      // On again on day 100, long past the day once announced: a new period from then, a new notice.
      const again = await w.sweepWithReport(100, DELETING)
      expect(again.accounts[0]?.credentials?.deleting).toEqual([])
      expect(w.keyOf('ona')?.status).toBe('Inactive')
      const announced = await w.sweepWithReport(123, DELETING)
      expect(announced.accounts[0]?.credentials?.deleting).toEqual([
        expect.objectContaining({ userName: 'ona', on: day(130).toISOString().slice(0, 10) }),
      ])
      await w.sweepWithReport(129, DELETING)
      expect(w.keyOf('ona')?.status).toBe('Inactive')
      await w.sweepWithReport(130, DELETING)
      expect(w.member('ona').accessKeys).toEqual([])
    },
  )

  it('promises nothing for a user deleted outside the project after their key was announced', async () => {
    const w = await deactivatedOnDay7(['uma'], DELETING)
    const announced = await w.sweepWithReport(30, DELETING)
    expect(announced.accounts[0]?.credentials?.deleting).toHaveLength(1)
    w.account.users.delete('uma')
    const after = await w.sweepWithReport(31, DELETING)
    expect(after.accounts[0]?.credentials?.deleting).toEqual([])
  })

  it('turned on, never trips the brake by starting periods: only what a sweep takes away is judged', async () => {
    // Keys in use when the account was reached, crossing the window together later: deactivated on a
    // confirmed sweep (not as the onboarding), six at once.
    const names = ['kai', 'lou', 'max', 'ned', 'oli', 'pam']
    const users = names.map((n) => ({
      ...idle(n),
      accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 85 }],
    }))
    const { id, account, sweep } = accountOnDays(h, users, { notifier, store: store() })
    await sweep(0)
    await sweep(10, { noticeDays: 0 }, true)
    expect(await store().audit.credentials('deactivated', id)).toHaveLength(6)
    makeCredentialReport(account, day(20))
    const on = await sweep(20, DELETING)
    expect(on.accounts[0]?.credentials?.held).toBeUndefined()
    const rows = await store().audit.credentials('deactivated', id)
    expect(rows.map((r) => r.inactiveFrom)).toEqual(names.map(() => day(20).toISOString()))
  })

  it('tells a deletion IAM refused (a spoke role not yet granted it) as not made, and tries again the next day', async () => {
    const w = await deactivatedOnDay7(['jay'], DELETING)
    await w.sweepWithReport(30, DELETING)
    h.emulator.injectFault({ action: 'DeleteAccessKey', account: w.id, times: 1, code: 'AccessDenied' })
    const refused = await w.sweepWithReport(37, DELETING)
    expect(refused.accounts[0]?.credentials).toMatchObject({ deleted: [], totals: { deleted: 0 } })
    expect(w.keyOf('jay')?.status).toBe('Inactive')
    expect(await store().audit.credentials('deactivated', w.id)).toEqual([
      expect.objectContaining({ userName: 'jay', inactiveFrom: day(7).toISOString() }),
    ])
    expect(h.logs.lines().some((l) => l.event === 'alert.user-error' && l.accountId === w.id)).toBe(true)
    const again = await w.sweepWithReport(38, DELETING)
    expect(again.accounts[0]?.credentials?.totals.deleted).toBe(1)
    expect(w.member('jay').accessKeys).toEqual([])
  })

  it('never deletes the key of a user left alone (a break-glass name) after it was deactivated', async () => {
    const w = await deactivatedOnDay7(['zed'], DELETING)
    await w.sweepWithReport(30, DELETING)
    const alone = { ...DELETING, neverDeactivateUsers: ['zed'] }
    // Its announced deletion is withdrawn the first day its user is left alone.
    const withdrawn = await w.sweepWithReport(31, alone)
    expect(withdrawn.accounts[0]?.credentials?.deleting).toEqual([])
    await w.sweepWithReport(40, alone)
    expect(w.keyOf('zed')?.status).toBe('Inactive')
    expect(await deletedRows(w.id)).toEqual([])
  })

  it("deletes nothing while the sweep's clock disagrees with the date AWS put on the credential report", async () => {
    const w = await deactivatedOnDay7(['cal'], DELETING)
    // No report of day 60: IAM's is the one made hours ago by the wall clock, 53 days before the sweep's.
    await w.sweep(60, DELETING)
    expect(w.keyOf('cal')?.status).toBe('Inactive')
    expect(h.logs.lines().some((l) => l.event === 'alert.clock' && l.accountId === w.id)).toBe(true)
    // With a report of its own day, the key (its period long run) is announced, and deleted 7 days on.
    await w.sweepWithReport(61, DELETING)
    expect(w.keyOf('cal')?.status).toBe('Inactive')
    await w.sweepWithReport(68, DELETING)
    expect(w.member('cal').accessKeys).toEqual([])
  })

  it('never deletes a key someone put back and used, then made inactive again: it is theirs now', async () => {
    const w = await deactivatedOnDay7(['dan'], DELETING)
    const key = must(w.keyOf('dan'), "dan's key")
    // Between two sweeps: put back, used, and made inactive again.
    key.status = 'Active'
    use(w.member('dan'), 's3:GetObject', day(10))
    key.status = 'Inactive'
    const after = await w.sweepWithReport(40, DELETING)
    expect(w.keyOf('dan')?.status).toBe('Inactive')
    expect(after.accounts[0]?.credentials?.reactivated).toEqual([
      { userName: 'dan', credential: `key ${key.id}` },
    ])
    expect(
      h.logs.lines().some((l) => l.event === 'alert.credential-reactivated' && l.accountId === w.id),
    ).toBe(true)
    expect(await store().audit.credentials('deactivated', w.id)).toEqual([])
    await w.sweepWithReport(80, DELETING)
    expect(w.keyOf('dan')?.status).toBe('Inactive')
  })

  it('holds a mass deletion with the brake, even of keys deactivated as the onboarding, until confirmed', async () => {
    const names = ['eve', 'fox', 'gil', 'hue', 'ivy']
    const w = await deactivatedOnDay7(names, DELETING)
    await w.sweepWithReport(30, DELETING)
    const held = await w.sweepWithReport(37, DELETING)
    expect(held.accounts[0]?.credentials?.held).toMatch(
      /5 of 5 credentials \(100%\) would be taken away at once/,
    )
    for (const n of names) expect(w.keyOf(n)?.status).toBe('Inactive')
    expect(await deletedRows(w.id)).toEqual([])
    await w.sweepWithReport(38, DELETING, true)
    for (const n of names) expect(w.member(n).accessKeys).toEqual([])
    expect(await deletedRows(w.id)).toHaveLength(5)
  })
})
