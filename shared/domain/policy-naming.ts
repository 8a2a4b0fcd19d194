/**
 * Names of the project's per-user policies: `<prefix>.<part>.<owner's UserId>`.
 *
 * The UserId, not the user name, because it is the user's identity: it survives `UpdateUser` renames,
 * so a renamed user keeps its policies, and it is never reused, so a new user created with a deleted
 * user's name never inherits that user's policies. UserIds are upper-case letters and digits, so the
 * mapping from (part, owner) to name is one-to-one.
 */
export const MAX_PREFIX_LENGTH = 60 // 128 - '.' - two digits - '.' - 64 (longest IAM identifier)

export function policyName(prefix: string, part: number, ownerId: string): string {
  return `${prefix}.${part}.${ownerId}`
}

/** Splits one of the project's policy names into its part number and owner key, or undefined. */
export function parsePolicyName(prefix: string, name: string): { part: number; owner: string } | undefined {
  const head = `${prefix}.`.toLowerCase()
  if (!name.toLowerCase().startsWith(head)) return undefined
  const match = /^(\d+)\.(.+)$/.exec(name.slice(head.length))
  if (!match?.[1] || !match[2]) return undefined
  return { part: Number(match[1]), owner: match[2] }
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
