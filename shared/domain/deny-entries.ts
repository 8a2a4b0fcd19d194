/**
 * The entries of the project's deny statements and how they are packed into documents: a service
 * (`s3:*`), or one or more actions of a service the user keeps (`iam:CreateUser`, `s3:Put*`, see
 * actions/compress.ts). What a document denies is read back through the same table, so a document we
 * rendered and its reading agree.
 */
import { PolicyLayoutError } from '../errors.js'
import { CATALOG } from './actions/catalog.js'
import { compressActions, expandEntry } from './actions/compress.js'
import { isActionKey, serviceOf } from './actions/keys.js'
import type { Statement } from './deny-policy.js'
import { SERVICE_NAMESPACE } from './records.js'

export const SID_SERVICES = 'DenyUnusedServices'
export const SID_ACTIONS = 'DenyUnusedActions'
const VERSION = '2012-10-17'
const ACTION_ENTRY = /^([a-z0-9-]{1,64}):([A-Za-z][A-Za-z0-9-]{0,127}\*?)$/

/** One entry of a deny statement and the keys it stands for. */
interface Entry {
  kind: 'service' | 'action'
  text: string
  keys: string[]
}

/**
 * The entries a deny set renders to, sorted. `iam` as a service is left out: its own statements deny it
 * (deny-policy.ts). An action of a service denied whole needs no entry of its own: the service's covers it.
 */
export function denyEntries(deny: readonly string[]): Entry[] {
  const keys = [...new Set(deny)]
  const services = new Set(keys.filter((k) => !isActionKey(k)))
  const entries: Entry[] = []
  const actions = new Map<string, Set<string>>()
  for (const key of keys.filter(isActionKey)) {
    const ns = serviceOf(key)
    if (services.has(ns)) continue
    const set = actions.get(ns) ?? new Set<string>()
    set.add(key.slice(ns.length + 1))
    actions.set(ns, set)
  }
  for (const ns of services) {
    const covered = keys.filter((k) => isActionKey(k) && serviceOf(k) === ns)
    if (ns !== 'iam') entries.push({ kind: 'service', text: `${ns}:*`, keys: [ns, ...covered] })
  }
  for (const [ns, denied] of actions) {
    const all = CATALOG.allIn(ns)
    for (const entry of compressActions(denied, all)) {
      const stands = entry.endsWith('*') ? expandEntry(entry, all).filter((a) => denied.has(a)) : [entry]
      entries.push({ kind: 'action', text: `${ns}:${entry}`, keys: stands.map((a) => `${ns}:${a}`) })
    }
  }
  // A service sorts by its name, as before actions were denied: an unchanged set keeps its text.
  const order = (e: Entry) => (e.kind === 'service' ? e.text.slice(0, -2) : e.text)
  return entries.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
}

/**
 * Packs entries in order into as few documents as fit `maxSize`; the fixed statements go into the
 * first. Sizes are added up rather than re-rendered per entry: `"entry",` is the entry plus 3.
 */
export function packEntries(entries: readonly Entry[], fixed: readonly Statement[], maxSize: number) {
  const parts: { keys: string[]; document: string }[] = []
  let current: Entry[] = []
  let carried = [...fixed]
  let size = 0
  const flush = () => {
    if (current.length === 0 && parts.length > 0) return
    parts.push({ keys: current.flatMap((e) => e.keys), document: toDocument(current, carried) })
    current = []
    carried = []
  }
  for (const entry of entries) {
    const opensStatement = !current.some((e) => e.kind === entry.kind)
    let next = opensStatement ? measure([...current, entry], carried) : size + entry.text.length + 3
    if (next > maxSize && current.length > 0) {
      flush()
      next = measure([entry], carried)
    }
    if (next > maxSize)
      throw new PolicyLayoutError(`${entry.text} alone does not fit a policy of ${maxSize} characters`)
    current.push(entry)
    size = next
  }
  flush()
  return parts
}

/** The keys a statement's Action entries stand for; undefined when an entry is not one we write. */
export function entriesOf(action: unknown, kind: Entry['kind']): string[] | undefined {
  if (!Array.isArray(action)) return undefined
  const keys: string[] = []
  for (const text of action) {
    if (typeof text !== 'string') return undefined
    if (kind === 'service') {
      const ns = text.endsWith(':*') ? text.slice(0, -2) : ''
      if (!SERVICE_NAMESPACE.test(ns)) return undefined
      keys.push(ns)
      continue
    }
    const match = ACTION_ENTRY.exec(text)
    if (!match?.[1] || !match[2]) return undefined
    const [, ns, entry] = match
    if (!entry.endsWith('*')) {
      keys.push(`${ns}:${CATALOG.spelling(ns, entry) ?? entry}`)
      continue
    }
    const stands = expandEntry(entry, CATALOG.allIn(ns))
    if (stands.length === 0) return undefined
    keys.push(...stands.map((a) => `${ns}:${a}`))
  }
  return keys
}

function measure(entries: readonly Entry[], fixed: readonly Statement[]): number {
  return toDocument(entries, fixed).replace(/\s/g, '').length
}

function toDocument(entries: readonly Entry[], fixed: readonly Statement[]): string {
  const statements: Statement[] = []
  const of = (kind: Entry['kind']) => entries.filter((e) => e.kind === kind).map((e) => e.text)
  const services = of('service')
  const actions = of('action')
  if (services.length > 0)
    statements.push({ Sid: SID_SERVICES, Effect: 'Deny', Action: services, Resource: '*' })
  if (actions.length > 0)
    statements.push({ Sid: SID_ACTIONS, Effect: 'Deny', Action: actions, Resource: '*' })
  statements.push(...fixed)
  return JSON.stringify({ Version: VERSION, Statement: statements })
}
