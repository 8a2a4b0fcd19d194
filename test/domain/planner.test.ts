import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { liftDenies, type PlanInput, planDenySet } from '../../shared/domain/planner.js'
import { planInput } from '../support/plan-input.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000)

function input(overrides: Partial<PlanInput>): PlanInput {
  return planInput(NOW, overrides)
}

interface Case {
  name: string
  given: Partial<PlanInput>
  deny: string[]
  added?: string[]
  removed?: string[]
}

const cases: Case[] = [
  {
    name: 'denies a service never used in the tracking period',
    given: { report: [{ namespace: 's3' }] },
    deny: ['s3'],
    added: ['s3'],
  },
  {
    name: 'denies a service last used before the window',
    given: { report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(91) }] },
    deny: ['ec2'],
  },
  {
    name: 'keeps a service used within the window',
    given: { report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(89) }] },
    deny: [],
  },
  {
    name: 'counts a use exactly at the window edge as used',
    given: { report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(90) }] },
    deny: [],
  },
  {
    name: 'honours a configured window',
    given: { windowDays: 30, report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(31) }] },
    deny: ['ec2'],
  },
  {
    name: 'never denies a never-deny service',
    given: { neverDeny: new Set(['sts']), report: [{ namespace: 'sts' }, { namespace: 's3' }] },
    deny: ['s3'],
  },
  {
    name: 'lifts a deny on a service that became never-deny',
    given: { neverDeny: new Set(['sts']), currentlyDenied: new Set(['sts']), report: [{ namespace: 'sts' }] },
    deny: [],
    removed: ['sts'],
  },
  {
    name: 'never denies a temporarily exempted service',
    given: { exemptServices: new Set(['s3']), report: [{ namespace: 's3' }] },
    deny: [],
  },
  {
    name: 'gives a service granted since the last sweep the full window',
    given: {
      firstSeen: { s3: daysAgo(200).toISOString() },
      report: [{ namespace: 's3' }, { namespace: 'ec2' }],
    },
    deny: ['s3'],
  },
  {
    name: 'denies a service once its first-seen date is a full window old',
    given: { firstSeen: { ec2: daysAgo(90).toISOString() }, report: [{ namespace: 'ec2' }] },
    deny: ['ec2'],
  },
  {
    name: 'keeps a grace-period service out of the deny set',
    given: { firstSeen: { ec2: daysAgo(10).toISOString() }, report: [{ namespace: 'ec2' }] },
    deny: [],
  },
  {
    name: 'on a first sweep, dates every grant from the user creation',
    given: { userCreateDate: daysAgo(100), report: [{ namespace: 'ec2' }] },
    deny: ['ec2'],
  },
  {
    name: 'keeps denying a service the report leaves out (Access Advisor may hide denied services)',
    given: {
      currentlyDenied: new Set(['s3']),
      report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(1) }],
    },
    deny: ['s3'],
  },
  {
    name: 'keeps a deny when the report shows activity after it: an attempt, not use',
    given: {
      currentlyDenied: new Set(['s3']),
      deniedSince: { s3: daysAgo(10).toISOString() },
      report: [{ namespace: 's3', lastAuthenticated: daysAgo(3) }],
    },
    deny: ['s3'],
    removed: [],
  },
  {
    name: 'keeps an iam deny when the user only used the self-service carve-out (key rotation)',
    given: {
      currentlyDenied: new Set(['iam', 's3']),
      deniedSince: { iam: daysAgo(30).toISOString(), s3: daysAgo(30).toISOString() },
      report: [{ namespace: 'iam', lastAuthenticated: daysAgo(1) }, { namespace: 's3' }],
    },
    deny: ['iam', 's3'],
    removed: [],
  },
  {
    name: 'keeps a deny with no recorded start date whatever the report shows',
    given: { currentlyDenied: new Set(['s3']), report: [{ namespace: 's3', lastAuthenticated: daysAgo(0) }] },
    deny: ['s3'],
  },
  {
    name: 'lifts a deny on a service that became temporarily exempt',
    given: {
      currentlyDenied: new Set(['s3']),
      exemptServices: new Set(['s3']),
      report: [{ namespace: 's3' }],
    },
    deny: [],
    removed: ['s3'],
  },
  {
    name: 'an empty report denies nothing new',
    given: { report: [] },
    deny: [],
  },
  {
    name: 'treats a use dated in the future (clock skew) as recent use',
    given: { report: [{ namespace: 's3', lastAuthenticated: daysAgo(-1) }] },
    deny: [],
  },
  {
    name: 'keeps the most recent use when a namespace appears twice',
    given: { report: [{ namespace: 's3' }, { namespace: 's3', lastAuthenticated: daysAgo(1) }] },
    deny: [],
  },
]

describe('planDenySet', () => {
  it.each(cases)('$name', ({ given, deny, added, removed }) => {
    const plan = planDenySet(input(given))
    expect(plan.deny).toEqual(deny)
    if (added) expect(plan.added.map((c) => c.namespace)).toEqual(added)
    if (removed) expect(plan.removed.map((c) => c.namespace)).toEqual(removed)
  })

  it('explains each addition with when the service was last used', () => {
    const plan = planDenySet(
      input({ report: [{ namespace: 'ec2', lastAuthenticated: daysAgo(120) }, { namespace: 's3' }] }),
    )
    expect(plan.added).toEqual([
      { namespace: 'ec2', reason: 'unused', lastUsed: daysAgo(120).toISOString() },
      { namespace: 's3', reason: 'never-used' },
    ])
  })

  it('records a first-seen date for every granted service', () => {
    const plan = planDenySet(
      input({
        firstSeen: { s3: '2025-01-01T00:00:00.000Z' },
        report: [{ namespace: 's3' }, { namespace: 'ec2' }],
      }),
    )
    expect(plan.firstSeen).toEqual({ s3: '2025-01-01T00:00:00.000Z', ec2: NOW.toISOString() })
  })

  it('reports activity after the deny as an attempt, once per attempt time, with its region', () => {
    const given = input({
      currentlyDenied: new Set(['s3', 'ec2']),
      deniedSince: { s3: daysAgo(10).toISOString(), ec2: daysAgo(10).toISOString() },
      report: [
        { namespace: 's3', lastAuthenticated: daysAgo(2), lastRegion: 'eu-west-1' },
        { namespace: 'ec2', lastAuthenticated: daysAgo(20) }, // before the deny: last real use
      ],
    })
    expect(planDenySet(given).attempts).toEqual([
      { namespace: 's3', at: daysAgo(2).toISOString(), region: 'eu-west-1' },
    ])
    const again = { ...given, lastAttempts: { s3: daysAgo(2).toISOString() } }
    expect(planDenySet(again).attempts).toEqual([])
  })

  it('after an exemption ends, attempts made while denied are not use; use while exempt is', () => {
    const pastDenies = { s3: { from: daysAgo(60).toISOString(), to: daysAgo(2).toISOString() } }
    const planAt = (lastUsed: Date) =>
      planDenySet(input({ pastDenies, report: [{ namespace: 's3', lastAuthenticated: lastUsed }] }))
    expect(planAt(daysAgo(10)).deny).toEqual(['s3']) // tried while denied
    expect(planAt(daysAgo(10)).added).toEqual([{ namespace: 's3', reason: 'unused' }])
    expect(planAt(daysAgo(1)).deny).toEqual([]) // used while exempt
  })

  it('restarts the clock of a released service: not denied again before a full window unused', () => {
    const lifted = liftDenies(
      new Set(['s3']),
      new Set(['s3']),
      'released',
      { firstSeen: { s3: daysAgo(300).toISOString() }, scheduled: {} },
      NOW,
    )
    expect(lifted.firstSeen.s3).toBe(NOW.toISOString())
    const later = (days: number) => new Date(NOW.getTime() + days * 86_400_000)
    const next = (days: number, lastUsed?: Date) =>
      planDenySet(
        input({
          now: later(days),
          firstSeen: lifted.firstSeen,
          report: [{ namespace: 's3', ...(lastUsed ? { lastAuthenticated: lastUsed } : {}) }],
        }),
      ).deny
    expect(next(89, daysAgo(5))).toEqual([])
    expect(next(91, daysAgo(5))).toEqual(['s3'])
  })

  it('suspends, not restarts, the clock of a service lifted by an exemption', () => {
    const plan = liftDenies(
      new Set(['s3']),
      new Set(['s3']),
      'exempt',
      { firstSeen: { s3: 'y' }, scheduled: {} },
      NOW,
    )
    expect(plan.firstSeen).toEqual({ s3: 'y' })
  })

  it('lifts released services through liftDenies, keeping the rest and restarting their clocks', () => {
    const prior = { firstSeen: { ec2: 'x', s3: 'y' }, scheduled: {} }
    const plan = liftDenies(new Set(['ec2', 's3']), new Set(['s3']), 'released', prior, NOW)
    expect(plan).toMatchObject({
      deny: ['ec2'],
      removed: [{ namespace: 's3', reason: 'released' }],
      firstSeen: { ec2: 'x', s3: NOW.toISOString() },
    })
  })

  it('never lifts a deny because of report activity, over random usage histories', () => {
    const services = ['s3', 'ec2', 'iam', 'sqs', 'lambda']
    const row = fc.record({
      namespace: fc.constantFrom(...services),
      daysAgo: fc.option(fc.integer({ min: -2, max: 400 }), { nil: undefined }),
    })
    fc.assert(
      fc.property(
        fc.subarray(services),
        fc.array(row, { maxLength: 10 }),
        fc.integer({ min: 0, max: 400 }),
        (denied, rows, deniedDaysAgo) => {
          const plan = planDenySet(
            input({
              currentlyDenied: new Set(denied),
              deniedSince: Object.fromEntries(denied.map((ns) => [ns, daysAgo(deniedDaysAgo).toISOString()])),
              report: rows.map((r) => ({
                namespace: r.namespace,
                ...(r.daysAgo === undefined ? {} : { lastAuthenticated: daysAgo(r.daysAgo) }),
              })),
            }),
          )
          for (const ns of denied) expect(plan.deny).toContain(ns)
          expect(plan.removed).toEqual([])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is a pure function of its input', () => {
    const given = input({ report: [{ namespace: 'b' }, { namespace: 'a' }], currentlyDenied: new Set(['c']) })
    expect(planDenySet(given)).toEqual(planDenySet(given))
    expect(planDenySet(given).deny).toEqual(['a', 'b', 'c'])
  })
})
