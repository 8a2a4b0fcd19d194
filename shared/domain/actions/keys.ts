/**
 * What the project denies is a set of keys: a service namespace (`s3`, denied whole as `s3:*`) or one
 * action of a service (`iam:CreateUser`). Records, schedules, releases, exemptions and attempts all work
 * on keys, so an action deny has everything a service deny has through the same code.
 */
export const DENY_KEY = /^[a-z0-9-]{1,64}(?::[A-Za-z][A-Za-z0-9-]{0,127})?$/

export function serviceOf(key: string): string {
  const colon = key.indexOf(':')
  return colon < 0 ? key : key.slice(0, colon)
}

export function isActionKey(key: string): boolean {
  return key.includes(':')
}

/** Whether a set of keys names this key, or the whole service it belongs to. */
export function covers(keys: ReadonlySet<string>, key: string): boolean {
  return keys.has(key) || keys.has(serviceOf(key))
}
