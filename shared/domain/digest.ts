import { compactText, keyFlag } from './actions/keys.js'
/** One digest per sweep, in Block Kit: what happened, and the exact commands that act on it. */
import { DECISION_STATUS_NAMES } from './decision.js'
import { credentialSections } from './digest-credentials.js'
import type { DigestAccount, DigestInput, Section } from './digest-section.js'
import type { Notable, ScheduledEntry, StatusCounts } from './records.js'
import { escapeText as e, oneSection, type SlackMessage, sectionedMessage } from './slack-message.js'

/** A section of one heading and the lines of every account, or nothing when no account has a line. */
export const listed =
  (
    heading: (input: DigestInput) => string | undefined,
    lines: (account: DigestAccount, input: DigestInput) => readonly string[],
  ): Section =>
  (input) => {
    const all = input.accounts.flatMap((a) => lines(a, input))
    const head = all.length > 0 ? heading(input) : undefined
    return head ? [[head, ...all]] : []
  }

const braked: Section = (input) => {
  const held = input.accounts.filter((a) => a.brake)
  if (held.length === 0) return []
  return [
    [
      `:octagonal_sign: *Blast-radius brake tripped in ${held.length} account(s): nothing applied there.*`,
      ...held.map((a) => `• ${e(a.accountId)}: ${e(a.brake ?? '')}`),
      'If the change is intended, sweep again with `--confirm-large-change` (CLI) or `"confirmLargeChange": true` (event).',
    ],
  ]
}

const foreign = listed(
  (input) =>
    `:rotating_light: *Policies the project did not write under its path, ${input.mode === 'enforce' ? 'detached everywhere and deleted' : 'found (plan mode: not removed)'}: ${sum(input.accounts, (n) => n.foreignCount ?? 0)}*`,
  (a) => (a.notable?.foreign ?? []).map((arn) => `• ${e(a.accountId)} ${e(arn)}`),
)

const tampered: Section = (input) => {
  const total = sum(input.accounts, (n) => n.totals.tampered)
  if (total === 0) return []
  const verb = input.mode === 'enforce' ? 'restored' : 'found (plan mode: not restored)'
  return [
    [
      `:rotating_light: *Deny policies changed by someone else, ${verb}: ${total} user(s)*`,
      ...input.accounts.flatMap((a) =>
        (a.notable?.tampered ?? []).map(
          (t) => `• ${e(a.accountId)} ${e(t.userName)}: ${e(t.kinds.join(', '))}`,
        ),
      ),
    ],
  ]
}

const attempts = listed(
  (input) =>
    `:warning: *Tried denied services (the denies stay): ${sum(input.accounts, (n) => n.totals.attempts)}*`,
  (a) =>
    (a.notable?.attempts ?? []).map(
      (t) =>
        `• ${e(a.accountId)} ${e(t.userName)}: ${e(t.namespace)}, last tried ${e(t.at)}. To release: \`${e(releaseCommand(a.accountId, t.userName, t.namespace))}\``,
    ),
)

const newlyExempt = listed(
  (input) =>
    `:eyes: *Newly exempt by tag (they held no deny): ${sum(input.accounts, (n) => n.totals.newlyExempt)}*`,
  (a) =>
    (a.notable?.newlyExempt ?? []).map((x) => `• ${e(a.accountId)} ${e(x.userName)}: tagged ${e(x.tag)}`),
)

const exemptionRequests = listed(
  (input) =>
    `:raising_hand: *Exemption tags set on users who hold denies: requests, nothing lifted: ${sum(input.accounts, (n) => n.totals.exemptionRequests ?? 0)}*`,
  (a) =>
    (a.notable?.exemptionRequests ?? []).map(
      (x) =>
        `• ${e(a.accountId)} ${e(x.userName)}: tagged ${e(x.tag)}. If meant, an operator grants it: \`${e(grantCommand(a.accountId, x.userName))}\``,
    ),
)

const onboarded = listed(
  () =>
    `:wave: *New accounts: their denies are announced now and carried out on the day, if that day's reads confirm them*`,
  (a, input) => {
    const o = a.notable?.onboarded
    if (!o) return []
    const verb = input.mode === 'enforce' ? 'onboarded' : 'would be onboarded'
    return [
      `• account ${e(a.accountId)} ${verb}: ${o.users} users, ${o.denies} denies scheduled${o.on ? ` for ${e(o.on)}` : ''}`,
    ]
  },
)

const scheduled = listed(
  (input) =>
    `:calendar: *Denies ${input.mode === 'enforce' ? 'scheduled' : 'that would be scheduled (plan mode)'} in the next ${input.noticeDays} days: ${sum(input.accounts, (n) => n.totals.scheduled ?? 0)} user(s).* Each is carried out on its day only if that day's report still shows the service unused; using it cancels it.`,
  // A plan records no schedule: there is nothing yet for the commands to act on.
  (a, input) =>
    (a.notable?.scheduled ?? []).map((s) => scheduledLine(a.accountId, s, input.mode === 'enforce')),
)

const restricted: Section = (input) =>
  input.accounts.flatMap((a) => {
    const n = a.notable
    if (!n || n.totals.restricted === 0) return []
    const verb = input.mode === 'enforce' && !a.brake ? 'newly restricted' : 'would be newly restricted'
    return [
      [
        `*${e(a.accountId)}*: ${n.totals.restricted} user(s) ${verb}`,
        ...n.restricted.map((r) => `• ${e(r.userName)}: ${e(list(r.added, r.addedCount, 8))}`),
        ...(n.totals.restricted > n.restricted.length
          ? [`…and ${n.totals.restricted - n.restricted.length} more users`]
          : []),
      ],
    ]
  })

const quotaBlocked = listed(
  (input) => `*Quota-blocked (no free policy slot): ${sum(input.accounts, (n) => n.totals.quotaBlocked)}*`,
  (a) => (a.notable?.quotaBlocked ?? []).map((u) => `• ${e(a.accountId)} ${e(u)}`),
)

const errors = listed(
  (input) => `*Errors (left unchanged): ${sum(input.accounts, (n) => n.totals.errors)}*`,
  (a) => (a.notable?.errors ?? []).map((x) => `• ${e(a.accountId)} ${e(x.userName)}: ${e(x.reason)}`),
)

const orphans: Section = (input) => {
  const count = sum(input.accounts, (n) => n.orphans ?? 0)
  const verb = input.mode === 'enforce' ? 'deleted' : 'to delete (plan mode)'
  return count > 0 ? [[`*Policies of deleted users ${verb}: ${count}*`]] : []
}

const notSwept: Section = (input) => {
  const accounts = input.accounts.filter((a) => a.outcome === 'unreachable' || a.outcome === 'failed')
  if (accounts.length === 0) return []
  return [
    [
      `*Accounts not swept: ${accounts.length}*`,
      ...accounts.map((a) => `• ${e(a.accountId)} (${e(a.outcome)}): ${e(a.reason.slice(0, 160))}`),
    ],
  ]
}

/** The digest's sections, most urgent first. */
const SECTIONS: readonly Section[] = [
  braked,
  foreign,
  tampered,
  attempts,
  exemptionRequests,
  newlyExempt,
  onboarded,
  scheduled,
  ...credentialSections,
  restricted,
  quotaBlocked,
  errors,
  orphans,
  notSwept,
]

/**
 * Every list is cut to fit Slack's limits with a count of what was left out, so the message is always
 * accepted whatever the size of the organization.
 */
export function buildDigest(input: DigestInput): SlackMessage {
  return sectionedMessage({
    title: `IAM least privilege: ${input.mode} sweep ${input.sweepId}`, // plain text: no markup to escape
    summary: `*Decisions:* ${countsText(input.counts) || 'none'}`,
    sections: SECTIONS.flatMap((section) => section(input)),
    context: `${input.accounts.length} accounts in ${(input.durationMs / 1000).toFixed(1)} s`,
    fallback: countsText(input.counts),
  })
}

/** The exact command an operator runs to lift denies (in force or scheduled) on purpose. */
export function releaseCommand(accountId: string, userName: string, ...namespaces: string[]): string {
  const services = namespaces.map(keyFlag).join(' ')
  return `least-privilege release --account ${accountId} --user ${userName} ${services} --reason "..." --enforce`
}

/**
 * The exact command that holds these services' denies off for a while. Never the whole user: that would
 * lift every deny of theirs too.
 */
export function exemptCommand(accountId: string, userName: string, ...namespaces: string[]): string {
  const services = namespaces.map(keyFlag).join(' ')
  return `least-privilege exempt --account ${accountId} --user ${userName} ${services} --days 30 --reason "..." --enforce`
}

/** The exact command that grants a whole-user exemption for a while, recorded with the operator. */
export function grantCommand(accountId: string, userName: string): string {
  return `least-privilege exempt --account ${accountId} --user ${userName} --days 30 --reason "..." --enforce`
}

/** One user's scheduled denies, their owner, and the two ways to keep the services. */
function scheduledLine(accountId: string, s: ScheduledEntry, commands: boolean): string {
  // A member id is checked to be one (notice.ts) before it is ever put here as a mention.
  const owner = s.owner ? ` <@${s.owner}>` : s.ownerMalformed ? ' (owner tag is not a Slack member id)' : ''
  // A service's several actions are one entry; its command would name each, so the query stands in.
  const shown = s.services.filter((x) => !x.actions).map((x) => x.namespace)
  const grouped = shown.length < s.services.length
  const more = s.servicesCount > s.services.length ? ` (+${s.servicesCount - s.services.length})` : ''
  const days = e(
    s.services.map((x) => `${compactText({ key: x.namespace, actions: x.actions })} on ${x.on}`).join(', '),
  )
  const who = `• ${e(accountId)} ${e(s.userName)}${owner}`
  if (!commands) return `${who}: ${days}${more}`
  // Past SERVICES_LIMIT the commands would be partial: the full list is one query away.
  const rest =
    more || grouped ? ` (all of them: \`least-privilege audit scheduled --account ${e(accountId)}\`)` : ''
  // No command without a key to name: an exempt command naming none would exempt the whole user.
  if (shown.length === 0)
    return `${who}: ${days}${more}. Keep them: see${rest.replace(' (all of them:', '').replace(/\)$/, '')}`
  return `${who}: ${days}${more}. Keep: \`${e(exemptCommand(accountId, s.userName, ...shown))}\` or \`${e(releaseCommand(accountId, s.userName, ...shown))}\`${rest}`
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
  return oneSection(
    `:rotating_light: Sweep ${e(sweepId)} stalled with ${accountsLeft} account(s) left: ${e(reason)}. The next sweep covers every account again; \`least-privilege audit sweep ${e(sweepId)}\` shows what was done.`,
  )
}
