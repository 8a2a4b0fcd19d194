/**
 * A user's use of a service (or of one of its actions), as IAM shows it: in Access Advisor, and as the
 * last use of what signed the requests (an active access key, else the console password). A use with
 * nothing to sign it cannot happen, so a story that tries one is told.
 */
import type { EmUser } from '../emulator/model.js'

export function use(user: EmUser, key: string, at: Date): void {
  user.lastUsed[key] = at
  const accessKey = user.accessKeys.find((k) => k.status === 'Active')
  if (accessKey) accessKey.lastUsed = { at, region: 'us-east-1', service: key.split(':')[0] ?? key }
  else if (user.loginProfile) user.passwordLastUsed = at
  else throw new Error(`${user.name} has no access key or password to use ${key} with`)
}
