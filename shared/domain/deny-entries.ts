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
import { isSelfService, type Statement } from './deny-policy.js'
import { SERVICE_NAMESPACE } from './records.js'

export const SID_SERVICES = 'DenyUnusedServices'
export const SID_ACTIONS = 'DenyUnusedActions'
export const SID_SELF_ON_OTHERS = 'DenyUnusedSelfServiceOnOthers'
const VERSION = '2012-10-17'
const ACTION_ENTRY = /^([a-z0-9-]{1,64}):([A-Za-z][A-Za-z0-9-]{0,127}\*?)$/

/** One entry of a deny statement and the keys it stands for. */
interface Entry {
  /** `self`: a self-service action (deny-policy.ts), denied on every user but the owner. */
  kind: 'service' | 'action' | 'self'
  text: string
  keys: string[]
}

/**
 * The entries a deny set renders to, sorted, and the keys the `iam` statements cover (`iam` denied whole
 * is left out of the entries: its own statements deny it, in part 1). An action of a service denied
 * whole needs no entry of its own: the service's covers it, and its key goes with the service's, so the
 * writes know where it is denied.
 */
export function denyEntries(deny: readonly string[]): { entries: Entry[]; iam: string[] } {
  const services = new Set<string>()
  const actions = new Map<string, Set<string>>()
  for (const key of new Set(deny)) {
    if (!isActionKey(key)) {
      services.add(key)
      continue
    }
    const ns = serviceOf(key)
    const set = actions.get(ns) ?? new Set<string>()
    set.add(key.slice(ns.length + 1))
    actions.set(ns, set)
  }
  const entries: Entry[] = []
  let iam: string[] = []
  for (const ns of services) {
    const covered = [...(actions.get(ns) ?? [])].map((a) => `${ns}:${a}`)
    actions.delete(ns)
    if (ns === 'iam') iam = ['iam', ...covered]
    else entries.push({ kind: 'service', text: `${ns}:*`, keys: [ns, ...covered] })
  }
  for (const [ns, denied] of actions) {
    const all = CATALOG.allIn(ns)
    // The self-service actions go in a statement of their own, so no wildcard spans both kinds.
    const self = new Set([...denied].filter((a) => isSelfService(`${ns}:${a}`)))
    const others = new Set([...denied].filter((a) => !self.has(a)))
    for (const [kind, set] of [
      ['action', others],
      ['self', self],
    ] as const)
      for (const entry of compressed(ns, set, all)) {
        const stands = entry.endsWith('*') ? expanded(ns, entry).filter((a) => set.has(a)) : [entry]
        entries.push({ kind, text: `${ns}:${entry}`, keys: stands.map((a) => `${ns}:${a}`) })
      }
  }
  // A service sorts by its name, as before actions were denied (an unchanged set keeps its text), and
  // its actions right after it (a space sorts before any character of a name): when a service becomes
  // denied whole, its actions' keys move only towards it, so the writes always have an order.
  const order = (e: Entry) => (e.kind === 'service' ? e.text.slice(0, -2) : e.text.replace(':', ' '))
  return { entries: entries.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)), iam }
}

/**
 * The compression of one service's denied actions, kept: users of an account share most sets, and the
 * budget's search renders a user's set a dozen times with all but one service's unchanged.
 */
const COMPRESSED = new Map<string, readonly string[]>()
const COMPRESSED_KEPT = 10_000

function compressed(ns: string, set: ReadonlySet<string>, all: readonly string[]): readonly string[] {
  const key = `${ns}:${[...set].sort().join(',')}`
  const known = COMPRESSED.get(key)
  if (known) return known
  if (COMPRESSED.size >= COMPRESSED_KEPT) COMPRESSED.clear()
  const entries = compressActions(set, all)
  COMPRESSED.set(key, entries)
  return entries
}

/** What a wildcard matches in the table, kept: every user's policies are read back at every sweep. */
const EXPANDED = new Map<string, readonly string[]>()

function expanded(ns: string, entry: string): readonly string[] {
  const key = `${ns}:${entry}`
  const known = EXPANDED.get(key)
  if (known) return known
  if (EXPANDED.size >= COMPRESSED_KEPT) EXPANDED.clear()
  const actions = expandEntry(entry, CATALOG.allIn(ns))
  EXPANDED.set(key, actions)
  return actions
}

/**
 * Packs entries in order into as few documents as fit `maxSize`; the fixed statements go into the
 * first. Sizes are added up rather than re-rendered per entry: `"entry",` is the entry plus 3.
 */
export function packEntries(
  entries: readonly Entry[],
  fixed: readonly Statement[],
  layout: { maxSize: number; own: readonly string[] },
) {
  const { maxSize } = layout
  const parts: { keys: string[]; document: string }[] = []
  let current: Entry[] = []
  let carried = [...fixed]
  let size = 0
  const flush = () => {
    if (current.length === 0 && parts.length > 0) return
    parts.push({ keys: current.flatMap((e) => e.keys), document: toDocument(current, carried, layout.own) })
    current = []
    carried = []
  }
  for (const entry of entries) {
    const opensStatement = !current.some((e) => e.kind === entry.kind)
    let next = opensStatement
      ? measure([...current, entry], carried, layout.own)
      : size + entry.text.length + 3
    if (next > maxSize && current.length > 0) {
      flush()
      next = measure([entry], carried, layout.own)
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
    // Only tracked actions are ever denied on their own, so a wildcard stands for the tracked actions it
    // matches; after a table refresh, one AWS added (untracked) is not taken for a deny of ours, and a
    // wildcard that now matches nothing stands for nothing known (the record still names its denies).
    const stands = expanded(ns, entry).filter((a) => CATALOG.isTracked(ns, a))
    keys.push(...stands.map((a) => `${ns}:${a}`))
  }
  return keys
}

function measure(entries: readonly Entry[], fixed: readonly Statement[], own: readonly string[]): number {
  return toDocument(entries, fixed, own).replace(/\s/g, '').length
}

/** `own`: the owner's user ARNs and the MFA devices, which the self-service statement leaves alone. */
function toDocument(entries: readonly Entry[], fixed: readonly Statement[], own: readonly string[]): string {
  const statements: Statement[] = []
  const of = (kind: Entry['kind']) => entries.filter((e) => e.kind === kind).map((e) => e.text)
  const services = of('service')
  const actions = of('action')
  if (services.length > 0)
    statements.push({ Sid: SID_SERVICES, Effect: 'Deny', Action: services, Resource: '*' })
  if (actions.length > 0)
    statements.push({ Sid: SID_ACTIONS, Effect: 'Deny', Action: actions, Resource: '*' })
  const self = of('self')
  if (self.length > 0)
    statements.push({ Sid: SID_SELF_ON_OTHERS, Effect: 'Deny', Action: self, NotResource: [...own] })
  statements.push(...fixed)
  return JSON.stringify({ Version: VERSION, Statement: statements })
}
