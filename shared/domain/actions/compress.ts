/**
 * Writes a set of denied actions of one service as few policy entries as it can: `Put*` for every
 * action starting with `Put` when each of them (in the reference) is in the set, the action's own name
 * otherwise. A wildcard ends where a word of the names ends (`Put*`, `CreateUser*`, never `P*`), so
 * what it may match later stays within one family of actions. A wildcard never stands for an action outside the set, so an untracked, used or carved-out
 * action is never denied through one; it also matches actions AWS adds later (see the README).
 */
export function compressActions(denied: ReadonlySet<string>, all: readonly string[]): string[] {
  const known = [...new Set([...all, ...denied])].sort(byLowerCase)
  const out: string[] = []
  const walk = (prefix: string, names: readonly string[]) => {
    if (names.length === 0) return
    // A wildcard for one action would only widen it to future ones; the root would be the whole service.
    if (atWordEnd(prefix, names) && names.length > 1 && names.every((n) => denied.has(n))) {
      out.push(`${prefix}*`)
      return
    }
    if (names.length === 1) {
      const [only] = names
      if (only !== undefined && denied.has(only)) out.push(only)
      return
    }
    const depth = prefix.length
    const groups = new Map<string, string[]>()
    for (const name of names) {
      if (name.length === depth) {
        if (denied.has(name)) out.push(name)
        continue
      }
      const next = name.slice(0, depth + 1)
      const group = groups.get(next.toLowerCase())
      if (group) group.push(name)
      else groups.set(next.toLowerCase(), [name])
    }
    for (const group of groups.values()) walk(group[0]?.slice(0, depth + 1) ?? '', group)
  }
  walk('', known)
  return out
}

/**
 * Whether the prefix is whole words of every name, as CamelCase splits them: each name ends there, or
 * goes on with a new word (a capital after a small letter or digit, or the last capital of an acronym
 * before a small letter: `ListFHIR|Datastores`, never `ListF|HIR`).
 */
function atWordEnd(prefix: string, names: readonly string[]): boolean {
  if (prefix.length === 0) return false
  const at = prefix.length
  const upper = (c: string) => c >= 'A' && c <= 'Z'
  const lowerOrDigit = (c: string) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
  return names.every((n) => {
    if (n.length === at) return true
    const [before, next, after] = [n.charAt(at - 1), n.charAt(at), n.charAt(at + 1)]
    return upper(next) && (lowerOrDigit(before) || (upper(before) && after >= 'a' && after <= 'z'))
  })
}

/** The actions of `all` an entry (`Name` or `Prefix*`) matches, as IAM matches them: ignoring case. */
export function expandEntry(entry: string, all: readonly string[]): string[] {
  const lower = entry.toLowerCase()
  if (!lower.endsWith('*')) return all.filter((a) => a.toLowerCase() === lower)
  const prefix = lower.slice(0, -1)
  return all.filter((a) => a.toLowerCase().startsWith(prefix))
}

function byLowerCase(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}
