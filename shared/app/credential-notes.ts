/**
 * What an account's credential pass tells (the sweep's outcome, the digest, the metrics): what it made,
 * what stays announced once it is done, and the keys of ours whose deletion comes within the notice.
 */
import type { HubConfig } from '../config.js'
import { type DeletionRule, deletionDay } from '../domain/credentials/deletion.js'
import { credentialLabel } from '../domain/credentials/judge.js'
import type { CredentialUserPlan } from '../domain/credentials/plan.js'
import { NOTABLE_LIMIT } from '../domain/notable.js'
import { ownerOf } from '../domain/notice.js'
import type { CredentialNotes, CredentialState } from '../domain/records.js'
import type { IamUser } from '../domain/types.js'
import type { AccountRecords } from '../ports.js'

export function notesOf(
  pass: {
    plans: readonly CredentialUserPlan[]
    records: AccountRecords
    users: readonly IamUser[]
    settings: HubConfig
    held: string | undefined
    /** Deletion as the sweep did it today: a key's announced day counts only then. */
    deletion: Pick<DeletionRule, 'deleteAfterDays' | 'epoch'>
  },
  surveyed: { unknown: number; compliance: CredentialNotes['compliance'] },
): CredentialNotes {
  const { plans, users, settings } = pass
  const events = (event: string) =>
    plans.flatMap((p) =>
      p.history
        .filter((h) => h.event === event)
        .map((h) => ({ userName: p.user.name, credential: credentialLabel(h.credential) })),
    )
  // Every announced change still pending once the pass is done: the rows on record, as the pass left them.
  const final = new Map(pass.records.credentials.map((r) => [keyOf(r), r]))
  for (const plan of plans) {
    for (const row of plan.drop) final.delete(keyOf(row))
    for (const row of plan.put) final.set(keyOf(row), row)
  }
  const scheduled = [...final.values()]
    .filter((r) => r.status === 'scheduled')
    .sort((a, b) => (a.on ?? '').localeCompare(b.on ?? '') || a.userName.localeCompare(b.userName))
    .map((r) => {
      const owner = ownerOf(users.find((u) => u.id === r.userId)?.tags ?? {}, settings.ownerSlackTag)
      return {
        userName: r.userName,
        credential: credentialLabel(r),
        on: r.on ?? '',
        ...(owner && 'memberId' in owner ? { owner: owner.memberId } : {}),
      }
    })
  const deactivated = events('credential-deactivated')
  const reactivated = events('credential-reactivated')
  const deleted = events('credential-deleted')
  const deleting = deletingSoon([...final.values()], pass.deletion, users)
  return {
    scheduled: scheduled.slice(0, NOTABLE_LIMIT),
    deactivated: deactivated.slice(0, NOTABLE_LIMIT),
    reactivated: reactivated.slice(0, NOTABLE_LIMIT),
    deleted: deleted.slice(0, NOTABLE_LIMIT),
    deleting: deleting.slice(0, NOTABLE_LIMIT),
    unknown: surveyed.unknown,
    ...(pass.held ? { held: pass.held } : {}),
    ...(surveyed.compliance ? { compliance: surveyed.compliance } : {}),
    totals: {
      scheduled: scheduled.length,
      deactivated: deactivated.length,
      reactivated: reactivated.length,
      deleted: deleted.length,
      deleting: deleting.length,
    },
  }
}

const keyOf = (r: Pick<CredentialState, 'userId' | 'credentialId'>) => `${r.userId}#${r.credentialId}`

/**
 * Keys of ours whose deletion is announced (deletion.ts), by day: told each day until deleted, with the
 * restore that keeps them; only for users IAM still lists (a user deleted since keeps no promise).
 */
function deletingSoon(
  rows: readonly CredentialState[],
  rule: Pick<DeletionRule, 'deleteAfterDays' | 'epoch'>,
  users: readonly IamUser[],
) {
  const listed = new Set(users.map((u) => u.id))
  return rows
    .flatMap((r) => {
      const on = r.status === 'deactivated' && listed.has(r.userId) ? deletionDay(r, rule) : undefined
      return on ? [{ userName: r.userName, credential: credentialLabel(r), on }] : []
    })
    .sort((a, b) => a.on.localeCompare(b.on) || a.userName.localeCompare(b.userName))
}
