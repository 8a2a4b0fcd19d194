/**
 * The digest's credential sections: what was put back by others, what is announced, what was deactivated,
 * and which inactive keys were deleted.
 */
import type { DigestAccount, DigestInput, Section } from './digest-section.js'
import type { CredentialNotes } from './records.js'
import { escapeText as e } from './slack-message.js'

const total = (input: DigestInput, pick: (n: CredentialNotes) => number) =>
  input.accounts.reduce((n, a) => n + (a.credentials ? pick(a.credentials) : 0), 0)

/** A section of one heading and every account's lines, with what the short lists left out. */
const section =
  (
    heading: (input: DigestInput) => string,
    lines: (a: DigestAccount, input: DigestInput) => readonly string[],
    left: (n: CredentialNotes) => number,
  ): Section =>
  (input) => {
    const all = input.accounts.flatMap((a) => {
      const shown = lines(a, input)
      const more = a.credentials ? left(a.credentials) - shown.length : 0
      return more > 0
        ? [
            ...shown,
            `…and ${more} more in ${e(a.accountId)}: \`least-privilege audit credentials --account ${e(a.accountId)}\``,
          ]
        : shown
    })
    return all.length > 0 ? [[heading(input), ...all]] : []
  }

const restoreCommand = (accountId: string, userName: string, credential: string) =>
  `least-privilege restore --account ${accountId} --user ${userName} ${credential === 'password' ? '--password' : `--key ${credential.replace(/^key /, '')}`} --reason "..." --enforce`

const heldOrFailed: Section = (input) => {
  const lines = input.accounts.flatMap((a) => {
    const c = a.credentials
    if (c?.held) return [`• ${e(a.accountId)}: held by the brake: ${e(c.held)}`]
    if (c?.failed) return [`• ${e(a.accountId)}: not judged today: ${e(c.failed.slice(0, 160))}`]
    return []
  })
  return lines.length > 0
    ? [
        [
          ':octagonal_sign: *Credentials left as they are:*',
          ...lines,
          'If the change is intended, sweep again with `--confirm-large-change`.',
        ],
      ]
    : []
}

const reactivated = section(
  (input) =>
    `:rotating_light: *Credentials put back outside the project (their window starts again): ${total(input, (n) => n.totals.reactivated)}*`,
  (a) =>
    (a.credentials?.reactivated ?? []).map((c) => `• ${e(a.accountId)} ${e(c.userName)}: ${e(c.credential)}`),
  (n) => n.totals.reactivated,
)

const scheduled = section(
  (input) =>
    `:calendar: *Credentials ${input.mode === 'enforce' ? 'scheduled' : 'that would be scheduled (plan mode)'} for deactivation: ${total(input, (n) => n.totals.scheduled)}.* Each is changed on its day only if it is still unused then; using it cancels it.`,
  (a, input) =>
    (a.credentials?.scheduled ?? []).map((c) => {
      const owner = c.owner ? ` <@${e(c.owner)}>` : ''
      const keep =
        input.mode === 'enforce'
          ? `. Keep: \`${e(restoreCommand(a.accountId, c.userName, c.credential))}\``
          : ''
      return `• ${e(a.accountId)} ${e(c.userName)}${owner}: ${e(c.credential)} on ${e(c.on)}${keep}`
    }),
  (n) => n.totals.scheduled,
)

const deactivated = section(
  (input) =>
    `:lock: *Credentials ${input.mode === 'enforce' ? 'deactivated' : 'that would be deactivated (plan mode)'}: ${total(input, (n) => n.totals.deactivated)}*`,
  (a) =>
    (a.credentials?.deactivated ?? []).map(
      (c) =>
        `• ${e(a.accountId)} ${e(c.userName)}: ${e(c.credential)}. Put back: \`${e(restoreCommand(a.accountId, c.userName, c.credential))}\``,
    ),
  (n) => n.totals.deactivated,
)

// Announced NOTICE_DAYS ahead, as a deactivation is: a restore before the day keeps the key.
const deleting = section(
  (input) =>
    `:hourglass: *Inactive access keys to be deleted: ${total(input, (n) => n.totals.deleting)}.* Each was deactivated by the project and has stayed inactive and unused since; a restore before its day keeps it.`,
  (a, input) =>
    (a.credentials?.deleting ?? []).map((c) => {
      const keep =
        input.mode === 'enforce'
          ? `. Keep: \`${e(restoreCommand(a.accountId, c.userName, c.credential))}\``
          : ''
      return `• ${e(a.accountId)} ${e(c.userName)}: ${e(c.credential)} on ${e(c.on)}${keep}`
    }),
  (n) => n.totals.deleting,
)

// Nothing to put back: a deleted key is gone; the user's administrators can make a new one.
const deleted = section(
  (input) =>
    `:wastebasket: *Inactive access keys ${input.mode === 'enforce' ? 'deleted' : 'that would be deleted (plan mode)'}: ${total(input, (n) => n.totals.deleted)}.* Each was deactivated by the project and stayed inactive and unused since; it cannot be restored.`,
  (a) =>
    (a.credentials?.deleted ?? []).map((c) => `• ${e(a.accountId)} ${e(c.userName)}: ${e(c.credential)}`),
  (n) => n.totals.deleted,
)

/** Security Hub's two controls on unused credentials, across the accounts swept, as they stood today. */
const hygiene: Section = (input) => {
  const all = input.accounts.flatMap((a) => (a.credentials?.compliance ? [a.credentials.compliance] : []))
  const users = all.reduce((n, c) => n + c.users, 0)
  if (users === 0) return []
  const share = (pick: (c: (typeof all)[number]) => number) =>
    `${all.reduce((n, c) => n + pick(c), 0)} of ${users} users`
  return [
    [
      `*Credential hygiene:* ${share((c) => c.iam8)} meet IAM.8 (no active key or password unused 90 days), ${share((c) => c.iam22)} meet IAM.22 (45 days).`,
    ],
  ]
}

export const credentialSections: readonly Section[] = [
  heldOrFailed,
  reactivated,
  scheduled,
  deactivated,
  deleting,
  deleted,
  hygiene,
]
