import { partOf } from './policy-naming.js'
import type { IamUser, ManagedPolicy } from './types.js'
import type { OwnedPart } from './write-plan.js'

export interface UserPolicies {
  /** The project's policies for this user: our name and our path. */
  owned: OwnedPart[]
  /** Policies with our name for this user but another path: not ours, never written. */
  foreign: { part: number; policy: ManagedPolicy }[]
}

/** Sorts a user's candidate policies by ownership, which is decided by the path, never by the name alone. */
export function userPolicies(
  user: IamUser,
  candidates: readonly ManagedPolicy[],
  prefix: string,
  policyPath: string,
): UserPolicies {
  const owned: OwnedPart[] = []
  const foreign: UserPolicies['foreign'] = []
  for (const policy of candidates) {
    const part = partOf(prefix, user.name, policy.name)
    if (part === undefined) continue
    if (policy.path === policyPath)
      owned.push({ part, policy, attached: user.attachedPolicyArns.includes(policy.arn) })
    else foreign.push({ part, policy })
  }
  return { owned, foreign }
}
