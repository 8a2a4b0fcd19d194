/**
 * Notice before a new deny, end to end on the emulated organization with the clock advanced day by
 * day: announced in the digest with the owner's mention, listed by `audit scheduled`, carried out on
 * its day only on that day's complete report. Each test adds accounts of its own.
 */
import { describe, expect, it } from 'vitest'
import { slackNotifier } from '../../hub/runtime.js'
import { daysAfter } from '../../shared/domain/notice.js'
import type { UserSeed } from '../emulator/seed.js'
import { cliRunner } from '../support/cli-runner.js'
import { accountOnDays, DAY, day, T0 } from '../support/day-by-day.js'
import { ENFORCE, freshAccountId, must, PATH } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'
import { use } from '../support/use.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })
const slack = await startSlackStandIn()
const notifier = must(slackNotifier(h.runtime, { webhookUrl: slack.url }), 'Slack notifier')
const cli = cliRunner({ ...process.env, ...hubTestEnv() }, undefined, { store: h.store })
const OWNER_TAG = 'slack-member-id'

/** Holds S3 (and its object-lambda side, used daily); S3 itself last used `s3DaysAgo` before T0. */
const user = (name: string, s3DaysAgo: number, extra: Partial<UserSeed> = {}): UserSeed => ({
  name,
  createdDaysAgo: 400,
  policies: ['aws:AmazonS3FullAccess'],
  lastUsedDaysAgo: { s3: s3DaysAgo, 's3-object-lambda': 1 },
  ...extra,
})

function givenAccount(users: UserSeed[]) {
  const world = accountOnDays(h, users, { notifier, config: { ownerSlackTag: OWNER_TAG } })
  const denied = async (name: string) => (await h.store.audit.user(world.id, name))?.denied ?? []
  return { ...world, denied }
}

const lastDigest = () => JSON.stringify(slack.messages.at(-1)?.blocks ?? [])

/** A notice day for a sweep the CLI ran at the real time since `started`: either day, should midnight pass. */
const weekAfter = (started: Date) => `(${daysAfter(started, 7)}|${daysAfter(new Date(), 7)})`

describe('notice before a new deny', () => {
  it('onboards a new account: announces every deny with its owner, then carries them out on the day', async () => {
    const w = givenAccount([
      user('ann', 200, { tags: { [OWNER_TAG]: 'U0ANN1234' } }),
      user('ben', 200, { tags: { [OWNER_TAG]: '<!channel>' } }),
      user('cid', 200, { accessKeys: [{}] }),
      user('dee', 200),
      user('eve', 200),
      user('fay', 200),
    ])
    const due = daysAfter(T0, 7)

    // Day 0, the account's first enforce sweep, unconfirmed: nothing denied, everything announced.
    const first = await w.sweep(0)
    expect(first.accounts[0]).toMatchObject({ outcome: 'swept', counts: { unchanged: 6 } })
    expect(first.accounts[0]?.brake).toBeUndefined()
    expect(await w.denied('ann')).toEqual([])
    const digest = lastDigest()
    expect(digest).toContain(`account ${w.id} onboarded: 6 users, 6 denies scheduled for ${due}`)
    expect(digest).toContain(`Denies scheduled in the next 7 days: 6 user(s)`)
    expect(digest).toContain(`${w.id} ann <@U0ANN1234>: s3 on ${due}`)
    expect(digest).toContain(`least-privilege exempt --account ${w.id} --user ann --service s3 --days 30`)
    expect(digest).toContain(`least-privilege release --account ${w.id} --user ann --service s3`)
    expect(digest).toContain(`${w.id} ben (owner tag is not a Slack member id): s3 on ${due}`)
    expect(digest).not.toContain('<!channel>')

    const soon = await cli('audit', 'scheduled', '--account', w.id, '--within', '3', '--json')
    expect(JSON.parse(soon.stdout)).toEqual([])
    const week = await cli('audit', 'scheduled', '--account', w.id, '--within', '7', '--json')
    expect(JSON.parse(week.stdout)).toHaveLength(6)
    expect(JSON.parse(week.stdout)[0]).toMatchObject({
      accountId: w.id,
      userName: 'ann',
      service: 's3',
      on: due,
      onboarding: true,
    })
    const table = await cli('audit', 'scheduled', '--account', w.id)
    expect(table.stdout).toMatch(new RegExp(`${due}.*${w.id}.*ann.*1.*s3`))
    expect((await h.store.audit.user(w.id, 'ann'))?.nextScheduled).toBe(due)
    const history = await h.store.audit.history(w.id, { name: 'ann' }, 10)
    expect(history[0]).toMatchObject({ status: 'scheduled', scheduled: [{ namespace: 's3', on: due }] })

    // During the notice cid uses S3 again; nothing is denied before the day.
    use(w.member('cid'), 's3', day(3))
    for (let n = 1; n <= 6; n++) {
      const daily = await w.sweep(n)
      expect(daily.accounts[0]?.counts.enforced ?? 0).toBe(0)
    }

    // Day 7: dee's report fails, so nothing is denied for her and she stays scheduled.
    w.member('dee').accessAdvisorFails = true
    const enforcement = await w.sweep(7)
    expect(enforcement.accounts[0]?.brake).toBeUndefined() // the onboarding was announced whole
    expect(enforcement.accounts[0]?.counts).toMatchObject({ enforced: 4, error: 1, unchanged: 1 })
    for (const name of ['ann', 'ben', 'eve', 'fay']) expect(await w.denied(name)).toEqual(['s3'])
    expect(await w.denied('cid')).toEqual([])
    expect(await w.denied('dee')).toEqual([])
    expect((await h.store.audit.user(w.id, 'dee'))?.nextScheduled).toBe(due)
    const [cancelled] = await h.store.audit.history(w.id, { name: 'cid' }, 1)
    expect(cancelled).toMatchObject({
      status: 'schedule-cancelled',
      cancelled: [{ namespace: 's3', reason: 'used' }],
    })
    const [carried] = await h.store.audit.history(w.id, { name: 'ann' }, 1)
    expect(carried?.added).toEqual([
      expect.objectContaining({ namespace: 's3', scheduledOn: due, onboarding: true }),
    ])

    // Day 8: dee's report reads again and still shows S3 unused: carried out.
    w.member('dee').accessAdvisorFails = false
    await w.sweep(8)
    expect(await w.denied('dee')).toEqual(['s3'])
    expect(JSON.parse((await cli('audit', 'scheduled', '--account', w.id, '--json')).stdout)).toEqual([])
  })

  it('elsewhere the brake judges what is carried out on the day, not what is announced', async () => {
    // Reached before: nothing deniable at its first sweep. Five days later four users cross together.
    const w = givenAccount([user('gus', 85), user('hal', 85), user('ida', 85), user('jon', 85)])
    await w.sweep(0)
    expect((await h.store.users.loadAccount(w.id)).account?.enforcedSince).toBe(day(0).toISOString())
    const announced = await w.sweep(6)
    expect(announced.accounts[0]?.brake).toBeUndefined()
    expect(lastDigest()).not.toContain('onboarded')
    const due = daysAfter(day(6), 7)
    // Announced with its day, and the last use it was judged on (kept for audit scheduled and audit plan).
    expect((await h.store.audit.user(w.id, 'gus'))?.scheduled?.s3).toEqual({
      on: due,
      since: day(6).toISOString(),
      lastUsed: expect.any(String),
    })

    const braked = await w.sweep(13)
    expect(braked.accounts[0]?.brake).toMatch(/4 of 4 users/)
    expect(await w.denied('gus')).toEqual([])
    expect((await h.store.audit.user(w.id, 'gus'))?.nextScheduled).toBe(due) // still scheduled
    await w.sweep(13, {}, true)
    expect(await w.denied('gus')).toEqual(['s3'])
  })

  it("an onboarding deny is judged by the brake when the user's own report that day shows no use at all", async () => {
    // pia's reply is healthy; the four others' look like an outage's, on both days. Another user's
    // healthy report proves nothing about theirs; neither would a stored report of a good day.
    const w = givenAccount([...['lia', 'max', 'ned', 'ola'].map((name) => user(name, 200)), user('pia', 200)])
    for (const name of ['lia', 'max', 'ned', 'ola']) w.member(name).lastUsed = {} // "nothing was ever used"
    await w.sweep(0)
    const due = await w.sweep(7)
    expect(due.accounts[0]?.brake).toMatch(/4 of 5 users/)
    expect(await w.denied('pia')).toEqual([])
    expect(await w.denied('lia')).toEqual([])
    expect((await h.store.audit.user(w.id, 'lia'))?.nextScheduled).toBe(daysAfter(T0, 7))
  })

  it('a rollback restarts the clock of a deny whose policy someone deleted: the record holds it', async () => {
    const w = givenAccount([user('wes', 200)])
    await w.sweep(0, { noticeDays: 0 })
    const arn = must(
      w.member('wes').attached.find((a) => a.includes(PATH)),
      "wes's deny policy",
    )
    // An administrator detached and deleted our policy.
    w.member('wes').attached = w.member('wes').attached.filter((a) => a !== arn)
    w.account.policies.delete(arn)
    const rolled = await cli('rollback', '--account', w.id, '--user', 'wes', ...ENFORCE, '--json')
    expect(rolled.code).toBe(0)
    expect(JSON.parse(rolled.stdout).users).toEqual([
      expect.objectContaining({ userName: 'wes', released: ['s3'] }),
    ])
    const state = await h.store.audit.user(w.id, 'wes')
    expect(state).toMatchObject({ status: 'rolled-back', denied: [] })
    expect(Date.parse(state?.firstSeen?.s3 ?? '')).toBeGreaterThan(Date.now() - 60_000) // restarted
  })

  it('a rollback during the notice drops the scheduled denies: nothing lands on the day', async () => {
    const w = givenAccount(['pam', 'quin', 'ray'].map((name) => user(name, 200)))
    await w.sweep(0)
    const rolled = await cli('rollback', '--account', w.id, ...ENFORCE, '--yes', '--json')
    expect(rolled.code).toBe(0)
    expect(JSON.parse(rolled.stdout).users).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userName: 'pam', removedPolicies: [], cancelled: ['s3'] }),
      ]),
    )
    expect((await h.store.audit.user(w.id, 'pam'))?.scheduled).toBeUndefined()
    await w.sweep(7)
    for (const name of ['pam', 'quin', 'ray']) expect(await w.denied(name)).toEqual([])
  })

  it("the digest's exempt command keeps the scheduled services and lifts no deny in force", async () => {
    const w = givenAccount([
      user('sam', 200, {
        policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
        lastUsedDaysAgo: { s3: 200, ec2: 1, elasticloadbalancing: 1, cloudwatch: 1, autoscaling: 1 },
      }),
    ])
    await w.sweep(0, { noticeDays: 0 }) // S3 denied at once
    expect(await w.denied('sam')).toContain('s3')
    w.member('sam').lastUsed = { s3: day(-200), ec2: day(-200) } // EC2's family now long unused
    await w.sweep(1, { refreshDays: 1 })
    const line = must(
      lastDigest()
        .split('\\n')
        .find((l) => l.includes(`${w.id} sam`)),
      "sam's line in the digest",
    )
    const command = must(/least-privilege (exempt [^`]*)`/.exec(line)?.[1], 'the exempt command')
    expect(command).toMatch(
      /--service autoscaling --service cloudwatch --service ec2 --service elasticloadbalancing/,
    )
    const args = command.replace(' --reason "..."', '').split(' ')
    expect((await cli(...args, '--reason', 'needed for the quarterly job')).code).toBe(0)
    await w.sweep(8)
    expect(await w.denied('sam')).toContain('s3') // still denied: the exemption is the scheduled services'
    expect(await w.denied('sam')).not.toContain('ec2')
    expect((await h.store.audit.user(w.id, 'sam'))?.scheduled).toBeUndefined()
  })

  it('an account an older version held at the brake is not new: its next denies are judged on their day', async () => {
    const w = givenAccount(['tia', 'uma', 'vic'].map((name) => user(name, 200)))
    const held = await w.sweep(0, { noticeDays: 0 })
    expect(held.accounts[0]?.brake).toBeDefined() // users `braked`, nothing denied, no deny on record
    // The account row as an older version wrote it: no enforcedSince.
    const row = must((await h.store.users.loadAccount(w.id)).account, 'account row')
    const { enforcedSince: _kept, ...older } = row
    await h.store.users.saveAccountState(older)
    expect((await h.store.users.loadAccount(w.id)).account?.enforcedSince).toBeUndefined()
    await w.sweep(1)
    expect(lastDigest()).not.toContain('onboarded')
    expect((await h.store.audit.user(w.id, 'tia'))?.scheduled?.s3?.onboarding).toBeUndefined()
  })

  it('plan mode shows what would be scheduled, and when, without announcing anything', async () => {
    const w = givenAccount([user('kim', 200)])
    const started = new Date()
    const plan = await cli('sweep', '--plan', '--account', w.id, '--user', 'kim', '--notice-days', '7')
    expect(plan.code).toBe(0)
    expect(plan.stdout).toMatch(new RegExp(`schedule.*s3.*deny on ${weekAfter(started)}`))
    expect(await h.store.audit.user(w.id, 'kim')).toBeUndefined()
  })

  it("keeps a plan sweep's per-user plan for review: audit plan lists each deny's day and each last use", async () => {
    const w = givenAccount([user('lou', 200), user('max', 10)])
    const started = new Date()
    const plan = await cli('sweep', '--plan', '--account', w.id, '--notice-days', '7', '--json')
    expect(plan.code, plan.stderr).toBe(0)
    const { sweepId } = JSON.parse(plan.stdout) as { sweepId: string }
    const review = await cli('audit', 'plan', sweepId)
    expect(review.code, review.stderr).toBe(0)
    const lastUse = new Date(T0.getTime() - 200 * DAY).toISOString().slice(0, 10)
    expect(review.stdout).toMatch(/^covers 1 of the 1 accounts it targeted\n1 user would change$/m)
    expect(review.stdout).toMatch(
      new RegExp(`${w.id} .*lou .*deny on ${weekAfter(started)} .*1 .*s3 \\(${lastUse}\\)`),
    )
    expect(review.stdout).not.toMatch(/max/) // uses S3 within the window: nothing would change
    const json = JSON.parse((await cli('audit', 'plan', sweepId, '--account', w.id, '--json')).stdout)
    expect(json).toEqual([
      expect.objectContaining({
        userName: 'lou',
        added: [],
        scheduled: [expect.objectContaining({ key: 's3' })],
      }),
    ])
    // A plan announces nothing: the enforce sweep that follows schedules as if no plan had been made.
    expect((await h.store.audit.user(w.id, 'lou'))?.scheduled).toBeUndefined()
    const enforced = await cli('sweep', '--enforce', '--account', w.id, '--notice-days', '7', '--json')
    const enforceId = (JSON.parse(enforced.stdout) as { sweepId: string }).sweepId
    const refused = await cli('audit', 'plan', enforceId)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/is an enforce sweep; audit sweep/)
  })

  it('cancels a whole schedule in one short command (release --scheduled), and says when there is none', async () => {
    const w = givenAccount([user('gil', 200), user('hal', 200)])
    await w.sweep(0)
    expect((await h.store.audit.user(w.id, 'gil'))?.nextScheduled).toBe(daysAfter(T0, 7))
    const cancel = await cli(
      'release',
      '--account',
      w.id,
      '--user',
      'gil',
      '--scheduled',
      '--reason',
      'keeps S3',
      '--enforce',
    )
    expect(cancel.code).toBe(0)
    expect((await h.store.audit.user(w.id, 'gil'))?.nextScheduled).toBeUndefined()
    expect((await h.store.audit.user(w.id, 'hal'))?.nextScheduled).toBe(daysAfter(T0, 7))
    const none = await cli('release', '--account', w.id, '--user', 'gil', '--scheduled', ...ENFORCE)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/scheduled: no deny scheduled for gil in \d{12}/)
  })
})
