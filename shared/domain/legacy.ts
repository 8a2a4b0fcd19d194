/**
 * Rows from before the UserId was kept name a user only by name: read by name once, then resolved to a
 * UserId, and refused from then on, so that a rename onto that name never inherits what they grant.
 */
import type { Exemption, UserState } from './records.js'
import type { IamUser } from './types.js'

export interface LegacyResolution {
  /** Old exemptions, each written anew under the UserId it resolves to. */
  resolved: Exemption[]
  /** Old exemptions to delete: resolved (written anew), or of a user no longer there. */
  dropped: Exemption[]
}

/**
 * Resolves an account's old exemption rows: to the UserId the user's recorded state under that name
 * carries (it is the older witness), else to the UserId of the user IAM lists under that name now; one
 * whose user is gone is dropped. Pure: the caller writes the rows and marks the account resolved.
 */
export function resolveLegacy(
  records: { exemptions: readonly Exemption[]; users: ReadonlyMap<string, UserState> },
  listed: readonly IamUser[],
): LegacyResolution {
  const resolved: Exemption[] = []
  const dropped: Exemption[] = []
  const byName = new Map(listed.map((u) => [u.name.toLowerCase(), u.id]))
  const recorded = new Map([...records.users.values()].map((u) => [u.userName.toLowerCase(), u.userId]))
  for (const exemption of records.exemptions) {
    if (exemption.userId) continue
    const name = exemption.userName.toLowerCase()
    const userId = recorded.get(name) ?? byName.get(name)
    dropped.push(exemption)
    if (userId) resolved.push({ ...exemption, userId })
  }
  return { resolved, dropped }
}

/** Rows that name a user only by name, found after the account's old rows were resolved: refused. */
export function refusedLegacy(records: {
  exemptions: readonly Exemption[]
  users: ReadonlyMap<string, UserState>
  account?: { legacyResolvedAt?: string | undefined } | undefined
}): string[] {
  if (!records.account?.legacyResolvedAt) return []
  return [
    ...records.exemptions
      .filter((e) => !e.userId)
      .map((e) => `exemption of ${e.userName} (${e.service ?? '*'})`),
    ...[...records.users.values()].filter((u) => !u.userId).map((u) => `state of ${u.userName}`),
  ]
}
