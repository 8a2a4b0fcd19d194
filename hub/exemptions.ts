import type { StateStore } from '../shared/aws/state-store.js'
import { ACCOUNT_ID } from '../shared/config.js'
import type { Exemption } from '../shared/domain/records.js'
import { ConfigError } from '../shared/errors.js'

/**
 * Records a temporary exemption; sweeps honour it until it expires, with no further step. It is granted
 * to the UserId the user's recorded state names, so it follows a rename and a reused name gets nothing;
 * a service must be one the user was granted at the last sweep.
 */
export async function addExemption(
  store: StateStore,
  input: { accountId: string; userName: string; service?: string; days: number; reason: string; now: Date },
): Promise<Exemption> {
  if (!ACCOUNT_ID.test(input.accountId))
    throw new ConfigError(`account: ${input.accountId} is not a 12-digit account id`)
  if (!/^[\w+=,.@-]{1,64}$/.test(input.userName))
    throw new ConfigError(`user: ${input.userName} is not a valid IAM user name`)
  if (input.service !== undefined && !/^[a-z0-9-]+$/.test(input.service)) {
    throw new ConfigError(`service: ${input.service} is not a service namespace such as s3 or ec2`)
  }
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > 365)
    throw new ConfigError('days: a whole number from 1 to 365')
  const user = await store.audit.user(input.accountId, input.userName)
  if (!user) {
    throw new ConfigError(
      `user: no recorded state for ${input.userName} in ${input.accountId}; sweep the account first (a plan sweep will do)`,
    )
  }
  const granted = new Set([...Object.keys(user.firstSeen ?? {}), ...user.denied])
  if (input.service !== undefined && !granted.has(input.service)) {
    throw new ConfigError(`service: ${input.userName} was not granted ${input.service} at the last sweep`)
  }
  const exemption: Exemption = {
    accountId: input.accountId,
    userName: user.userName,
    ...(user.userId ? { userId: user.userId } : {}),
    ...(input.service ? { service: input.service } : {}),
    until: new Date(input.now.getTime() + input.days * 86_400_000).toISOString(),
    reason: input.reason,
    createdAt: input.now.toISOString(),
  }
  await store.users.putExemption(exemption)
  return exemption
}
