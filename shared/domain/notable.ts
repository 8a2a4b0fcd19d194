/** The short lists an account's sweep leaves for the digest, cut to a size worth keeping in a row. */

import { compactKeys, compactText } from './actions/keys.js'
import { newNotices } from './notice.js'
import type { Notable, ScheduledEntry, UserDecision } from './records.js'

/** Entries kept per list and account, and services per user: enough for a digest, small enough to keep. */
export const NOTABLE_LIMIT = 25
export const SERVICES_LIMIT = 10

/** Each user's scheduled denies, earliest first, and the owner their tag names. */
function scheduledOf(decisions: readonly UserDecision[]): ScheduledEntry[] {
  return decisions.flatMap((d): ScheduledEntry[] => {
    const byDay = new Map<string, string[]>()
    for (const [key, s] of Object.entries(d.scheduled ?? {}))
      byDay.set(s.on, [...(byDay.get(s.on) ?? []), key])
    const services = [...byDay]
      .flatMap(([on, keys]) =>
        compactKeys(keys).map((c) => ({
          namespace: c.key,
          on,
          ...(c.actions ? { actions: c.actions } : {}),
        })),
      )
      .sort((a, b) => a.on.localeCompare(b.on) || a.namespace.localeCompare(b.namespace))
    if (services.length === 0) return []
    return [
      {
        userName: d.userName,
        services: services.slice(0, SERVICES_LIMIT),
        servicesCount: services.length,
        ...(d.owner && 'memberId' in d.owner ? { owner: d.owner.memberId } : {}),
        ...(d.owner && 'malformed' in d.owner ? { ownerMalformed: true as const } : {}),
      },
    ]
  })
}

/** An account's first enforce sweep: its users, and the denies it scheduled for which day. */
function onboardedOf(decisions: readonly UserDecision[]): Pick<Notable, 'onboarded'> {
  const days = decisions.flatMap((d) => newNotices(d.newlyScheduled, d.scheduled).map((n) => n.on))
  return { onboarded: { users: decisions.length, denies: days.length, on: days.sort()[0] ?? '' } }
}

/** The lists, whole: what each kind of notable decision says. */
function listsOf(decisions: readonly UserDecision[]) {
  const restricting = new Set(['enforced', 'planned', 'braked'])
  return {
    restricted: decisions
      .filter((d) => d.added.length > 0 && restricting.has(d.status))
      .map((d) => {
        const added = compactKeys(d.added.map((c) => c.namespace)).map(compactText)
        return { userName: d.userName, added: added.slice(0, SERVICES_LIMIT), addedCount: added.length }
      }),
    tampered: decisions
      .filter((d) => (d.tampered?.length ?? 0) > 0)
      .map((d) => ({ userName: d.userName, kinds: [...new Set(d.tampered?.map((t) => t.kind))] })),
    quotaBlocked: decisions.filter((d) => d.status === 'quota-blocked').map((d) => d.userName),
    errors: decisions
      .filter((d) => d.status === 'error')
      .map((d) => ({ userName: d.userName, reason: d.reason.slice(0, 200) })),
    attempts: decisions.flatMap((d) =>
      (d.attempts ?? []).map((a) => ({ userName: d.userName, namespace: a.namespace, at: a.at })),
    ),
    newlyExempt: decisions.flatMap((d) =>
      d.newlyExemptTag ? [{ userName: d.userName, tag: d.newlyExemptTag }] : [],
    ),
    exemptionRequests: decisions.flatMap((d) =>
      d.exemptionRequest ? [{ userName: d.userName, tag: d.exemptionRequest }] : [],
    ),
    scheduled: scheduledOf(decisions),
  }
}

export function notableOf(
  decisions: readonly UserDecision[],
  strays: { orphans: readonly string[]; foreign: readonly string[] } = { orphans: [], foreign: [] },
  onboarding = false,
): Notable {
  const lists = listsOf(decisions)
  const cut = <T>(items: readonly T[]) => items.slice(0, NOTABLE_LIMIT)
  return {
    restricted: cut(lists.restricted),
    tampered: cut(lists.tampered),
    quotaBlocked: cut(lists.quotaBlocked),
    errors: cut(lists.errors),
    attempts: cut(lists.attempts),
    newlyExempt: cut(lists.newlyExempt),
    exemptionRequests: cut(lists.exemptionRequests),
    orphans: strays.orphans.length,
    foreign: cut(strays.foreign),
    foreignCount: strays.foreign.length,
    scheduled: cut(lists.scheduled),
    ...(onboarding ? onboardedOf(decisions) : {}),
    totals: {
      scheduled: lists.scheduled.length,
      restricted: lists.restricted.length,
      tampered: lists.tampered.length,
      quotaBlocked: lists.quotaBlocked.length,
      errors: lists.errors.length,
      attempts: lists.attempts.length,
      newlyExempt: lists.newlyExempt.length,
      exemptionRequests: lists.exemptionRequests.length,
    },
  }
}

/** One account's lists from several invocations (an account carried on at a user boundary). */
export function mergeNotable(a: Notable, b: Notable): Notable {
  const cap = <T>(x: readonly T[], y: readonly T[]) => [...x, ...y].slice(0, NOTABLE_LIMIT)
  return {
    restricted: cap(a.restricted, b.restricted),
    tampered: cap(a.tampered, b.tampered),
    quotaBlocked: cap(a.quotaBlocked, b.quotaBlocked),
    errors: cap(a.errors, b.errors),
    attempts: cap(a.attempts, b.attempts),
    newlyExempt: cap(a.newlyExempt, b.newlyExempt),
    exemptionRequests: cap(a.exemptionRequests ?? [], b.exemptionRequests ?? []),
    orphans: a.orphans + b.orphans,
    foreign: cap(a.foreign, b.foreign),
    foreignCount: a.foreignCount + b.foreignCount,
    scheduled: cap(a.scheduled ?? [], b.scheduled ?? []),
    ...mergeOnboarded(a.onboarded, b.onboarded),
    totals: {
      scheduled: (a.totals.scheduled ?? 0) + (b.totals.scheduled ?? 0),
      restricted: a.totals.restricted + b.totals.restricted,
      tampered: a.totals.tampered + b.totals.tampered,
      quotaBlocked: a.totals.quotaBlocked + b.totals.quotaBlocked,
      errors: a.totals.errors + b.totals.errors,
      attempts: a.totals.attempts + b.totals.attempts,
      newlyExempt: a.totals.newlyExempt + b.totals.newlyExempt,
      exemptionRequests: (a.totals.exemptionRequests ?? 0) + (b.totals.exemptionRequests ?? 0),
    },
  }
}

function mergeOnboarded(a: Notable['onboarded'], b: Notable['onboarded']): Pick<Notable, 'onboarded'> {
  if (!a || !b) {
    const one = a ?? b
    return one ? { onboarded: one } : {}
  }
  const on = [a.on, b.on].filter(Boolean).sort()[0] ?? ''
  return { onboarded: { users: a.users + b.users, denies: a.denies + b.denies, on } }
}
