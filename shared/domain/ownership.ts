import { parsePolicyName } from './policy-naming.js'
import type { IamUser, ManagedPolicy } from './types.js'
import type { OwnedPart } from './write-plan.js'

/** A policy of ours attached to a user it is not named after: detached once the user's own parts are written. */
export interface StalePart extends OwnedPart {
  /** No current user owns it and nothing else holds it: deleted after the detach. */
  deletable: boolean
  /**
   * Named after this user's name by a version before policies carried the UserId: what it denies is this
   * user's deny. Any other stale part was put here by someone else, and what it denies is not ours to keep.
   */
  legacy: boolean
}

export interface UserPolicies {
  /** The project's policies for this user: our path, named after the user's UserId. */
  owned: OwnedPart[]
  /**
   * Policies under our path attached to this user but named after someone else (a name from before
   * policies carried the UserId, or another user's policy attached here). What they deny still counts
   * as live for the user until the user's own parts replace them.
   */
  stale: StalePart[]
  /** Policies named after this user's UserId but outside our path: not ours, never written. */
  foreign: { part: number; policy: ManagedPolicy }[]
}

export interface AccountPolicies {
  forUser: (user: IamUser) => UserPolicies
  /** Ours, but no current user owns them and nothing holds them (their user was deleted): deleted. */
  orphans: ManagedPolicy[]
}

/**
 * Sorts the candidate policies of an account by owner. Ownership is the path plus the owner's UserId
 * in the name, never a user name: a renamed user keeps its policies and a reused name adopts nothing.
 */
export function classifyPolicies(
  users: readonly IamUser[],
  candidates: readonly ManagedPolicy[],
  prefix: string,
  policyPath: string,
): AccountPolicies {
  // IAM compares policy names ignoring case, so owners are compared the same way.
  const key = (s: string) => s.toLowerCase()
  const userIds = new Set(users.map((u) => key(u.id)))
  const heldBy = new Map<string, number>()
  for (const u of users) for (const arn of u.attachedPolicyArns) heldBy.set(arn, (heldBy.get(arn) ?? 0) + 1)
  const ours = candidates.flatMap((policy) => {
    const parsed = parsePolicyName(prefix, policy.name)
    return parsed ? [{ policy, ...parsed }] : []
  })

  const orphans = ours
    .filter(({ policy, owner }) => policy.path === policyPath && !userIds.has(key(owner)))
    .filter(({ policy }) => !heldBy.has(policy.arn) && (policy.attachmentCount ?? 1) === 0)
    .map(({ policy }) => policy)

  const forUser = (user: IamUser): UserPolicies => {
    const owned: OwnedPart[] = []
    const stale: StalePart[] = []
    const foreign: UserPolicies['foreign'] = []
    for (const { policy, part, owner } of ours) {
      const attached = user.attachedPolicyArns.includes(policy.arn)
      if (key(owner) === key(user.id)) {
        if (policy.path === policyPath) owned.push({ part, policy, attached })
        else foreign.push({ part, policy })
      } else if (attached && policy.path === policyPath) {
        const holders = Math.max(heldBy.get(policy.arn) ?? 0, policy.attachmentCount ?? 0)
        const legacy = key(owner) === key(user.name)
        stale.push({ part, policy, attached, legacy, deletable: !userIds.has(key(owner)) && holders <= 1 })
      }
    }
    return { owned, stale, foreign }
  }
  return { forUser, orphans }
}
