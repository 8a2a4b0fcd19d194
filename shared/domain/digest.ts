import { DECISION_STATUS_NAMES, type UserDecision } from './decision.js'
import type { StatusCounts } from './records.js'

/** A user's denies announced and not carried out yet, for the digest. */
export interface ScheduledEntry {
  userName: string
  /** The first SERVICES_LIMIT, earliest day first; `servicesCount` counts them all. */
  services: { namespace: string; on: string }[]
  servicesCount: number
  /** The owner's Slack member id, from the user's owner tag. */
  owner?: string
  /** The owner tag's value is not a Slack member id: reported, never put in the message. */
  ownerMalformed?: true
}

/** What an account's sweep leaves for the digest: short lists, with the full counts. */
export interface Notable {
  /** `added` holds the first SERVICES_LIMIT services; `addedCount` all of them. */
  restricted: { userName: string; added: string[]; addedCount: number }[]
  tampered: { userName: string; kinds: string[] }[]
  quotaBlocked: string[]
  errors: { userName: string; reason: string }[]
  /** Attempts on denied services: one entry per user and service, the latest attempt. */
  attempts: { userName: string; namespace: string; at: string }[]
  /** Users who became exempt by tag since the last sweep, with the tag. */
  newlyExempt: { userName: string; tag: string }[]
  /** Policies of deleted users, removed (enforce) or to remove (plan). */
  orphans: number
  /** Policies planted under the project's path, with their ARNs (the first few). */
  foreign: string[]
  foreignCount: number
  /** Users with denies scheduled (absent in rows written before notices existed). */
  scheduled?: ScheduledEntry[]
  /** The account's first enforce sweep: its users, and the denies it scheduled for which days. */
  onboarded?: { users: number; denies: number; on: string }
  /** Full counts, since the lists are cut at NOTABLE_LIMIT entries. */
  totals: {
    scheduled?: number
    restricted: number
    tampered: number
    quotaBlocked: number
    errors: number
    attempts: number
    newlyExempt: number
  }
}

/** Entries kept per list and account, and services per user: enough for a digest, small enough to keep. */
export const NOTABLE_LIMIT = 25
export const SERVICES_LIMIT = 10

export function notableOf(
  decisions: readonly UserDecision[],
  orphans: readonly string[] = [],
  foreign: readonly string[] = [],
  onboarding = false,
): Notable {
  const scheduled = decisions.flatMap((d): ScheduledEntry[] => {
    const services = Object.entries(d.scheduled ?? {})
      .map(([namespace, s]) => ({ namespace, on: s.on }))
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
  const onboardingDays = decisions.flatMap((d) =>
    (d.newlyScheduled ?? []).map((ns) => d.scheduled?.[ns]?.on ?? ''),
  )
  const restricted = decisions
    .filter(
      (d) =>
        d.added.length > 0 && (d.status === 'enforced' || d.status === 'planned' || d.status === 'braked'),
    )
    .map((d) => ({
      userName: d.userName,
      added: d.added.slice(0, SERVICES_LIMIT).map((c) => c.namespace),
      addedCount: d.added.length,
    }))
  const tampered = decisions
    .filter((d) => (d.tampered?.length ?? 0) > 0)
    .map((d) => ({ userName: d.userName, kinds: [...new Set(d.tampered?.map((t) => t.kind))] }))
  const quotaBlocked = decisions.filter((d) => d.status === 'quota-blocked').map((d) => d.userName)
  const errors = decisions
    .filter((d) => d.status === 'error')
    .map((d) => ({ userName: d.userName, reason: d.reason.slice(0, 200) }))
  const attempts = decisions.flatMap((d) =>
    (d.attempts ?? []).map((a) => ({ userName: d.userName, namespace: a.namespace, at: a.at })),
  )
  const newlyExempt = decisions.flatMap((d) =>
    d.newlyExemptTag ? [{ userName: d.userName, tag: d.newlyExemptTag }] : [],
  )
  return {
    restricted: restricted.slice(0, NOTABLE_LIMIT),
    tampered: tampered.slice(0, NOTABLE_LIMIT),
    quotaBlocked: quotaBlocked.slice(0, NOTABLE_LIMIT),
    errors: errors.slice(0, NOTABLE_LIMIT),
    attempts: attempts.slice(0, NOTABLE_LIMIT),
    newlyExempt: newlyExempt.slice(0, NOTABLE_LIMIT),
    orphans: orphans.length,
    foreign: foreign.slice(0, NOTABLE_LIMIT),
    foreignCount: foreign.length,
    scheduled: scheduled.slice(0, NOTABLE_LIMIT),
    ...(onboarding
      ? {
          onboarded: {
            users: decisions.length,
            denies: onboardingDays.length,
            on: onboardingDays.sort()[0] ?? '',
          },
        }
      : {}),
    totals: {
      scheduled: scheduled.length,
      restricted: restricted.length,
      tampered: tampered.length,
      quotaBlocked: quotaBlocked.length,
      errors: errors.length,
      attempts: attempts.length,
      newlyExempt: newlyExempt.length,
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

export interface DigestAccount {
  accountId: string
  outcome: string
  reason: string
  brake?: string
  notable?: Notable
}

export interface DigestInput {
  sweepId: string
  mode: string
  /** NOTICE_DAYS: how far ahead denies are announced. */
  noticeDays: number
  durationMs: number
  counts: StatusCounts
  accounts: readonly DigestAccount[]
}

type Text = { type: 'mrkdwn'; text: string; verbatim: true } | { type: 'plain_text'; text: string }

/**
 * mrkdwn that Slack renders but does not auto-parse: names come from IAM (a user may be named
 * `@channel`), so only the mentions we write out (`<@U…>`) are mentions.
 */
const mrkdwn = (text: string): Text => ({ type: 'mrkdwn', text, verbatim: true })
export type Block =
  | { type: 'header'; text: Text }
  | { type: 'section'; text: Text }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' }

export interface SlackMessage {
  /** Notification fallback. */
  text: string
  blocks: Block[]
}

/** Slack's documented limits for a message. */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, headerText: 150, totalText: 12_000 }

/**
 * One digest per sweep, in Block Kit. Every list is cut to fit Slack's limits with a count of what
 * was left out, so the message is always accepted whatever the size of the organization.
 */
export function buildDigest(input: DigestInput): SlackMessage {
  const sections: string[][] = []
  const braked = input.accounts.filter((a) => a.brake)
  if (braked.length > 0) {
    sections.push([
      `:octagonal_sign: *Blast-radius brake tripped in ${braked.length} account(s): nothing applied there.*`,
      ...braked.map((a) => `• ${a.accountId}: ${a.brake}`),
      'If the change is intended, sweep again with `--confirm-large-change` (CLI) or `"confirmLargeChange": true` (event).',
    ])
  }
  const foreign = input.accounts.flatMap((a) =>
    (a.notable?.foreign ?? []).map((arn) => `• ${a.accountId} ${arn}`),
  )
  if (foreign.length > 0) {
    const verb =
      input.mode === 'enforce' ? 'detached everywhere and deleted' : 'found (plan mode: not removed)'
    sections.push([
      `:rotating_light: *Policies the project did not write under its path, ${verb}: ${sum(input.accounts, (n) => n.foreignCount ?? 0)}*`,
      ...foreign,
    ])
  }
  const tampered = input.accounts.flatMap((a) =>
    (a.notable?.tampered ?? []).map((t) => `• ${a.accountId} ${t.userName}: ${t.kinds.join(', ')}`),
  )
  const tamperedTotal = sum(input.accounts, (n) => n.totals.tampered)
  if (tamperedTotal > 0) {
    const verb = input.mode === 'enforce' ? 'restored' : 'found (plan mode: not restored)'
    sections.push([
      `:rotating_light: *Deny policies changed by someone else, ${verb}: ${tamperedTotal} user(s)*`,
      ...tampered,
    ])
  }
  const attempts = input.accounts.flatMap((a) =>
    (a.notable?.attempts ?? []).map(
      (t) =>
        `• ${a.accountId} ${t.userName}: ${t.namespace}, last tried ${t.at}. To release: \`${releaseCommand(a.accountId, t.userName, t.namespace)}\``,
    ),
  )
  if (attempts.length > 0) {
    sections.push([
      `:warning: *Tried denied services (the denies stay): ${sum(input.accounts, (n) => n.totals.attempts)}*`,
      ...attempts,
    ])
  }
  const newlyExempt = input.accounts.flatMap((a) =>
    (a.notable?.newlyExempt ?? []).map((e) => `• ${a.accountId} ${e.userName}: tagged ${e.tag}`),
  )
  if (newlyExempt.length > 0) {
    sections.push([
      `:eyes: *Newly exempt by tag, every deny lifted: ${sum(input.accounts, (n) => n.totals.newlyExempt)}*`,
      ...newlyExempt,
    ])
  }
  const onboarded = input.accounts.flatMap((a) => {
    const o = a.notable?.onboarded
    if (!o) return []
    const verb = input.mode === 'enforce' ? 'onboarded' : 'would be onboarded'
    return [
      `• account ${a.accountId} ${verb}: ${o.users} users, ${o.denies} denies scheduled${o.on ? ` for ${o.on}` : ''}`,
    ]
  })
  if (onboarded.length > 0) {
    sections.push([
      `:wave: *New accounts: their denies are announced now and carried out on the day, if that day's reads confirm them*`,
      ...onboarded,
    ])
  }
  const scheduled = input.accounts.flatMap((a) =>
    // A plan records no schedule: there is nothing yet for the commands to act on.
    (a.notable?.scheduled ?? []).map((s) => scheduledLine(a.accountId, s, input.mode === 'enforce')),
  )
  if (scheduled.length > 0) {
    const verb = input.mode === 'enforce' ? 'scheduled' : 'that would be scheduled (plan mode)'
    sections.push([
      `:calendar: *Denies ${verb} in the next ${input.noticeDays} days: ${sum(input.accounts, (n) => n.totals.scheduled ?? 0)} user(s).* Each is carried out on its day only if that day's report still shows the service unused; using it cancels it.`,
      ...scheduled,
    ])
  }
  for (const a of input.accounts) {
    const n = a.notable
    if (!n || n.totals.restricted === 0) continue
    const verb = input.mode === 'enforce' && !a.brake ? 'newly restricted' : 'would be newly restricted'
    sections.push([
      `*${a.accountId}*: ${n.totals.restricted} user(s) ${verb}`,
      ...n.restricted.map((r) => `• ${r.userName}: ${list(r.added, r.addedCount, 8)}`),
      ...(n.totals.restricted > n.restricted.length
        ? [`…and ${n.totals.restricted - n.restricted.length} more users`]
        : []),
    ])
  }
  const quota = input.accounts.flatMap((a) =>
    (a.notable?.quotaBlocked ?? []).map((u) => `• ${a.accountId} ${u}`),
  )
  if (quota.length > 0)
    sections.push([
      `*Quota-blocked (no free policy slot): ${sum(input.accounts, (n) => n.totals.quotaBlocked)}*`,
      ...quota,
    ])
  const errors = input.accounts.flatMap((a) =>
    (a.notable?.errors ?? []).map((e) => `• ${a.accountId} ${e.userName}: ${e.reason}`),
  )
  if (errors.length > 0)
    sections.push([`*Errors (left unchanged): ${sum(input.accounts, (n) => n.totals.errors)}*`, ...errors])
  const orphans = sum(input.accounts, (n) => n.orphans ?? 0)
  if (orphans > 0) {
    const verb = input.mode === 'enforce' ? 'deleted' : 'to delete (plan mode)'
    sections.push([`*Policies of deleted users ${verb}: ${orphans}*`])
  }
  const unreachable = input.accounts.filter((a) => a.outcome === 'unreachable' || a.outcome === 'failed')
  if (unreachable.length > 0) {
    sections.push([
      `*Accounts not swept: ${unreachable.length}*`,
      ...unreachable.map((a) => `• ${a.accountId} (${a.outcome}): ${a.reason.slice(0, 160)}`),
    ])
  }

  const title = `IAM least privilege: ${input.mode} sweep ${input.sweepId}`.slice(0, SLACK_LIMITS.headerText)
  const summary = `*Decisions:* ${countsText(input.counts) || 'none'}`
  const context = `${input.accounts.length} accounts in ${(input.durationMs / 1000).toFixed(1)} s`
  const fixed = 4 // header, summary, divider, context
  const room = SLACK_LIMITS.blocks - fixed
  const kept = sections.length > room ? sections.slice(0, room - 1) : sections
  const perSection = Math.min(
    SLACK_LIMITS.sectionText,
    Math.floor(SLACK_LIMITS.totalText / Math.max(1, kept.length + 1)),
  )
  const bodies = kept.map((lines) => clampLines(lines, perSection))
  if (kept.length < sections.length)
    bodies.push(`…and ${sections.length - kept.length} more sections (see \`least-privilege audit\`)`)

  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'section', text: mrkdwn(clampLines([summary], SLACK_LIMITS.sectionText)) },
    { type: 'divider' },
    ...bodies.map((text): Block => ({ type: 'section', text: mrkdwn(text) })),
    { type: 'context', elements: [mrkdwn(context)] },
  ]
  return { text: `${title}: ${countsText(input.counts)}`.slice(0, 3000), blocks }
}

/** The exact command an operator runs to lift denies (in force or scheduled) on purpose. */
export function releaseCommand(accountId: string, userName: string, ...namespaces: string[]): string {
  const services = namespaces.map((ns) => `--service ${ns}`).join(' ')
  return `least-privilege release --account ${accountId} --user ${userName} ${services} --reason "..." --enforce`
}

/**
 * The exact command that holds these services' denies off for a while. Never the whole user: that would
 * lift every deny of theirs too.
 */
export function exemptCommand(accountId: string, userName: string, ...namespaces: string[]): string {
  const services = namespaces.map((ns) => `--service ${ns}`).join(' ')
  return `least-privilege exempt --account ${accountId} --user ${userName} ${services} --days 30 --reason "..."`
}

/** One user's scheduled denies, their owner, and the two ways to keep the services. */
function scheduledLine(accountId: string, s: ScheduledEntry, commands: boolean): string {
  const owner = s.owner ? ` <@${s.owner}>` : s.ownerMalformed ? ' (owner tag is not a Slack member id)' : ''
  const shown = s.services.map((x) => x.namespace)
  const more = s.servicesCount > shown.length ? ` (+${s.servicesCount - shown.length})` : ''
  const days = s.services.map((x) => `${x.namespace} on ${x.on}`).join(', ')
  if (!commands) return `• ${accountId} ${s.userName}${owner}: ${days}${more}`
  // Past SERVICES_LIMIT the commands would be partial: the full list is one query away.
  const rest = more ? ` (all of them: \`least-privilege audit scheduled --account ${accountId}\`)` : ''
  return `• ${accountId} ${s.userName}${owner}: ${days}${more}. Keep: \`${exemptCommand(accountId, s.userName, ...shown)}\` or \`${releaseCommand(accountId, s.userName, ...shown)}\`${rest}`
}

/** Joins lines up to `max` characters, ending with a count of the lines left out. */
export function clampLines(lines: readonly string[], max: number): string {
  const out: string[] = []
  let length = 0
  for (const [i, line] of lines.entries()) {
    const more = `…and ${lines.length - i} more`
    const clipped = line.length > max - more.length - 1 ? `${line.slice(0, max - more.length - 2)}…` : line
    if (length + clipped.length + 1 + more.length + 1 > max && i < lines.length) {
      out.push(more)
      return out.join('\n')
    }
    out.push(clipped)
    length += clipped.length + 1
  }
  return out.join('\n')
}

function list(items: readonly string[], total: number, max: number): string {
  const shown = items.slice(0, max)
  return total > shown.length ? `${shown.join(', ')} (+${total - shown.length})` : shown.join(', ')
}

function sum(accounts: readonly DigestAccount[], pick: (n: Notable) => number): number {
  return accounts.reduce((total, a) => total + (a.notable ? pick(a.notable) : 0), 0)
}

/** `enforced 3, exempt 1`: decisions per status, in the order of the status list. */
export function countsText(counts: StatusCounts): string {
  return DECISION_STATUS_NAMES.flatMap((status) =>
    counts[status] ? [`${status} ${counts[status]}`] : [],
  ).join(', ')
}

/** Told at once when a sweep stalls: it will post no digest of its own. */
export function stalledMessage(sweepId: string, reason: string, accountsLeft: number): SlackMessage {
  const text = `:rotating_light: Sweep ${sweepId} stalled with ${accountsLeft} account(s) left: ${reason}. The next sweep covers every account again; \`least-privilege audit sweep ${sweepId}\` shows what was done.`
  return {
    text,
    blocks: [{ type: 'section', text: mrkdwn(clampLines([text], SLACK_LIMITS.sectionText)) }],
  }
}
