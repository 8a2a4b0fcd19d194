import { PolicyLayoutError } from '../errors.js'
import { deniedServicesOf, type RenderedPart } from './deny-policy.js'
import type { OwnedPart, StalePart } from './ownership.js'
import type { AccountQuotas, ManagedPolicy } from './types.js'

export type WriteOp =
  | { op: 'createPolicy'; part: number; policyName: string; policyArn: string; document: string }
  | { op: 'deletePolicyVersion'; policyArn: string; versionId: string }
  | { op: 'createPolicyVersion'; part: number; policyArn: string; document: string }
  | { op: 'attachUserPolicy'; policyArn: string }
  | { op: 'detachUserPolicy'; policyArn: string }
  | { op: 'deletePolicy'; policyArn: string }

export type WritePlan =
  | { kind: 'writes'; ops: WriteOp[] }
  | { kind: 'quota-blocked'; needed: number; available: number }

export interface WritePlanInput {
  desired: readonly RenderedPart[]
  owned: readonly OwnedPart[]
  /** Policies of ours on the user under another owner's name: detached after the user's own parts are written. */
  stale?: readonly StalePart[]
  /** Managed policies attached to the user right now, ours included. */
  attachedCount: number
  quotas: AccountQuotas
  /** Name and ARN of the policy that holds a given part. */
  nameOf: (part: number) => { name: string; arn: string }
}

/**
 * Turns the desired documents and the live policies into the IAM writes that get from one to the other.
 *
 * Never opens a window: a changed part gets a new default version (never detach/delete/recreate), and
 * parts are written in an order where a service that moves from one part to another is written into
 * its new part before its old part is rewritten or removed. Sorted packing makes that order always exist.
 */
export function planWrites(input: WritePlanInput): WritePlan {
  const owned = new Map(input.owned.map((o) => [o.part, o]))
  const desired = new Map(input.desired.map((d) => [d.part, d]))

  const needAttach = input.desired.filter((d) => !owned.get(d.part)?.attached).length
  const available = input.quotas.attachedPoliciesPerUser - input.attachedCount
  if (needAttach > available) return { kind: 'quota-blocked', needed: needAttach, available }

  const ops: WriteOp[] = []
  for (const part of writeOrder(input.desired, input.owned)) {
    const want = desired.get(part)
    const have = owned.get(part)
    if (want) ops.push(...writePart(want, have, input))
    else if (have) ops.push(...removePart(have))
  }
  for (const part of input.stale ?? []) ops.push(...removePart(part))
  return { kind: 'writes', ops }
}

function writePart(want: RenderedPart, have: OwnedPart | undefined, input: WritePlanInput): WriteOp[] {
  const { name, arn } = input.nameOf(want.part)
  if (!have) {
    return [
      { op: 'createPolicy', part: want.part, policyName: name, policyArn: arn, document: want.document },
      { op: 'attachUserPolicy', policyArn: arn },
    ]
  }
  const ops: WriteOp[] = []
  const policyArn = have.policy.arn
  if (defaultDocument(have.policy) !== want.document) {
    const excess = have.policy.versions.length - input.quotas.versionsPerPolicy + 1
    for (const version of oldestNonDefault(have.policy).slice(0, Math.max(0, excess))) {
      ops.push({ op: 'deletePolicyVersion', policyArn, versionId: version.versionId })
    }
    ops.push({ op: 'createPolicyVersion', part: want.part, policyArn, document: want.document })
  }
  if (!have.attached) ops.push({ op: 'attachUserPolicy', policyArn })
  return ops
}

/**
 * Which users' writes fit the account's customer-managed policy quota, in order: each user's new
 * policies are counted against what is left, and a user whose creations would not fit gets none
 * (IAM would refuse them with LimitExceeded part-way). Removals free room only at the next sweep.
 */
export function fitPolicyBudget(writes: readonly (readonly WriteOp[])[], available: number): boolean[] {
  let left = available
  return writes.map((ops) => {
    const creates = ops.filter((op) => op.op === 'createPolicy').length
    if (creates > 0 && creates > left) return false
    left -= creates
    return true
  })
}

/** Every write that removes the project's policies from a user: detach, old versions, the policy. */
export function planRemoval(parts: readonly (OwnedPart | StalePart)[]): WriteOp[] {
  return parts.flatMap(removePart)
}

/** Detaches a part; deletes it too unless it is a stale part someone else still owns or holds. */
function removePart(have: OwnedPart | StalePart): WriteOp[] {
  const policyArn = have.policy.arn
  const detach = have.attached ? [{ op: 'detachUserPolicy' as const, policyArn }] : []
  if ('deletable' in have && !have.deletable) return detach
  return [
    ...detach,
    ...oldestNonDefault(have.policy).map((v) => ({
      op: 'deletePolicyVersion' as const,
      policyArn,
      versionId: v.versionId,
    })),
    { op: 'deletePolicy', policyArn },
  ]
}

/**
 * Part numbers in write order: a service that sits in part A now and belongs in part B makes B come
 * before A. Ties go in part order.
 */
function writeOrder(desired: readonly RenderedPart[], owned: readonly OwnedPart[]): number[] {
  const newHome = new Map<string, number>()
  for (const d of desired) for (const ns of d.services) newHome.set(ns, d.part)

  const parts = new Set<number>([...desired.map((d) => d.part), ...owned.map((o) => o.part)])
  const before = new Map<number, Set<number>>([...parts].map((p) => [p, new Set<number>()]))
  for (const o of owned) {
    for (const ns of currentServices(o)) {
      const home = newHome.get(ns)
      if (home !== undefined && home !== o.part) before.get(o.part)?.add(home)
    }
  }

  const order: number[] = []
  const pending = new Set(parts)
  while (pending.size > 0) {
    const ready = [...pending].filter((p) => [...(before.get(p) ?? [])].every((q) => !pending.has(q)))
    if (ready.length === 0) {
      throw new PolicyLayoutError('the deny policies cannot be rewritten without a window; left unchanged')
    }
    const next = Math.min(...ready)
    order.push(next)
    pending.delete(next)
  }
  return order
}

/** Services the part's live default version denies; a document that is not ours denies nothing we know of. */
export function currentServices(part: OwnedPart): string[] {
  const doc = defaultDocument(part.policy)
  return doc === undefined ? [] : (deniedServicesOf(doc) ?? [])
}

export function defaultDocument(policy: ManagedPolicy): string | undefined {
  return policy.versions.find((v) => v.isDefault)?.document
}

function oldestNonDefault(policy: ManagedPolicy) {
  return policy.versions
    .filter((v) => !v.isDefault)
    .sort((a, b) => a.createDate.getTime() - b.createDate.getTime() || versionNumber(a) - versionNumber(b))
}

function versionNumber(v: { versionId: string }): number {
  return Number(v.versionId.replace(/^v/, '')) || 0
}
