import { describe, expect, it } from 'vitest'
import { BEFORE_READ, firstOutcome, type ReadGateInput } from '../../shared/domain/gates.js'
import { daysAfter, ownerOf, scheduledDenies } from '../../shared/domain/notice.js'
import { type PlanInput, planDenySet } from '../../shared/domain/planner.js'
import type { ScheduledDeny } from '../../shared/domain/records.js'
import { nextUserState } from '../../shared/domain/user-state.js'

const DAY = 86_400_000
const T0 = new Date('2026-06-01T06:00:00Z')
const on = (n: number) => new Date(T0.getTime() + n * DAY)
const lastUsed = (daysBeforeT0: number) => new Date(T0.getTime() - daysBeforeT0 * DAY)

/** A user granted S3 and EC2 for a year; S3 last used 100 days before T0, EC2 yesterday. */
function input(day: number, overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    report: [
      { namespace: 's3', lastAuthenticated: lastUsed(100) },
      { namespace: 'ec2', lastAuthenticated: lastUsed(1) },
    ],
    currentlyDenied: new Set(),
    deniedSince: {},
    lastAttempts: {},
    firstSeen: undefined,
    userCreateDate: lastUsed(365),
    now: on(day),
    windowDays: 90,
    neverDeny: new Set(),
    exemptServices: new Set(),
    scheduled: {},
    noticeDays: 7,
    onboarding: false,
    ...overrides,
  }
}

const s3On = (day: number, extra: Partial<ScheduledDeny> = {}): Record<string, ScheduledDeny> => ({
  s3: { on: daysAfter(on(day), 0), since: on(day - 7).toISOString(), ...extra },
})

describe('the lifecycle of a scheduled deny', () => {
  const cases: {
    name: string
    given: PlanInput
    deny: string[]
    scheduled: Record<string, string>
    newlyScheduled?: string[]
    cancelled?: { namespace: string; reason: string }[]
    carriedOut?: string[]
  }[] = [
    {
      name: 'unused → scheduled NOTICE_DAYS ahead, nothing denied yet',
      given: input(0),
      deny: [],
      scheduled: { s3: '2026-06-08' },
      newlyScheduled: ['s3'],
    },
    {
      name: 'scheduled, its day not come → still scheduled, not scheduled again',
      given: input(3, { scheduled: s3On(7) }),
      deny: [],
      scheduled: { s3: '2026-06-08' },
    },
    {
      name: 'scheduled → still unused on its day → denied, carried out',
      given: input(7, { scheduled: s3On(7) }),
      deny: ['s3'],
      scheduled: {},
      carriedOut: ['s3'],
    },
    {
      name: 'scheduled → the first sweep after its day carries it out (a day missed)',
      given: input(9, { scheduled: s3On(7) }),
      deny: ['s3'],
      scheduled: {},
      carriedOut: ['s3'],
    },
    {
      name: 'scheduled → used during the notice → cancelled, never denied',
      given: input(7, {
        scheduled: s3On(7),
        report: [
          { namespace: 's3', lastAuthenticated: on(4) },
          { namespace: 'ec2', lastAuthenticated: on(6) },
        ],
      }),
      deny: [],
      scheduled: {},
      cancelled: [{ namespace: 's3', reason: 'used' }],
    },
    {
      name: 'scheduled → exempted for the service during the notice → cancelled',
      given: input(5, { scheduled: s3On(7), exemptServices: new Set(['s3']) }),
      deny: [],
      scheduled: {},
      cancelled: [{ namespace: 's3', reason: 'exempt' }],
    },
    {
      name: 'scheduled → put on the never-deny list → cancelled',
      given: input(5, { scheduled: s3On(7), neverDeny: new Set(['s3']) }),
      deny: [],
      scheduled: {},
      cancelled: [{ namespace: 's3', reason: 'never-deny' }],
    },
    {
      name: 'scheduled → no longer granted → cancelled',
      given: input(5, { scheduled: s3On(7), report: [{ namespace: 'ec2', lastAuthenticated: on(4) }] }),
      deny: [],
      scheduled: {},
      cancelled: [{ namespace: 's3', reason: 'not-granted' }],
    },
    {
      name: 'NOTICE_DAYS=0 → denied at once, nothing scheduled',
      given: input(0, { noticeDays: 0 }),
      deny: ['s3'],
      scheduled: {},
    },
    {
      name: 'NOTICE_DAYS set to 0 while a deny is scheduled → carried out now',
      given: input(2, { noticeDays: 0, scheduled: s3On(7) }),
      deny: ['s3'],
      scheduled: {},
      carriedOut: ['s3'],
    },
  ]

  for (const c of cases) {
    it(c.name, () => {
      const plan = planDenySet(c.given)
      expect(plan.deny).toEqual(c.deny)
      expect(Object.fromEntries(Object.entries(plan.scheduled).map(([ns, s]) => [ns, s.on]))).toEqual(
        c.scheduled,
      )
      expect(plan.newlyScheduled).toEqual(c.newlyScheduled ?? [])
      expect(plan.cancelled).toEqual(c.cancelled ?? [])
      expect(plan.added.filter((a) => a.scheduledOn).map((a) => a.namespace)).toEqual(c.carriedOut ?? [])
    })
  }

  it('an onboarding schedule marks what it carries out, for the brake to leave it alone', () => {
    const first = planDenySet(input(0, { onboarding: true }))
    expect(first.scheduled.s3).toMatchObject({ on: '2026-06-08', onboarding: true })
    const due = planDenySet(input(7, { scheduled: first.scheduled }))
    expect(due.added).toEqual([
      {
        namespace: 's3',
        reason: 'unused',
        lastUsed: lastUsed(100).toISOString(),
        scheduledOn: '2026-06-08',
        onboarding: true,
      },
    ])
  })

  const gate = (overrides: Partial<ReadGateInput>) =>
    firstOutcome(BEFORE_READ, {
      user: {
        name: 'ann',
        id: 'AIDAANN',
        arn: 'arn:aws:iam::123456789012:user/ann',
        path: '/',
        createDate: lastUsed(365),
        tags: {},
        attachedPolicyArns: [],
        grantsDigest: 'd',
      },
      now: on(3),
      windowDays: 90,
      currentlyDenied: new Set(['ec2']),
      priorFirstSeen: { s3: lastUsed(365).toISOString(), ec2: lastUsed(365).toISOString() },
      scheduled: s3On(7),
      exemptTag: undefined,
      exemptUntil: undefined,
      release: undefined,
      lostExemptions: undefined,
      ...overrides,
    })

  it('a release during the notice cancels it and restarts the clock: a full window before it is scheduled again', () => {
    const outcome = gate({ release: ['s3'] })
    if (outcome?.kind !== 'lift') throw new Error(`expected a lift, got ${outcome?.kind}`)
    expect(outcome.plan).toMatchObject({
      deny: ['ec2'],
      removed: [],
      scheduled: {},
      cancelled: [{ namespace: 's3', reason: 'released' }],
    })
    expect(outcome.plan.firstSeen.s3).toBe(on(3).toISOString())
    const later = planDenySet(
      input(30, { firstSeen: outcome.plan.firstSeen, currentlyDenied: new Set(['ec2']) }),
    )
    expect(later.scheduled).toEqual({})
    expect(later.cancelled).toEqual([])
  })

  it('a whole-user exemption during the notice cancels every scheduled deny', () => {
    const outcome = gate({ exemptUntil: on(30).toISOString() })
    if (outcome?.kind !== 'lift') throw new Error(`expected a lift, got ${outcome?.kind}`)
    expect(outcome.plan.scheduled).toEqual({})
    expect(outcome.plan.cancelled).toEqual([{ namespace: 's3', reason: 'exempt' }])
  })

  it('a release names a service neither denied nor scheduled as the mistake it is', () => {
    expect(gate({ release: ['lambda'] })).toEqual({
      kind: 'refuse',
      reason: 'service: lambda is neither denied nor scheduled for ann',
    })
  })
})

describe('the schedule on record', () => {
  const decision = (scheduled: Record<string, ScheduledDeny> | undefined) => ({
    accountId: '123456789012',
    userName: 'ann',
    userId: 'AIDAANN',
    userArn: 'arn:aws:iam::123456789012:user/ann',
    status: 'unchanged' as const,
    reason: '',
    denied: [],
    added: [],
    removed: [],
    policyArns: [],
    policyDigests: [],
    writes: 0,
    ...(scheduled ? { scheduled } : {}),
  })

  it('is kept from enforce mode only, and survives a decision that planned nothing (an error)', () => {
    const planned = nextUserState(undefined, decision(s3On(7)), 's1', on(0), 'plan')
    expect(planned.scheduled).toBeUndefined()
    const enforced = nextUserState(undefined, decision(s3On(7)), 's1', on(0), 'enforce')
    expect(enforced).toMatchObject({ nextScheduled: '2026-06-08', scheduled: { s3: { on: '2026-06-08' } } })
    const failed = nextUserState(enforced, decision(undefined), 's2', on(7), 'enforce')
    expect(failed.scheduled).toEqual(enforced.scheduled)
    const carried = nextUserState(enforced, decision({}), 's3', on(7), 'enforce')
    expect(carried.scheduled).toBeUndefined()
    expect(carried.nextScheduled).toBeUndefined()
  })

  it('lists the denies due within a horizon, soonest first', () => {
    const users = [
      { accountId: '2', userName: 'b', scheduled: { s3: { on: '2026-06-09', since: 'x' } } },
      {
        accountId: '1',
        userName: 'a',
        scheduled: {
          ec2: { on: '2026-06-08', since: 'y', onboarding: true as const },
          s3: { on: '2026-06-20', since: 'y' },
        },
      },
    ]
    expect(scheduledDenies(users, '2026-06-10')).toEqual([
      { accountId: '1', userName: 'a', service: 'ec2', on: '2026-06-08', since: 'y', onboarding: true },
      { accountId: '2', userName: 'b', service: 's3', on: '2026-06-09', since: 'x', onboarding: false },
    ])
  })
})

describe('the owner tag', () => {
  it('names a Slack member id, and anything else is malformed, never passed on', () => {
    expect(ownerOf({ 'slack-member-id': 'U0123ABCD' }, 'slack-member-id')).toEqual({ memberId: 'U0123ABCD' })
    expect(ownerOf({ 'slack-member-id': 'W01ABC' }, 'slack-member-id')).toEqual({ memberId: 'W01ABC' })
    for (const bad of ['<!channel>', 'u0123abcd', 'U0123ABCD> <!here', '', '@alice'])
      expect(ownerOf({ 'slack-member-id': bad }, 'slack-member-id')).toEqual({ malformed: true })
    expect(ownerOf({}, 'slack-member-id')).toBeUndefined()
    expect(ownerOf({ 'slack-member-id': 'U0123ABCD' }, undefined)).toBeUndefined()
  })
})

describe('what the review of the notice found', () => {
  it('a deny an exemption only suspended comes back at once when it ends: no notice to cancel by one call', () => {
    const pastDenies = { s3: { from: on(-30).toISOString(), to: on(-2).toISOString() } }
    const firstSeen = { s3: lastUsed(365).toISOString(), ec2: lastUsed(365).toISOString() }
    const plan = planDenySet(input(0, { pastDenies, firstSeen }))
    expect(plan.deny).toEqual(['s3'])
    expect(plan.scheduled).toEqual({})
    // Released instead, the clock restarted at the lift: a full window later it is a new deny, announced.
    const released = { s3: on(-100).toISOString(), ec2: lastUsed(365).toISOString() }
    const later = planDenySet(
      input(0, {
        pastDenies: { s3: { from: on(-130).toISOString(), to: on(-100).toISOString() } },
        firstSeen: released,
      }),
    )
    expect(later.deny).toEqual([])
    expect(later.newlyScheduled).toEqual(['s3'])
  })

  it('an onboarding schedule held up past its grace days is an ordinary deny, judged by the brake', () => {
    const scheduled = s3On(7, { onboarding: true })
    const onDay = (d: number) => planDenySet(input(d, { scheduled })).added[0]?.onboarding
    expect(onDay(7)).toBe(true)
    expect(onDay(9)).toBe(true)
    expect(onDay(10)).toBeUndefined()
    // Carried out early (NOTICE_DAYS set to 0), it is judged too.
    expect(planDenySet(input(3, { scheduled, noticeDays: 0 })).added[0]?.onboarding).toBeUndefined()
  })
})
