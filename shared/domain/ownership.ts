import { deniedServicesOf } from './deny-policy.js'
import { namesOwner, parsePolicyName } from './policy-naming.js'
import type { IamUser, ManagedPolicy } from './types.js'

/** One of the project's policies for a user, found under the project's path. */
export interface OwnedPart {
  part: number
  policy: ManagedPolicy
  attached: boolean
}

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
}

export interface AccountPolicies {
  forUser: (user: IamUser) => UserPolicies
  /** Names of every candidate policy in the account, lower case: IAM compares names ignoring case. */
  takenNames: ReadonlySet<string>
  /** Ours, but no current user owns them and nothing holds them (their user was deleted): deleted. */
  orphans: ManagedPolicy[]
  /**
   * Under the project's path but not exactly what the project writes there: a name it does not give, a
   * version whose document is not only its denies, or a group or role holding it. Planted by someone
   * else (the path is where the spoke role may write): alerted, removed from every holder and deleted.
   */
  foreign: ManagedPolicy[]
  /**
   * Named with the project's prefix outside its path: posing as ours where the spoke role may not write,
   * so they are alerted, never touched (an SCP reserves the prefix).
   */
  posing: ManagedPolicy[]
}

/**
 * Whether a policy is the project's, by its content and its holders as well as its name: under the path,
 * named as the project names its parts, every version of it denying only (the statements the project
 * writes), and held by users alone. Anything else there is foreign, whatever its name.
 */
function isOurs(policy: ManagedPolicy, prefix: string, policyPath: string, heldByUsers: number): boolean {
  if (policy.path !== policyPath || !parsePolicyName(prefix, policy.name)) return false
  if (!policy.versions.every((v) => deniedServicesOf(v.document) !== undefined)) return false
  // IAM counts every holder; more than the users holding it means a group or a role does too.
  return policy.attachmentCount === undefined || policy.attachmentCount <= heldByUsers
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
  const userIds = users.map((u) => u.id)
  const ownedBySomeone = (owner: string) => userIds.some((id) => namesOwner(owner, id))
  const heldBy = new Map<string, number>()
  for (const u of users) for (const arn of u.attachedPolicyArns) heldBy.set(arn, (heldBy.get(arn) ?? 0) + 1)
  const mine = (policy: ManagedPolicy) => isOurs(policy, prefix, policyPath, heldBy.get(policy.arn) ?? 0)
  const ours = candidates.flatMap((policy) => {
    const parsed = mine(policy) ? parsePolicyName(prefix, policy.name) : undefined
    return parsed ? [{ policy, ...parsed }] : []
  })

  const orphans = ours
    .filter(({ owner }) => !ownedBySomeone(owner))
    .filter(({ policy }) => !heldBy.has(policy.arn) && (policy.attachmentCount ?? 1) === 0)
    .map(({ policy }) => policy)

  const forUser = (user: IamUser): UserPolicies => {
    const owned: OwnedPart[] = []
    const stale: StalePart[] = []
    for (const { policy, part, owner } of ours) {
      const attached = user.attachedPolicyArns.includes(policy.arn)
      if (namesOwner(owner, user.id)) owned.push({ part, policy, attached })
      else if (attached) {
        const holders = Math.max(heldBy.get(policy.arn) ?? 0, policy.attachmentCount ?? 0)
        // User names are unique ignoring case in IAM.
        const legacy = owner.toLowerCase() === user.name.toLowerCase()
        stale.push({ part, policy, attached, legacy, deletable: !ownedBySomeone(owner) && holders <= 1 })
      }
    }
    return { owned, stale }
  }
  const takenNames = new Set(candidates.map((p) => p.name.toLowerCase()))
  const foreign = candidates.filter((p) => p.path === policyPath && !mine(p))
  const posing = candidates.filter((p) => p.path !== policyPath && parsePolicyName(prefix, p.name))
  return { forUser, orphans, foreign, posing, takenNames }
}

/** A policy that is not any current user's deny: a deleted user's, or not the project's at all. */
export interface Stray {
  policy: ManagedPolicy
  /**
   * `orphan`: a deleted user's; `foreign`: under the path but not the project's writing (always alerted,
   * removed); `posing`: with the project's prefix outside its path (alerted; the spoke may not touch it).
   */
  kind: 'orphan' | 'foreign' | 'posing'
}

/** Every policy that is no current user's deny, by kind. */
export function straysOf(policies: AccountPolicies): Stray[] {
  return [
    ...policies.orphans.map((policy) => ({ policy, kind: 'orphan' as const })),
    ...policies.foreign.map((policy) => ({ policy, kind: 'foreign' as const })),
    ...policies.posing.map((policy) => ({ policy, kind: 'posing' as const })),
  ]
}
