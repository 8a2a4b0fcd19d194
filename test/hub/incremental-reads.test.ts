import { AttachUserPolicyCommand } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import { refreshSlot } from '../../shared/domain/report-reuse.js'
import { makeCredentialReport } from '../emulator/credentials-api.js'
import { credentialsFor } from '../emulator/server.js'
import { DAY, day, T0 } from '../support/day-by-day.js'
import { freshAccountId, must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
/**
 * UserIds whose refresh day of the 7-day cycle is day 0's (and so day 7's): between, only what the
 * tests do calls for a read.
 */
let next = 0
function userIdOnDayZero(): string {
  const slot = Math.floor(T0.getTime() / DAY) % 7
  for (;;) {
    const id = `AIDAINCREMENTAL${String(next++).padStart(6, '0')}`
    if (refreshSlot(id, 7) === slot) return id
  }
}

/** An account of `steady` users who use S3 daily, and carol, whose last S3 use was 85 days ago. */
function givenAccount(steady = 4) {
  const id = freshAccountId()
  const account = h.emulator.addAccount(
    {
      id,
      users: [
        ...Array.from({ length: steady }, (_, i) => ({
          name: `dev${i}`,
          id: userIdOnDayZero(),
          createdDaysAgo: 400,
          policies: ['aws:AmazonS3FullAccess'],
          lastUsedDaysAgo: { s3: 1, 's3-object-lambda': 1 },
          accessKeys: [{}], // used with their last use: none is quiet (quiet-reads.test.ts)
        })),
        {
          name: 'carol',
          id: userIdOnDayZero(),
          createdDaysAgo: 400,
          policies: ['aws:AmazonS3FullAccess'],
          lastUsedDaysAgo: { s3: 85, 's3-object-lambda': 1 },
          accessKeys: [{}],
        },
      ],
    },
    T0,
  )
  const reads = () => h.emulator.count({ action: 'GenerateServiceLastAccessedDetails', account: id })
  const sweep = (n: number, full = false) =>
    runSweep(h.deps({ now: () => day(n), sleep: async () => undefined }), h.config(), {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      accounts: [id],
      confirmLargeChange: true,
      ...(full ? { fullReads: true } : {}),
    })
  return { id, account, reads, sweep, carol: () => must(account.users.get('carol'), 'carol') }
}

describe('incremental Access Advisor reads', () => {
  it('skips the reads a stored report answers, and says how many', async () => {
    const w = givenAccount()
    await w.sweep(0)
    expect(w.reads()).toBe(5)
    const next = await w.sweep(1)
    expect(w.reads()).toBe(5)
    expect(next.summary).toMatchObject({ readsSkipped: 5 })
    expect(next.accounts[0]).toMatchObject({ readsSkipped: 5, counts: { unchanged: 5 } })
    const full = await w.sweep(1, true)
    expect(w.reads()).toBe(10)
    expect(full.summary?.readsSkipped).toBe(0)
  })

  it('reads a user afresh before any deny: a service about to cross the window, used since, stays allowed', async () => {
    const w = givenAccount()
    await w.sweep(0)
    w.carol().lastUsed.s3 = day(2) // carol used S3 again; her stored report does not know
    await w.sweep(3)
    expect(w.reads()).toBe(5) // nothing crosses yet: no read
    await w.sweep(6) // the stored report says S3 crosses 90 days today: a fresh read decides
    expect(w.reads()).toBe(6)
    expect((await h.store.audit.user(w.id, 'carol'))?.denied ?? []).not.toContain('s3')
  })

  it('denies a service that crossed the window only on a report read in the same sweep', async () => {
    const w = givenAccount()
    await w.sweep(0)
    const crossed = await w.sweep(6)
    expect(w.reads()).toBe(6) // carol's report, read again
    expect(crossed.accounts[0]?.counts.enforced).toBe(1)
    expect((await h.store.audit.user(w.id, 'carol'))?.denied).toContain('s3')
    const report = must(
      (await h.store.users.loadAccount(w.id)).reports.get(w.carol().id),
      "carol's stored report",
    )
    expect(report).toMatchObject({ sweepId: crossed.sweepId, readAt: day(6).toISOString() })
  })

  it('reads a user whose grants changed, and anyone whose report is REFRESH_DAYS old', async () => {
    const w = givenAccount()
    await w.sweep(0)
    const admin = createIamClient({ credentials: credentialsFor(w.id), maxAttempts: 1 })
    await admin.send(
      new AttachUserPolicyCommand({
        UserName: 'dev0',
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2FullAccess',
      }),
    )
    await w.sweep(1)
    expect(w.reads()).toBe(6) // dev0 only
    // Day 7's credential report: every user's key was used within 60 hours of their read, so none is quiet.
    makeCredentialReport(w.account, new Date(day(7).getTime() - 3_600_000))
    await w.sweep(7)
    // Everyone: four reports are 7 days old, and dev0's (read on day 1) is read on its refresh day.
    expect(w.reads()).toBe(11)
  })
})
