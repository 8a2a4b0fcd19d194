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

/** The flag that names a key on the command line: `--service s3` or `--action iam:CreateUser`. */
export function keyFlag(key: string): string {
  return isActionKey(key) ? `--action ${key}` : `--service ${key}`
}

/**
 * Keys as people read them: services as they are, a service's actions as one entry when there are
 * several (`iam` with `actions: 122`), one action by its own key.
 */
export function compactKeys(keys: readonly string[]): { key: string; actions?: number }[] {
  const byService = new Map<string, string[]>()
  const out: { key: string; actions?: number }[] = []
  for (const key of keys) {
    if (!isActionKey(key)) {
      out.push({ key })
      continue
    }
    const group = byService.get(serviceOf(key))
    if (group) group.push(key)
    else byService.set(serviceOf(key), [key])
  }
  for (const [ns, group] of byService)
    out.push(group.length === 1 ? { key: group[0] ?? ns } : { key: ns, actions: group.length })
  return out.sort((a, b) => a.key.localeCompare(b.key) || (a.actions ?? 0) - (b.actions ?? 0))
}

/** `iam (122 actions)`, `s3`, `iam:CreateUser`. */
export function compactText(entry: { key: string; actions?: number | undefined }): string {
  return entry.actions ? `${entry.key} (${entry.actions} actions)` : entry.key
}

/** Whether a set of keys names this key, or the whole service it belongs to. */
export function covers(keys: ReadonlySet<string>, key: string): boolean {
  return keys.has(key) || keys.has(serviceOf(key))
}
