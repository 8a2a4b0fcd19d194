import { describe, expect, it } from 'vitest'
import { type PlanInput, planDenySet } from '../../shared/domain/planner.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000)

function input(overrides: Partial<PlanInput>): PlanInput {
  return {
    report: [],
    currentlyDenied: new Set(),
    firstSeen: undefined,
    userCreateDate: daysAgo(365),
    now: NOW,
    windowDays: 90,
    neverDeny: new Set(),
    exemptServices: new Set(),
    ...overrides,
  }
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
    name: 'lifts a deny when the report shows recent use (e.g. after an exemption)',
    given: { currentlyDenied: new Set(['s3']), report: [{ namespace: 's3', lastAuthenticated: daysAgo(3) }] },
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

  it('is a pure function of its input', () => {
    const given = input({ report: [{ namespace: 'b' }, { namespace: 'a' }], currentlyDenied: new Set(['c']) })
    expect(planDenySet(given)).toEqual(planDenySet(given))
    expect(planDenySet(given).deny).toEqual(['a', 'b', 'c'])
  })
})
