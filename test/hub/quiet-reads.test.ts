/**
 * Refresh reads the credential report makes unneeded, end to end: a user whose keys show no use since
 * their stored Access Advisor report was read is planned on it; anyone else due a read is read, and a
 * deny is never added without a read in the same sweep.
 */
import { describe, expect, it } from 'vitest'
import { makeCredentialReport } from '../emulator/credentials-api.js'
import type { UserSeed } from '../emulator/seed.js'
import { accountOnDays, day } from '../support/day-by-day.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { use } from '../support/use.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const HOUR = 3_600_000

const s3User = (name: string, lastUsedDaysAgo: Record<string, number>): UserSeed => ({
  name,
  createdDaysAgo: 400,
  policies: ['aws:AmazonS3FullAccess'],
  lastUsedDaysAgo,
  accessKeys: [{}], // last used when the user last used a service
})

/** Four users read on day 0; on day 7 every report is REFRESH_DAYS old, so each is due a read. */
async function givenWeekOld(changes: (w: ReturnType<typeof accountOnDays>) => void = () => {}) {
  const w = accountOnDays(
    h,
    [
      s3User('ivy', { s3: 30, 's3-object-lambda': 30 }),
      s3User('max', { s3: 30, 's3-object-lambda': 30 }),
      // S3 crosses the 90-day window on day 5: a deny to add, whatever her keys say.
      s3User('carol', { s3: 85, 's3-object-lambda': 30 }),
      {
        ...s3User('cody', { s3: 30 }),
        policies: [],
        inline: [
          {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['s3:*', 'codecommit:*'], Resource: '*' }],
          },
        ],
      },
    ],
    { config: { noticeDays: 0 } },
  )
  await w.sweep(0, {}, true)
  changes(w)
  // The credential report IAM serves on day 7, made an hour before the sweep.
  makeCredentialReport(w.account, new Date(day(7).getTime() - HOUR))
  const swept = await w.sweep(7, {}, true)
  const records = await h.store.users.loadAccount(w.id)
  const readOn = (name: string) => must(records.reports.get(w.member(name).id), name).readAt
  return { w, swept, readOn, records }
}

describe('refresh reads and the credential report', () => {
  it("skips the read of a user whose keys show no use since their report, and reads the others'", async () => {
    const { swept, readOn } = await givenWeekOld((w) => {
      // max used S3 on day 5 with his key: his stored report does not know it.
      use(w.member('max'), 's3', day(5))
    })
    expect(readOn('ivy')).toBe(day(0).toISOString())
    expect(readOn('max')).toBe(day(7).toISOString())
    // Granted CodeCommit, whose SSH keys and Git credentials the report does not show.
    expect(readOn('cody')).toBe(day(7).toISOString())
    expect(swept.accounts[0]).toMatchObject({ readsSkipped: 1 })
  })

  it('reads a quiet user before a deny, and denies on that read', async () => {
    const { readOn, w } = await givenWeekOld()
    expect(readOn('carol')).toBe(day(7).toISOString())
    expect((await h.store.audit.user(w.id, 'carol'))?.denied).toContain('s3')
  })

  it('reads a user whose key on record at the read is gone (it may have been used, then deleted)', async () => {
    const { readOn } = await givenWeekOld((w) => {
      w.member('ivy').accessKeys = []
    })
    expect(readOn('ivy')).toBe(day(7).toISOString())
  })

  it('keeps with each report what the user could sign with, so the next sweep can tell', async () => {
    const { records, w } = await givenWeekOld((w) => {
      // max rotated his key on day 3: the day-0 read kept the old one, so he is read, and keeps the new.
      const max = w.member('max')
      max.accessKeys = [{ id: 'AKIAMAXROTATED000001', status: 'Active', createDate: day(3) }]
    })
    expect(records.reports.get(w.member('ivy').id)?.credentials).toEqual([
      `key:${must(w.member('ivy').accessKeys[0], 'key').createDate.toISOString()}`,
    ])
    const key = must(w.member('max').accessKeys[0], 'key')
    expect(key.createDate).toEqual(day(3))
    expect(records.reports.get(w.member('max').id)?.credentials).toEqual([
      `key:${key.createDate.toISOString()}`,
    ])
  })
})
