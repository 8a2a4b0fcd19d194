/**
 * Names of the project's per-user policies: `<prefix>.<part>.<owner's UserId>`.
 *
 * The UserId, not the user name, because it is the user's identity: it survives `UpdateUser` renames,
 * so a renamed user keeps its policies, and it is never reused, so a new user created with a deleted
 * user's name never inherits that user's policies. UserIds are upper-case letters and digits, so the
 * mapping from (part, owner) to name is one-to-one.
 */
export const MAX_PREFIX_LENGTH = 60 // 128 - '.' - two digits - '.' - 64 (longest IAM identifier)

/**
 * `suffix` is used only when the plain name is already taken (IAM compares names ignoring case) by a
 * policy outside the project's path: a name someone created first never keeps a user from their deny.
 */
export function policyName(prefix: string, part: number, ownerId: string, suffix?: string): string {
  return `${prefix}.${part}.${ownerId}${suffix ? `.${suffix}` : ''}`
}

/**
 * Splits a name written by policyName into its part number and the rest (the owner's UserId, maybe with a
 * suffix; or a user name, in names from before UserIds). Exact: the prefix as configured, the part as
 * written, so that a look-alike such as `leastprivilegedeny.01.<id>` is never read as one of ours.
 */
export function parsePolicyName(prefix: string, name: string): { part: number; owner: string } | undefined {
  if (!name.startsWith(`${prefix}.`)) return undefined
  const match = /^([1-9]\d*)\.(.+)$/.exec(name.slice(prefix.length + 1))
  if (!match?.[1] || !match[2]) return undefined
  return { part: Number(match[1]), owner: match[2] }
}

/** Whether the owner part of a name names this UserId (with or without a suffix). */
export function namesOwner(owner: string, userId: string): boolean {
  return owner === userId || owner.startsWith(`${userId}.`)
}

export function policyArn(userArn: string, path: string, name: string): string {
  const [, partition, , , account] = userArn.split(':')
  return `arn:${partition}:iam::${account}:policy${path}${name}`
}

/** Path and name of a managed policy, read from its ARN: the ARN is the identity, other fields may be absent. */
export function pathAndNameOf(arn: string): { path: string; name: string } | undefined {
  const match = /^arn:[^:]+:iam::\d{12}:policy(\/(?:.*\/)?)([^/]+)$/.exec(arn)
  if (!match?.[1] || !match[2]) return undefined
  return { path: match[1], name: match[2] }
}
