/**
 * An access key the project deactivated, still inactive, when deletion is on (CREDENTIAL_DELETE_AFTER_DAYS):
 * its second period, the notice of its deletion, and the deletion. Each date comes from a sweep whose clock
 * agreed with AWS's (deletion is off on any other day), never from one an unchecked clock wrote:
 * - `inactiveFrom`: when such a sweep deactivated it, or first found it inactive; its period runs from then;
 * - `deleteOn`: the day announced for its deletion, given NOTICE_DAYS ahead. Once announced, a shorter
 *   period never brings it forward; a longer one puts it back.
 * Both hold only within the stretch of sweeps that had deletion on without a break (its epoch: the first
 * sweep's id, kept from sweep to sweep). Turned off even for one sweep, anywhere, and on again, every key
 * starts anew, whether or not a sweep reached its account meanwhile.
 */
import { dayOf, daysAfter } from '../notice.js'
import type { CredentialState } from '../records.js'
import type { LiveCredential } from './judge.js'

/** Deletion as a sweep may do it today: `deleteAfterDays` undefined when off, or its clock disagrees. */
export interface DeletionRule {
  deleteAfterDays?: number | undefined
  /** The id of the first sweep of the stretch with deletion on (SweepSummary.keyDeletionEpoch). */
  epoch?: string | undefined
  noticeDays: number
  now: Date
}

export type DeletionStep =
  /** Used after our deactivation: someone put it back and made it inactive again. Theirs now. */
  | { kind: 'theirs' }
  /** Its user is left alone now (exempt, never-deactivate): any period or notice is dropped. */
  | { kind: 'forget' }
  /** Its period starts, or its deletion is announced: the row is written with these. */
  | { kind: 'mark'; inactiveFrom: string; deletionEpoch: string; deleteOn?: string }
  | { kind: 'delete' }
  | { kind: 'none' }

/** The day a key's period ends, once started. */
const periodEnd = (inactiveFrom: string, days: number) => daysAfter(new Date(inactiveFrom), days)

/** The key's period and announced day, if set in the current stretch; none from an earlier one. */
function current(
  row: CredentialState,
  epoch: string | undefined,
): { inactiveFrom?: string; deleteOn?: string } {
  if (!row.inactiveFrom || epoch === undefined || row.deletionEpoch !== epoch) return {}
  return { inactiveFrom: row.inactiveFrom, ...(row.deleteOn ? { deleteOn: row.deleteOn } : {}) }
}

/** The day an announced key is deleted: its announced day, or its period's end if that is later. */
export function deletionDay(
  row: CredentialState,
  rule: Pick<DeletionRule, 'deleteAfterDays' | 'epoch'>,
): string | undefined {
  const { inactiveFrom, deleteOn } = current(row, rule.epoch)
  if (!inactiveFrom || !deleteOn || rule.deleteAfterDays === undefined) return undefined
  return [periodEnd(inactiveFrom, rule.deleteAfterDays), deleteOn].sort()[1]
}

export function deletionStep(
  row: CredentialState,
  live: LiveCredential,
  rule: DeletionRule & { exempt: boolean },
): DeletionStep {
  if (live.lastUsed !== undefined && live.lastUsed > row.since) return { kind: 'theirs' }
  if (rule.exempt) return row.inactiveFrom || row.deleteOn ? { kind: 'forget' } : { kind: 'none' }
  const { deleteAfterDays: days, epoch } = rule
  if (days === undefined || epoch === undefined) return { kind: 'none' }
  // IAM must show the last use we recorded at the deactivation: none where we saw one, or an earlier one,
  // is a reply that cannot be trusted with what cannot be undone. Left as it is, looked at again.
  if ((live.lastUsed ?? '') !== (row.lastUsed ?? '')) return { kind: 'none' }
  const now = current(row, epoch)
  const inactiveFrom = now.inactiveFrom ?? rule.now.toISOString()
  // A notice given today allows a deletion NOTICE_DAYS from now, and not before.
  const noticed = daysAfter(rule.now, rule.noticeDays)
  const deleteOn = now.deleteOn ?? (periodEnd(inactiveFrom, days) <= noticed ? noticed : undefined)
  const marked = { ...row, inactiveFrom, deletionEpoch: epoch, ...(deleteOn ? { deleteOn } : {}) }
  const day = deletionDay(marked, rule)
  if (day !== undefined && day <= dayOf(rule.now)) return { kind: 'delete' }
  if (inactiveFrom === now.inactiveFrom && deleteOn === now.deleteOn) return { kind: 'none' }
  return { kind: 'mark', inactiveFrom, deletionEpoch: epoch, ...(deleteOn ? { deleteOn } : {}) }
}

/**
 * Whether a sweep that may delete looks at the key live today: to start its period, to announce it,
 * every day once announced (a user left alone since has it withdrawn), and on its day.
 */
export function deletionDue(row: CredentialState, rule: DeletionRule): boolean {
  const days = rule.deleteAfterDays
  if (days === undefined || row.status !== 'deactivated' || row.kind !== 'access-key') return false
  const { inactiveFrom, deleteOn } = current(row, rule.epoch)
  if (!inactiveFrom || deleteOn) return true
  return periodEnd(inactiveFrom, days) <= daysAfter(rule.now, rule.noticeDays)
}
