import { covers, serviceOf } from './actions/keys.js'
/**
 * The judgements made about a user around the Access Advisor read, as ordered lists of small pure
 * functions (the way Repokid's filters read). Each gate returns an outcome or nothing; the first outcome
 * wins. A new rule is a new gate in the right list.
 */
import type { DecisionStatus } from './decision.js'
import { isTooYoung } from './exemption.js'
import { type DenyPlan, liftDenies } from './planner.js'
import type { ScheduledDeny } from './records.js'
import type { IamUser } from './types.js'
import type { WritePlan } from './write-plan.js'

/** What is known of a user before any Access Advisor read. */
export interface ReadGateInput {
  user: IamUser
  now: Date
  windowDays: number
  currentlyDenied: ReadonlySet<string>
  priorFirstSeen: Readonly<Record<string, string>> | undefined
  /** Denies announced and not carried out yet. */
  scheduled: Readonly<Record<string, ScheduledDeny>>
  /** The exemption tag the user carries (`key=value`) when it is honoured (see honoursTag). */
  exemptTag: string | undefined
  /** The end of a temporary whole-user exemption, if one is in force. */
  exemptUntil: string | undefined
  /** Services an operator releases now (`release`). */
  release: readonly string[] | undefined
  /** Keys of the user's exemption rows that could not be read. */
  lostExemptions: readonly string[] | undefined
}

export type ReadGateOutcome =
  /** The deny set is decided without a report: what is lifted and why. */
  | { kind: 'lift'; status: Extract<DecisionStatus, 'exempt' | 'released'>; reason: string; plan: DenyPlan }
  /** Nothing is planned for the user. */
  | { kind: 'settle'; status: DecisionStatus; reason: string }
  /** A request that cannot be carried out (an operator's mistake): fails the command, names it. */
  | { kind: 'refuse'; reason: string }

export type ReadGate = (input: ReadGateInput) => ReadGateOutcome | undefined

/**
 * A release lifts a deny in force, or drops a scheduled one before its day. Releasing a service gives it
 * back whole: its action denies go with it; releasing an action (`iam:CreateUser`) lifts that one alone.
 */
const released: ReadGate = ({ release, currentlyDenied, priorFirstSeen, scheduled, now, user }) => {
  if (!release) return undefined
  const asked = new Set(release)
  const held = [...new Set([...currentlyDenied, ...Object.keys(scheduled)])]
  const lifted = new Set(held.filter((key) => covers(asked, key)))
  const unknown = release.filter((r) => !held.some((key) => key === r || serviceOf(key) === r))
  if (unknown.length > 0)
    return {
      kind: 'refuse',
      reason: `service: ${unknown.join(', ')} is neither denied nor scheduled for ${user.name}`,
    }
  const prior = { firstSeen: priorFirstSeen, scheduled }
  const plan = liftDenies(currentlyDenied, lifted, 'released', prior, now)
  return { kind: 'lift', status: 'released', reason: `released ${release.join(', ')}`, plan }
}

/** An exemption lifts any deny of ours: someone asked for this user to be left alone. */
const exempt =
  (reasonOf: (input: ReadGateInput) => string | undefined): ReadGate =>
  (input) => {
    const reason = reasonOf(input)
    if (!reason) return undefined
    const { currentlyDenied, priorFirstSeen, scheduled, now } = input
    const everything = new Set([...currentlyDenied, ...Object.keys(scheduled)])
    const prior = { firstSeen: priorFirstSeen, scheduled }
    return {
      kind: 'lift',
      status: 'exempt',
      reason,
      plan: liftDenies(currentlyDenied, everything, 'exempt', prior, now),
    }
  }

/**
 * An exemption row that cannot be read lifts an unknown share of the user's denies: acting without it
 * would put back at once what an operator suspended, and honouring a guess would lift what nobody did.
 * The user is held as they are until an operator writes the exemption again.
 */
const exemptionUnread: ReadGate = ({ lostExemptions }) =>
  lostExemptions?.length
    ? {
        kind: 'settle',
        status: 'error',
        reason: `exemption row ${lostExemptions.join(', ')} cannot be read; nothing is added or put back until an operator grants the exemption again (exempt rewrites it)`,
      }
    : undefined

export const exemptByTagReason = (tag: string) => `exempt by tag ${tag}`
const exemptByTag = exempt(({ exemptTag }) => exemptTag && exemptByTagReason(exemptTag))
const exemptUntil = exempt(({ exemptUntil: until }) => until && `exempt until ${until}`)

const tooYoung: ReadGate = ({ user, now, windowDays }) =>
  isTooYoung(user, now, windowDays)
    ? {
        kind: 'settle',
        status: 'too-young',
        reason: `created ${user.createDate.toISOString()}, within the window`,
      }
    : undefined

/** In order: an operator's release, then exemptions (one unread holds the user), then age. */
export const BEFORE_READ: readonly ReadGate[] = [
  released,
  exemptionUnread,
  exemptByTag,
  exemptUntil,
  tooYoung,
]

/** What is known once the desired documents are rendered and their writes planned. */
export interface WriteGateInput {
  writes: WritePlan
}

export interface WriteGateOutcome {
  status: DecisionStatus
  reason: string
  /** The alert to raise, as a log event and its fields. */
  alert: { event: string; level: 'warn' | 'error'; fields: Record<string, unknown> }
}

export type WriteGate = (input: WriteGateInput) => WriteGateOutcome | undefined

const quota: WriteGate = ({ writes }) =>
  writes.kind === 'quota-blocked'
    ? {
        status: 'quota-blocked',
        reason: `needs ${writes.needed} more attached policies, the quota leaves ${writes.available}`,
        alert: {
          event: 'alert.quota-blocked',
          level: 'warn',
          fields: { needed: writes.needed, available: writes.available },
        },
      }
    : undefined

/** The attached-policies quota; the place for any further rule on planned writes. */
export const BEFORE_WRITE: readonly WriteGate[] = [quota]

/** The first outcome of a list of gates, or undefined when every gate lets the user through. */
export function firstOutcome<I, O>(gates: readonly ((input: I) => O | undefined)[], input: I): O | undefined {
  for (const gate of gates) {
    const outcome = gate(input)
    if (outcome) return outcome
  }
  return undefined
}
