import table from './table.json' with { type: 'json' }
import { type ActionTable, actionTable } from './table-shape.js'

/** Checked once at load: a table edited by hand into another shape fails here, not mid-plan. */
const TABLE: ActionTable = actionTable.parse(table)

/** Risk ranks, lowest first: what the budget adds first when not every action deny fits. */
export const RISK = { permissionManagement: 0, write: 1, other: 2 } as const

/**
 * The actions Access Advisor tracks, per service (AWS's service reference, see hub/refresh-actions.ts).
 * An action it does not track has no evidence of use or non-use: it is never denied as unused.
 */
export class ActionCatalog {
  private readonly tracked = new Map<string, ReadonlySet<string>>()
  private readonly all = new Map<string, readonly string[]>()
  private readonly byLowerCase = new Map<string, Map<string, string>>()
  private readonly ranks = new Map<string, number>()

  constructor(private readonly table: ActionTable = TABLE) {
    for (const [ns, s] of Object.entries(table.services)) {
      this.tracked.set(ns, new Set(s.tracked))
      this.all.set(ns, [...s.tracked, ...s.untracked].sort())
      this.byLowerCase.set(ns, new Map([...s.tracked, ...s.untracked].map((a) => [a.toLowerCase(), a])))
      for (const a of s.write) this.ranks.set(`${ns}:${a}`, RISK.write)
      for (const a of s.permissionManagement) this.ranks.set(`${ns}:${a}`, RISK.permissionManagement)
    }
  }

  get asOf(): string {
    return this.table.asOf
  }

  /** Services with at least one tracked action. */
  services(): string[] {
    return Object.keys(this.table.services)
  }

  trackedIn(ns: string): readonly string[] {
    return this.table.services[ns]?.tracked ?? []
  }

  /** Every action the reference lists for the service, tracked or not, sorted. */
  allIn(ns: string): readonly string[] {
    return this.all.get(ns) ?? []
  }

  isTracked(ns: string, action: string): boolean {
    return this.tracked.get(ns)?.has(action) ?? false
  }

  /** The reference's spelling of an action named in any case (IAM compares action names ignoring case). */
  spelling(ns: string, action: string): string | undefined {
    return this.byLowerCase.get(ns)?.get(action.toLowerCase())
  }

  risk(ns: string, action: string): number {
    return this.ranks.get(`${ns}:${action}`) ?? RISK.other
  }

  /** The day a table refresh found the action newly tracked: Access Advisor knows nothing of it before. */
  trackedSince(ns: string, action: string): string | undefined {
    return this.table.trackedSince[`${ns}:${action}`]
  }

  counts(): { services: number; tracked: number; actions: number } {
    const all = Object.values(this.table.services)
    return {
      services: all.length,
      tracked: all.reduce((n, s) => n + s.tracked.length, 0),
      actions: all.reduce((n, s) => n + s.tracked.length + s.untracked.length, 0),
    }
  }
}

export const CATALOG = new ActionCatalog()
