/**
 * Which actions the planner judges one by one, and what the report says of each: the tracked actions of
 * every service the user keeps (not denied, not scheduled whole), and every action already denied (so an
 * attempt on it is seen). The self-service actions are judged too, but their deny never reaches the
 * user's own user (deny-entries.ts): unused, they are taken away only on other users. An action is judged like a service, under
 * its own key (`iam:CreateUser`, see actions/keys.ts).
 */
import type { ActionCatalog } from './actions/catalog.js'
import { isActionKey, serviceOf } from './actions/keys.js'
import type { ScheduledDeny } from './records.js'
import type { ServiceUsage } from './types.js'

export interface ActionLevel {
  catalog: ActionCatalog
  /** Services whose actions are judged; absent, every service with tracked actions. */
  services?: ReadonlySet<string>
}

interface ActionInput {
  report: readonly ServiceUsage[]
  currentlyDenied: ReadonlySet<string>
  scheduled: Readonly<Record<string, ScheduledDeny>>
  actionLevel?: ActionLevel
}

/**
 * `judged`: one usage row per action key to judge, dated by the report's last attempt on the action
 * (none within the tracking period: no date). `notJudged`: scheduled action denies whose service is
 * now denied or scheduled whole, or whose actions are no longer judged: they leave the schedule.
 */
export function actionUsages(
  input: ActionInput,
  after: { deny: ReadonlySet<string>; scheduled: Readonly<Record<string, ScheduledDeny>> },
): { judged: ServiceUsage[]; notJudged: string[] } {
  const judged: ServiceUsage[] = []
  const notJudged: string[] = []
  const level = input.actionLevel
  const held = byService([...input.currentlyDenied])
  const announced = byService(Object.keys(input.scheduled))
  for (const usage of input.report) {
    const ns = usage.namespace
    const whole = after.deny.has(ns) || after.scheduled[ns] !== undefined || input.currentlyDenied.has(ns)
    const covered = level !== undefined && (level.services?.has(ns) ?? true) && usage.actions !== undefined
    const keys = new Set(covered && !whole ? level.catalog.trackedIn(ns).map((a) => `${ns}:${a}`) : [])
    for (const key of held.get(ns) ?? []) keys.add(key)
    for (const key of announced.get(ns) ?? [])
      if (!keys.has(key) && !input.currentlyDenied.has(key)) notJudged.push(key)
    const last = new Map((usage.actions ?? []).map((a) => [a.name.toLowerCase(), a]))
    for (const key of [...keys].sort()) {
      const use = last.get(key.slice(ns.length + 1).toLowerCase())
      judged.push({
        namespace: key,
        ...(use ? { lastAuthenticated: use.lastAccessed } : {}),
        ...(use?.region ? { lastRegion: use.region } : {}),
      })
    }
  }
  return { judged, notJudged: notJudged.sort() }
}

/** Action keys by their service. */
function byService(keys: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const key of keys) {
    if (!isActionKey(key)) continue
    const ns = serviceOf(key)
    const list = out.get(ns)
    if (list) list.push(key)
    else out.set(ns, [key])
  }
  return out
}

/**
 * When an action counts as granted from: its service's first-seen date, or the day a table refresh
 * found it newly tracked, whichever is later (Access Advisor has no record of it before that day).
 */
export function actionSeen(
  input: { actionLevel?: ActionLevel; now: Date },
  firstSeen: Readonly<Record<string, string>>,
  key: string,
): string {
  const ns = serviceOf(key)
  const service = firstSeen[ns] ?? input.now.toISOString()
  const tracked = input.actionLevel?.catalog.trackedSince(ns, key.slice(ns.length + 1))
  if (!tracked) return service
  const since = new Date(`${tracked}T00:00:00Z`).toISOString()
  return Date.parse(since) > Date.parse(service) ? since : service
}
