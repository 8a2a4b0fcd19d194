import { activeExemptions, type RecordedUsers, recordedStateOf } from './exemption.js'
import type { DenyPeriod, Exemption, ScheduledDeny, UserState } from './records.js'

/** What earlier sweeps and operators recorded about a user, as a plan reads it. */
export interface PriorUser {
  /** Absent until a report has been read for the user (see planDenySet). */
  firstSeen?: Readonly<Record<string, string>>
  /** Services temporarily exempted for this user. */
  exemptServices?: readonly string[]
  /** The whole user is temporarily exempt until this ISO date. */
  exemptUntil?: string
  /** What the last sweep left in place: the yardstick for tampering. */
  recorded?: UserState
  /** When each live deny started (ISO), to tell an attempt from a use before the deny. */
  deniedSince?: Readonly<Record<string, string>>
  /** The latest attempt already reported per denied service (ISO). */
  lastAttempts?: Readonly<Record<string, string>>
  /** The last deny period of services no longer denied. */
  pastDenies?: Readonly<Record<string, DenyPeriod>>
  /** The exemption tag recorded at the last sweep. */
  exemptTag?: string
  /** Denies announced and not carried out yet. */
  scheduled?: Readonly<Record<string, ScheduledDeny>>
  /** Keys of this user's exemption rows that could not be read: what they lift is not known. */
  lostExemptions?: readonly string[]
}

/** A user's rows the store could not read (left out of the records, and alerted). */
export interface LostRows {
  /** The user's current-state row. */
  state: boolean
  /** Keys of the user's exemption rows. */
  exemptions: readonly string[]
}

const NOTHING_LOST: LostRows = { state: false, exemptions: [] }

/**
 * A user's past: the recorded state (by UserId) and the exemptions in force now. A state row that could
 * not be read leaves the user's grants dated from now, never from the user's creation: a lost record
 * must not make a service look unused for long.
 */
export function priorUserOf(
  records: RecordedUsers & { exemptions: readonly Exemption[] },
  user: { name: string; id: string },
  now: Date,
  lost: LostRows = NOTHING_LOST,
): PriorUser {
  const state = recordedStateOf(records, user)
  const firstSeen = state?.firstSeen ?? (!state && lost.state ? {} : undefined)
  return {
    ...(firstSeen ? { firstSeen } : {}),
    ...(state ? { recorded: state } : {}),
    ...(state?.deniedSince ? { deniedSince: state.deniedSince } : {}),
    ...(state?.lastAttempts ? { lastAttempts: state.lastAttempts } : {}),
    ...(state?.pastDenies ? { pastDenies: state.pastDenies } : {}),
    ...(state?.exemptTag ? { exemptTag: state.exemptTag } : {}),
    ...(state?.scheduled ? { scheduled: state.scheduled } : {}),
    ...activeExemptions(user, records, now),
    ...(lost.exemptions.length > 0 ? { lostExemptions: lost.exemptions } : {}),
  }
}
