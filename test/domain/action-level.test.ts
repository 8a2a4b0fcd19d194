import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { brakeSchema } from '../../shared/config.js'
import { CATALOG } from '../../shared/domain/actions/catalog.js'
import { isActionKey, serviceOf } from '../../shared/domain/actions/keys.js'
import { assessBlastRadius, measureBlastRadius } from '../../shared/domain/brake.js'
import {
  DEFAULT_POLICY_SIZE,
  deniedServicesOf,
  isSelfService,
  policySize,
  renderDenyPolicies,
} from '../../shared/domain/deny-policy.js'
import { riskOrder } from '../../shared/domain/plan/action-budget.js'
import { type PlanInput, planDenySet } from '../../shared/domain/planner.js'
import type { ServiceUsage } from '../../shared/domain/types.js'
import { planInput } from '../support/plan-input.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000)
const TARGET = {
  userArn: 'arn:aws:iam::111122223333:user/ada',
  userId: 'AIDAADA',
  policyPath: '/least-privilege/',
  policyNamePrefix: 'LeastPrivilegeDeny',
  exemptTagKeys: ['least-privilege-exempt'],
}

function input(report: ServiceUsage[], overrides: Partial<PlanInput> = {}): PlanInput {
  return planInput(NOW, { report, actionLevel: { catalog: CATALOG }, ...overrides })
}

describe('judging actions one by one', () => {
  it('denies the unused tracked actions of a kept service, never its untracked, used or self-service ones', () => {
    const plan = planDenySet(
      input([
        {
          namespace: 'iam',
          lastAuthenticated: daysAgo(1),
          actions: [
            { name: 'GetUser', lastAccessed: daysAgo(1) },
            { name: 'ListRoles', lastAccessed: daysAgo(10) },
          ],
        },
        { namespace: 'sns', lastAuthenticated: daysAgo(1), actions: [] },
      ]),
    )
    expect(plan.deny).toContain('iam:CreateUser')
    expect(plan.deny).toContain('iam:AttachUserPolicy')
    expect(plan.deny).not.toContain('iam:ListRoles') // used within the window
    expect(plan.deny).not.toContain('iam:PassRole') // untracked
    expect(plan.deny).toContain('iam:CreateLoginProfile') // self-service: denied on other users only
    expect(plan.deny.filter((k) => serviceOf(k) === 'sns')).toEqual([]) // no tracked actions
    expect(plan.judgedActions).toBe(CATALOG.trackedIn('iam').length)
  })

  it('judges nothing from a report read at service level: it says nothing of actions', () => {
    const plan = planDenySet(input([{ namespace: 'iam', lastAuthenticated: daysAgo(1) }]))
    expect(plan.deny).toEqual([])
  })

  it('honours ACTION_LEVEL_SERVICES, NEVER_DENY and exemptions by action or by service', () => {
    const iam: ServiceUsage = { namespace: 'iam', lastAuthenticated: daysAgo(1), actions: [] }
    const s3: ServiceUsage = { namespace: 's3', lastAuthenticated: daysAgo(1), actions: [] }
    const only = planDenySet(
      input([iam, s3], { actionLevel: { catalog: CATALOG, services: new Set(['iam']) } }),
    )
    expect(only.deny.some((k) => k.startsWith('s3:'))).toBe(false)
    const spared = planDenySet(
      input([iam, s3], { neverDeny: new Set(['iam:CreateUser']), exemptServices: new Set(['s3']) }),
    )
    expect(spared.deny).not.toContain('iam:CreateUser')
    expect(spared.deny).toContain('iam:CreateRole')
    expect(spared.deny.some((k) => k.startsWith('s3:'))).toBe(false)
  })

  it('gives an action a table refresh found newly tracked a full window from that day', () => {
    const catalog = Object.create(CATALOG) as typeof CATALOG
    catalog.trackedSince = (ns: string, action: string) =>
      ns === 'iam' && action === 'CreateUser' ? '2026-05-01' : undefined
    const plan = planDenySet(
      input([{ namespace: 'iam', lastAuthenticated: daysAgo(1), actions: [] }], { actionLevel: { catalog } }),
    )
    expect(plan.deny).not.toContain('iam:CreateUser')
    expect(plan.deny).toContain('iam:CreateRole')
  })

  it('leaves a scheduled action deny when its whole service becomes deniable', () => {
    const plan = planDenySet(
      input([{ namespace: 'iam', lastAuthenticated: daysAgo(200), actions: [] }], {
        scheduled: { 'iam:CreateUser': { on: '2026-06-05', since: daysAgo(2).toISOString() } },
      }),
    )
    expect(plan.deny).toContain('iam')
    expect(plan.cancelled).toEqual([{ namespace: 'iam:CreateUser', reason: 'not-judged' }])
  })
})

/** Services with tracked actions and without, and every way an action can have been used. */
const SERVICES = ['iam', 's3', 'ec2', 'lambda', 'sts', 'kms', 'sns']
const usageOf = fc.constantFrom(...SERVICES).chain((ns) =>
  fc.record({
    namespace: fc.constant(ns),
    serviceAge: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    actions: fc
      .subarray([...CATALOG.trackedIn(ns)], { maxLength: Math.min(40, CATALOG.trackedIn(ns).length) })
      .chain((names) =>
        fc.tuple(...names.map((name) => fc.tuple(fc.constant(name), fc.integer({ min: 0, max: 400 })))),
      ),
  }),
)

describe('what is rendered for any report (property)', () => {
  it('denies no untracked, used or self-service action, fits every policy, and compresses to the same set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(usageOf, { selector: (u) => u.namespace, maxLength: 7 }), (rows) => {
        const report: ServiceUsage[] = rows.map((r) => {
          const used = r.actions.map(([name, age]) => ({ name, lastAccessed: daysAgo(age) }))
          const ages = [...(r.serviceAge === undefined ? [] : [r.serviceAge]), ...r.actions.map(([, a]) => a)]
          return {
            namespace: r.namespace,
            ...(ages.length > 0 ? { lastAuthenticated: daysAgo(Math.min(...ages)) } : {}),
            actions: used,
          }
        })
        const plan = planDenySet(input(report))
        const parts = renderDenyPolicies(plan.deny, TARGET)
        const usedWithin = new Set(
          rows.flatMap((r) =>
            r.actions.filter(([, age]) => age <= 90).map(([name]) => `${r.namespace}:${name}`),
          ),
        )
        const rendered = parts.flatMap((p) => deniedServicesOf(p.document) ?? ['unreadable'])
        // A self-service action is denied only where the user's own user is left out.
        for (const p of parts) {
          const doc = JSON.parse(p.document) as { Statement: { Sid: string; Action?: string[] }[] }
          for (const st of doc.Statement.filter((x) => x.Sid === 'DenyUnusedActions'))
            for (const entry of st.Action ?? []) expect(isSelfService(entry), entry).toBe(false)
        }
        for (const p of parts) {
          expect(policySize(p.document)).toBeLessThanOrEqual(DEFAULT_POLICY_SIZE)
          expect(deniedServicesOf(p.document)).toEqual([...p.services].sort())
        }
        const denied = new Set(plan.deny)
        for (const key of rendered.filter(isActionKey)) {
          const ns = serviceOf(key)
          const action = key.slice(ns.length + 1)
          if (denied.has(ns)) continue // the whole service is denied: its actions with it
          expect(CATALOG.isTracked(ns, action), key).toBe(true)
          expect(usedWithin.has(key), key).toBe(false)
          expect(denied.has(key), key).toBe(true)
        }
        const actionKeys = plan.deny.filter((k) => isActionKey(k) && !denied.has(serviceOf(k)))
        expect(new Set(rendered.filter(isActionKey))).toEqual(new Set(actionKeys))
      }),
      { numRuns: 60 },
    )
  })
})

describe('the budget and the brake', () => {
  it('adds permission management first, then writes, iam and sts before other services', () => {
    const keys = [
      's3:ListBucketVersions',
      's3:PutBucketPolicy',
      'iam:CreateUser',
      'iam:AttachUserPolicy',
      'ec2:RunInstances',
    ]
    expect([...keys].sort(riskOrder)).toEqual([
      'iam:AttachUserPolicy',
      's3:PutBucketPolicy',
      'iam:CreateUser',
      'ec2:RunInstances',
      's3:ListBucketVersions',
    ])
  })

  it('holds a first action-level sweep that would deny most judged actions, on its own share', () => {
    const settings = brakeSchema.parse({})
    const added = Array.from({ length: 100 }, (_, i) => ({ namespace: `iam:Action${i}` }))
    const radius = measureBlastRadius([
      {
        decision: { added, removed: [] },
        granted: 5,
        judgedActions: 120,
        activeDenies: 0,
        recordedPolicies: 0,
        missingPolicies: 0,
      },
    ])
    expect(radius).toMatchObject({ servicesNewlyDenied: 0, actionsNewlyDenied: 100, actionsJudged: 120 })
    const verdict = assessBlastRadius(radius, settings)
    expect(verdict).toMatchObject({
      tripped: true,
      reason: expect.stringMatching(/100 of 120 judged actions/),
    })
  })
})

describe('what the renderer keeps exact', () => {
  it("puts the action keys of a service denied whole where the service's deny is, so writes know where they are", () => {
    const parts = renderDenyPolicies(['iam', 'iam:CreateUser', 's3', 's3:PutBucketPolicy'], TARGET)
    const keys = parts.flatMap((p) => p.services)
    expect(keys).toEqual(expect.arrayContaining(['iam', 'iam:CreateUser', 's3', 's3:PutBucketPolicy']))
    expect(parts[0]?.services).toContain('iam:CreateUser')
  })

  it('reads a wildcard that a table refresh left matching nothing as ours, standing for nothing known', () => {
    const [part] = renderDenyPolicies(['iam:CreateUser'], TARGET)
    const doc = (part?.document ?? '').replace('"iam:CreateUser"', '"iam:Zzz*"')
    expect(deniedServicesOf(doc)).toEqual([])
  })
})
