import { describe, expect, it } from 'vitest'
import { renderDenyPolicies } from '../../shared/domain/deny-policy.js'
import type { OwnedPart } from '../../shared/domain/ownership.js'
import type { AccountQuotas, ManagedPolicy } from '../../shared/domain/types.js'
import { fitPolicyBudget, planRemoval, planWrites, type WriteOp } from '../../shared/domain/write-plan.js'
import { PolicyLayoutError } from '../../shared/errors.js'

const USER_ARN = 'arn:aws:iam::111122223333:user/alice'
const TARGET = {
  userArn: USER_ARN,
  userId: 'AIDAALICE',
  policyPath: '/lp/',
  policyNamePrefix: 'P',
  exemptTagKeys: [],
}
const QUOTAS: AccountQuotas = {
  attachedPoliciesPerUser: 10,
  versionsPerPolicy: 5,
  policySize: 6144,
  policiesQuota: 1500,
  policiesInUse: 0,
}
const nameOf = (part: number) => ({
  name: `P.${part}.alice`,
  arn: `arn:aws:iam::111122223333:policy/lp/P.${part}.alice`,
})

function owned(
  part: number,
  document: string,
  opts: { attached?: boolean; versions?: number } = {},
): OwnedPart {
  const count = opts.versions ?? 1
  const policy: ManagedPolicy = {
    arn: nameOf(part).arn,
    name: nameOf(part).name,
    path: '/lp/',
    versions: Array.from({ length: count }, (_, i) => ({
      versionId: `v${i + 1}`,
      isDefault: i === count - 1,
      createDate: new Date(Date.UTC(2026, 0, i + 1)),
      document: i === count - 1 ? document : `{"old":${i}}`,
    })),
  }
  return { part, policy, attached: opts.attached ?? true }
}

const ops = (plan: ReturnType<typeof planWrites>): WriteOp[] => (plan.kind === 'writes' ? plan.ops : [])
const summary = (list: WriteOp[]) =>
  list.map(
    (o) =>
      `${o.op}${'part' in o ? `#${o.part}` : ''}${'versionId' in o ? `:${o.versionId}` : ''}${'policyArn' in o ? `@${o.policyArn.split('.')[1]}` : ''}`,
  )

/** A deny set that needs `parts` documents at the given size limit. */
function servicesFor(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `svc${String(i).padStart(3, '0')}`)
}

describe('planWrites', () => {
  it('creates and attaches a missing policy', () => {
    const desired = renderDenyPolicies(['s3'], TARGET)
    const plan = planWrites({ desired, owned: [], attachedCount: 2, quotas: QUOTAS, nameOf })
    expect(summary(ops(plan))).toEqual(['createPolicy#1@1', 'attachUserPolicy@1'])
  })

  it('writes nothing when the live default version is the rendered text', () => {
    const desired = renderDenyPolicies(['s3'], TARGET)
    const plan = planWrites({
      desired,
      owned: [owned(1, desired[0]?.document ?? '')],
      attachedCount: 3,
      quotas: QUOTAS,
      nameOf,
    })
    expect(ops(plan)).toEqual([])
  })

  it('adds a new default version for a changed set, never detach/delete', () => {
    const before = renderDenyPolicies(['s3'], TARGET)[0]?.document ?? ''
    const desired = renderDenyPolicies(['ec2', 's3'], TARGET)
    const plan = planWrites({
      desired,
      owned: [owned(1, before, { versions: 2 })],
      attachedCount: 3,
      quotas: QUOTAS,
      nameOf,
    })
    expect(summary(ops(plan))).toEqual(['createPolicyVersion#1@1'])
  })

  it('deletes the oldest non-default version first when at 5 versions', () => {
    const desired = renderDenyPolicies(['ec2'], TARGET)
    const plan = planWrites({
      desired,
      owned: [owned(1, '{}', { versions: 5 })],
      attachedCount: 1,
      quotas: QUOTAS,
      nameOf,
    })
    expect(summary(ops(plan))).toEqual(['deletePolicyVersion:v1@1', 'createPolicyVersion#1@1'])
  })

  it('honours a lower version quota', () => {
    const desired = renderDenyPolicies(['ec2'], TARGET)
    const quotas = { ...QUOTAS, versionsPerPolicy: 3 }
    const plan = planWrites({
      desired,
      owned: [owned(1, '{}', { versions: 5 })],
      attachedCount: 1,
      quotas,
      nameOf,
    })
    expect(summary(ops(plan))).toEqual([
      'deletePolicyVersion:v1@1',
      'deletePolicyVersion:v2@1',
      'deletePolicyVersion:v3@1',
      'createPolicyVersion#1@1',
    ])
  })

  it('re-attaches a detached policy whose text is right', () => {
    const desired = renderDenyPolicies(['s3'], TARGET)
    const plan = planWrites({
      desired,
      owned: [owned(1, desired[0]?.document ?? '', { attached: false })],
      attachedCount: 0,
      quotas: QUOTAS,
      nameOf,
    })
    expect(summary(ops(plan))).toEqual(['attachUserPolicy@1'])
  })

  it('removes the policy when nothing is denied any more: detach, old versions, delete', () => {
    const plan = planWrites({
      desired: [],
      owned: [owned(1, '{}', { versions: 3 })],
      attachedCount: 4,
      quotas: QUOTAS,
      nameOf,
    })
    expect(summary(ops(plan))).toEqual([
      'detachUserPolicy@1',
      'deletePolicyVersion:v1@1',
      'deletePolicyVersion:v2@1',
      'deletePolicy@1',
    ])
  })

  it('planRemoval removes every part, each detached first and its old versions before the policy', () => {
    const ops = planRemoval([owned(1, '{}', { versions: 2 }), owned(2, '{}', { attached: false })])
    expect(summary(ops)).toEqual([
      'detachUserPolicy@1',
      'deletePolicyVersion:v1@1',
      'deletePolicy@1',
      'deletePolicy@2',
    ])
  })

  it.each([
    { attachedCount: 10, quota: 10, blocked: true },
    { attachedCount: 9, quota: 10, blocked: false },
    { attachedCount: 19, quota: 20, blocked: false },
    { attachedCount: 20, quota: 20, blocked: true },
  ])(
    'with $attachedCount attached of a quota of $quota: blocked=$blocked',
    ({ attachedCount, quota, blocked }) => {
      const desired = renderDenyPolicies(['s3'], TARGET)
      const plan = planWrites({
        desired,
        owned: [],
        attachedCount,
        quotas: { ...QUOTAS, attachedPoliciesPerUser: quota },
        nameOf,
      })
      expect(plan.kind).toBe(blocked ? 'quota-blocked' : 'writes')
    },
  )

  it('does not need a free slot to update an attached policy at quota', () => {
    const desired = renderDenyPolicies(['ec2'], TARGET)
    const plan = planWrites({ desired, owned: [owned(1, '{}')], attachedCount: 10, quotas: QUOTAS, nameOf })
    expect(plan.kind).toBe('writes')
  })

  it('needs a slot for every new part', () => {
    const desired = renderDenyPolicies(servicesFor(200), TARGET, 1400)
    expect(desired.length).toBeGreaterThan(2)
    const plan = planWrites({ desired, owned: [], attachedCount: 9, quotas: QUOTAS, nameOf })
    expect(plan).toMatchObject({ kind: 'quota-blocked', needed: desired.length, available: 1 })
  })

  describe('write order across parts (no service is ever left undenied)', () => {
    const size = 1400
    it('writes the later part first when a service shifts right', () => {
      const before = renderDenyPolicies(servicesFor(120), TARGET, size)
      // A service sorting first pushes every part's last service into the next part.
      const after = renderDenyPolicies(['aaa', ...servicesFor(120)], TARGET, size)
      const plan = planWrites({
        desired: after,
        owned: before.map((p) => owned(p.part, p.document)),
        attachedCount: before.length,
        quotas: QUOTAS,
        nameOf,
      })
      const writes = ops(plan).map((o) => ('part' in o ? o.part : 0))
      expect(writes).toEqual([...writes].sort((a, b) => b - a))
      assertNoWindow(before, after, ops(plan))
    })

    it('writes the earlier part first when a service shifts left, removing the emptied part last', () => {
      const before = renderDenyPolicies(servicesFor(120), TARGET, size)
      const after = renderDenyPolicies(servicesFor(120).slice(1, 30), TARGET, size)
      const plan = planWrites({
        desired: after,
        owned: before.map((p) => owned(p.part, p.document)),
        attachedCount: before.length,
        quotas: QUOTAS,
        nameOf,
      })
      assertNoWindow(before, after, ops(plan))
      expect(ops(plan).at(-1)?.op).toBe('deletePolicy')
    })

    it('refuses a layout it cannot rewrite without a window', () => {
      const p1 = renderDenyPolicies(['zzz'], TARGET)[0]?.document ?? ''
      const p2 = renderDenyPolicies(['aaa'], TARGET)[0]?.document ?? ''
      // Hand-edited: part 1 holds what belongs in part 2 and vice versa.
      const desired = renderDenyPolicies(['aaa', ...servicesFor(40), 'zzz'], TARGET, 1250)
      expect(desired.map((d) => d.part)).toEqual([1, 2])
      expect(() =>
        planWrites({
          desired,
          owned: [owned(1, p1), owned(2, p2)],
          attachedCount: 2,
          quotas: QUOTAS,
          nameOf,
        }),
      ).toThrow(PolicyLayoutError)
    })
  })
})

/** Replays the ops and checks that every service denied before and after stays denied at every step. */
function assertNoWindow(
  before: ReturnType<typeof renderDenyPolicies>,
  after: ReturnType<typeof renderDenyPolicies>,
  list: WriteOp[],
) {
  const live = new Map(before.map((p) => [p.part, new Set(p.services)]))
  const target = new Map(after.map((p) => [p.part, new Set(p.services)]))
  const keep = [...new Set(before.flatMap((p) => p.services))].filter((s) =>
    after.some((p) => p.services.includes(s)),
  )
  for (const op of list) {
    if (op.op === 'createPolicy' || op.op === 'createPolicyVersion')
      live.set(op.part, target.get(op.part) ?? new Set())
    if (op.op === 'detachUserPolicy') live.delete(Number(op.policyArn.split('.')[1]))
    const denied = new Set([...live.values()].flatMap((s) => [...s]))
    for (const s of keep) expect(denied.has(s), `${s} undenied after ${op.op}`).toBe(true)
  }
}

describe('fitPolicyBudget', () => {
  const create = { op: 'createPolicy' as const, part: 1, policyName: 'n', policyArn: 'a', document: '{}' }
  const version = { op: 'createPolicyVersion' as const, part: 1, policyArn: 'a', document: '{}' }

  it('lets users in order while their new policies fit, and holds the rest', () => {
    expect(fitPolicyBudget([[create], [create, create], [create], []], 2)).toEqual([true, false, true, true])
  })

  it('never holds a user who creates nothing, even past the quota', () => {
    expect(fitPolicyBudget([[version], [], [create]], -3)).toEqual([true, true, false])
  })
})
