/**
 * Names of the project's per-user policies: `<prefix>.<part>.<user name>`.
 *
 * Every character IAM allows in a policy name is also allowed in a user name, so a plain
 * `<prefix><user>-2` could collide with the policy of a user called `<user>-2`. Putting the part number
 * between two dots right after the fixed prefix makes the mapping from (part, user) to name one-to-one.
 */
export const MAX_PREFIX_LENGTH = 60 // 128 - '.' - two digits - '.' - 64 (longest user name)

export function policyName(prefix: string, part: number, userName: string): string {
  return `${prefix}.${part}.${userName}`
}

/** The part number when `name` is one of this user's policies (IAM compares names ignoring case). */
export function partOf(prefix: string, userName: string, name: string): number | undefined {
  const lowered = name.toLowerCase()
  const head = `${prefix}.`.toLowerCase()
  if (!lowered.startsWith(head)) return undefined
  const match = /^(\d+)\.(.+)$/.exec(lowered.slice(head.length))
  if (!match?.[1] || match[2] !== userName.toLowerCase()) return undefined
  return Number(match[1])
}

export function policyArn(userArn: string, path: string, name: string): string {
  const [, partition, , , account] = userArn.split(':')
  return `arn:${partition}:iam::${account}:policy${path}${name}`
}
