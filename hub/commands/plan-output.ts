import type { ReleaseResult, RollbackResult } from '../../shared/app/operator.js'
import { newNotices } from '../../shared/domain/notice.js'
import type { PlannedUser, SweepAccountRow, SweepSummary, UserDecision } from '../../shared/domain/records.js'
import { list, table } from './table.js'

export function rollbackTable(results: readonly RollbackResult[]): string {
  return table(
    ['user', 'policies removed', 'services released', 'scheduled denies dropped'],
    results.map((r) => [r.userName, r.removedPolicies.length, list(r.released), list(r.cancelled)]),
  )
}

/** One user's plan, service by service: what would be denied or released, why, and its last use. */
export function userPlanText(d: UserDecision): string {
  const rows = [
    ...d.added.map((c) => ['deny', c.namespace, c.reason, c.lastUsed ?? 'never (in the tracking period)']),
    ...d.removed.map((c) => ['release', c.namespace, c.reason, c.lastUsed ?? '']),
    ...newNotices(d.newlyScheduled, d.scheduled).map((n) => ['schedule', n.key, `deny on ${n.on}`, '']),
    ...(d.cancelled ?? []).map((c) => ['cancel', c.namespace, `scheduled deny dropped: ${c.reason}`, '']),
  ]
  const changes = rows.length > 0 ? table(['change', 'service', 'reason', 'last used'], rows) : 'no change'
  const waiting = Object.entries(d.scheduled ?? {}).map(([ns, s]) => `${ns} on ${s.on}`)
  // The header counts what the rows below say, whatever the status word.
  const counts = [
    [d.added.length, 'to deny'],
    [d.removed.length, 'to release'],
    [d.newlyScheduled?.length ?? 0, 'to schedule'],
    [d.cancelled?.length ?? 0, 'to drop from the schedule'],
  ].flatMap(([n, what]) => (n ? [`${n} ${what}`] : []))
  const head = `${d.userName} in ${d.accountId}: ${counts.join(', ') || 'no change'} (${d.status}; ${d.reason})`
  return `${head}\n${changes}\nstill denied: ${list(d.denied, 40) || 'nothing'}\nscheduled: ${list(waiting, 40) || 'nothing'}`
}

export function releaseText(result: ReleaseResult, enforce: string): string {
  const d = result.decision
  const released = [
    ...d.removed.map((r) => r.namespace),
    ...(d.cancelled ?? []).map((c) => c.namespace),
  ].join(', ')
  const done = result.mode === 'enforce' && d.status === 'released'
  if (done)
    return `released ${released} for ${d.userName} in ${d.accountId}\nstill denied: ${list(d.denied) || 'nothing'}\nstatus: ${d.status}; ${d.reason}`
  // A preview's decision still holds what is live: what stays is what is denied less what it releases.
  const lifted = new Set(d.removed.map((r) => r.namespace))
  const stays = d.denied.filter((k) => !lifted.has(k) && !lifted.has(k.split(':')[0] ?? ''))
  return `would release ${released} for ${d.userName} in ${d.accountId} (a preview; to apply it: ${enforce})\nwould stay denied: ${list(stays) || 'nothing'}`
}

const day = (time: string | undefined) => time?.slice(0, 10) ?? 'never'

/** Services with their last use, the most recently used first: those are the ones to look at. */
const byLastUse = (items: readonly { key: string; lastUsed?: string | undefined }[]) =>
  [...items]
    .sort((a, b) => (b.lastUsed ?? '').localeCompare(a.lastUsed ?? '') || a.key.localeCompare(b.key))
    .map((i) => `${i.key} (${day(i.lastUsed)})`)

/**
 * A plan sweep's review: a line per user and change (deny now, deny on a day, release, drop from the
 * schedule), each service with its last use, so that the go/no-go is read before an enforce.
 */
export function planReview(
  sweep: SweepSummary,
  plans: readonly PlannedUser[],
  accounts: readonly SweepAccountRow[],
): string {
  const sorted = [...plans].sort(
    (a, b) => a.accountId.localeCompare(b.accountId) || a.userName.localeCompare(b.userName),
  )
  const rows = sorted.flatMap((p) => {
    const byDay = new Map<string, PlannedUser['scheduled']>()
    for (const s of p.scheduled) byDay.set(s.on, [...(byDay.get(s.on) ?? []), s])
    const lines: [string, string[]][] = [
      ['deny now', byLastUse(p.added.map((c) => ({ key: c.namespace, lastUsed: c.lastUsed })))],
      ...[...byDay].sort().map(([on, keys]): [string, string[]] => [`deny on ${on}`, byLastUse(keys)]),
      ['release', p.removed.map((c) => `${c.namespace} (${c.reason})`)],
      ['drop from schedule', p.cancelled.map((c) => `${c.namespace} (${c.reason})`)],
    ]
    return lines
      .filter(([, keys]) => keys.length > 0)
      .map(([change, keys]) => [p.accountId, p.userName, change, keys.length, list(keys, 6)])
  })
  const users = new Set(plans.map((p) => `${p.accountId}/${p.userId}`)).size
  // Short lines: a terminal must not wrap through an ID or a time. What the plan does not cover is said
  // first: "nothing would change" over half the organization is no go-ahead.
  const head = [
    `sweep ${sweep.sweepId} (${sweep.mode}, ${sweep.status})`,
    `started ${sweep.startedAt}`,
    coverage(sweep, accounts),
    `${users} ${users === 1 ? 'user' : 'users'} would change`,
  ].join('\n')
  if (rows.length === 0) return `${head}\nnothing would change`
  return `${head}\n${table(['account', 'user', 'change', 'count', 'services (last used)'], rows)}`
}

/** How much of the organization a plan covers: accounts swept, and those it could not judge. */
function coverage(sweep: SweepSummary, accounts: readonly SweepAccountRow[]): string {
  const count = (kind: string) => accounts.filter((a) => a.outcome === kind).length
  const [unreachable, failed] = [count('unreachable'), count('failed')]
  const braked = accounts.filter((a) => a.brake).length
  const left = sweep.accountCount - accounts.length
  return [
    `covers ${accounts.length - unreachable - failed} of the ${sweep.accountCount} accounts it targeted`,
    ...(unreachable > 0 ? [`${unreachable} unreachable`] : []),
    ...(failed > 0 ? [`${failed} failed`] : []),
    ...(braked > 0 ? [`${braked} braked`] : []),
    ...(left > 0 ? [`${left} not done (the sweep is ${sweep.status})`] : []),
  ].join('; ')
}
