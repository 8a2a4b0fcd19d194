/** The records of a sweep: its summary, each account's outcome, and the short lists the digest reads. */
import { z } from 'zod'
import { DECISION_STATUS_NAMES, type DecisionStatus, MODES } from './decision.js'

const mode = z.enum(MODES)

/** Decisions per status; a status with none is absent. */
export const statusCounts = z.partialRecord(
  z.enum(DECISION_STATUS_NAMES as [DecisionStatus, ...DecisionStatus[]]),
  z.number(),
)
export type StatusCounts = z.infer<typeof statusCounts>

/** A user's denies announced and not carried out yet, for the digest. */
export const scheduledEntry = z.object({
  userName: z.string(),
  /** The first SERVICES_LIMIT, earliest day first; `servicesCount` counts them all. */
  services: z.array(
    z.object({
      namespace: z.string(),
      on: z.string(),
      /** Several actions of the service, scheduled for that day: one entry (actions/keys.ts compactKeys). */
      actions: z.number().optional(),
    }),
  ),
  servicesCount: z.number(),
  /** The owner's Slack member id, from the user's owner tag. */
  owner: z.string().optional(),
  /** The owner tag's value is not a Slack member id: reported, never put in the message. */
  ownerMalformed: z.literal(true).optional(),
})
export type ScheduledEntry = z.infer<typeof scheduledEntry>

/** What an account's sweep leaves for the digest: short lists, with the full counts. */
export const notable = z.object({
  /** `added` holds the first SERVICES_LIMIT services; `addedCount` all of them. */
  restricted: z.array(z.object({ userName: z.string(), added: z.array(z.string()), addedCount: z.number() })),
  tampered: z.array(z.object({ userName: z.string(), kinds: z.array(z.string()) })),
  quotaBlocked: z.array(z.string()),
  errors: z.array(z.object({ userName: z.string(), reason: z.string() })),
  /** Attempts on denied services: one entry per user and service, the latest attempt. */
  attempts: z.array(z.object({ userName: z.string(), namespace: z.string(), at: z.string() })),
  /** Users who became exempt by tag since the last sweep, with the tag. */
  newlyExempt: z.array(z.object({ userName: z.string(), tag: z.string() })),
  /** Exemption tags set since the last sweep on users who hold denies: requests, nothing lifted. */
  exemptionRequests: z.array(z.object({ userName: z.string(), tag: z.string() })).optional(),
  /** Policies of deleted users, removed (enforce) or to remove (plan). */
  orphans: z.number(),
  /** Policies planted under the project's path, with their ARNs (the first few). */
  foreign: z.array(z.string()),
  foreignCount: z.number(),
  /** Users with denies scheduled (absent in rows written before notices existed). */
  scheduled: z.array(scheduledEntry).optional(),
  /** The account's first enforce sweep: its users, and the denies it scheduled for which days. */
  onboarded: z.object({ users: z.number(), denies: z.number(), on: z.string() }).optional(),
  /** Full counts, since the lists are cut at NOTABLE_LIMIT entries. */
  totals: z.object({
    scheduled: z.number().optional(),
    restricted: z.number(),
    tampered: z.number(),
    quotaBlocked: z.number(),
    errors: z.number(),
    attempts: z.number(),
    newlyExempt: z.number(),
    exemptionRequests: z.number().optional(),
  }),
})
export type Notable = z.infer<typeof notable>

/** A credential as the digest names it: `key AKIA…` or `password`. */
const credentialLine = z.object({ userName: z.string(), credential: z.string() })

/** What an account's credential pass did (credentials/), as short lists with full counts. */
export const credentialNotes = z.object({
  /** Announced changes, with their day, and the owner to mention. */
  scheduled: z.array(credentialLine.extend({ on: z.string(), owner: z.string().optional() })),
  deactivated: z.array(credentialLine),
  /** Put back by someone outside the project: alerted, and their window starts again. */
  reactivated: z.array(credentialLine),
  /** Access keys of ours deleted after their second period (absent in records kept before deletion). */
  deleted: z.array(credentialLine).default([]),
  /** Access keys of ours whose deletion comes within the notice, with its day. */
  deleting: z.array(credentialLine.extend({ on: z.string() })).default([]),
  /** Credentials whose silence falls in a tracking gap: never judged unused (left to a person). */
  unknown: z.number(),
  /** Why the brake held back every change of the pass. */
  held: z.string().optional(),
  /** Why the pass did not run (its credential report could not be had): nothing changed. */
  failed: z.string().optional(),
  /** Users with no active credential unused 90 days (Security Hub IAM.8) and 45 days (IAM.22). */
  compliance: z.object({ users: z.number(), iam8: z.number(), iam22: z.number() }).optional(),
  totals: z.object({
    scheduled: z.number(),
    deactivated: z.number(),
    reactivated: z.number(),
    deleted: z.number().default(0),
    deleting: z.number().default(0),
  }),
})
export type CredentialNotes = z.infer<typeof credentialNotes>

const sweepBase = {
  sweepId: z.string(),
  mode,
  trigger: z.string(),
  /** The operator who started it, as STS named them (sweeps started by an operator's request). */
  requestedBy: z.string().optional(),
  startedAt: z.string(),
  /** How many accounts this sweep targets (the list itself is kept in rows of its own). */
  accountCount: z.number(),
  invocations: z.number(),
  /** Last sign of life of an invocation at work on the sweep (ISO): a stale one means it stalled. */
  heartbeatAt: z.string().optional(),
  /** An operator confirmed a large change: the blast-radius brake does not apply to this sweep. */
  confirmLargeChange: z.boolean().optional(),
  /** Every user gets a fresh Access Advisor read (`sweep --full`), stored reports notwithstanding. */
  fullReads: z.boolean().optional(),
  /** Access Advisor job durations seen (ms), to start the next sweep or invocation with. */
  jobDurationsMs: z.array(z.number()).optional(),
  /**
   * Key deletion on in this sweep and every one since the sweep with this id, without a break: a key's
   * period and notice count only within it (credentials/deletion.ts). Absent: deletion off.
   */
  keyDeletionEpoch: z.string().optional(),
}

export const runningSweep = z.object({ ...sweepBase, status: z.literal('running') })
/** A sweep no invocation carries on: its invocations died (or hit the cap) with accounts left. */
export const stalledSweep = z.object({
  ...sweepBase,
  status: z.literal('stalled'),
  stalledAt: z.string(),
  reason: z.string(),
})
export const completedSweep = z.object({
  ...sweepBase,
  status: z.literal('completed'),
  finishedAt: z.string(),
  durationMs: z.number(),
  counts: statusCounts,
  accountsSwept: z.number(),
  accountsUnreachable: z.number(),
  accountsFailed: z.number(),
  /** Accounts where the blast-radius brake held back every write. */
  accountsBraked: z.number(),
  /** IAM requests sent (every attempt) and throttled, over every account. */
  iamCalls: z.number().optional(),
  iamThrottled: z.number().optional(),
  /** Users planned on their stored report, with no Access Advisor read. */
  readsSkipped: z.number().optional(),
  /**
   * Credentials announced (pending once the sweep is done), deactivated and found put back by others,
   * over every account; accounts whose credentials were held by the brake or not judged.
   */
  credentials: z
    .object({
      scheduled: z.number(),
      deactivated: z.number(),
      reactivated: z.number(),
      deleted: z.number().default(0),
      accountsHeld: z.number(),
    })
    .optional(),
})
export const sweepSummary = z.discriminatedUnion('status', [runningSweep, stalledSweep, completedSweep])
export type RunningSweep = z.infer<typeof runningSweep>
export type StalledSweep = z.infer<typeof stalledSweep>
export type CompletedSweep = z.infer<typeof completedSweep>
export type SweepSummary = z.infer<typeof sweepSummary>

export const ACCOUNT_OUTCOMES = ['swept', 'unreachable', 'failed'] as const

export const accountOutcome = z.object({
  accountId: z.string(),
  outcome: z.enum(ACCOUNT_OUTCOMES),
  reason: z.string(),
  users: z.number(),
  counts: statusCounts,
  writes: z.number(),
  durationMs: z.number(),
  /** IAM requests this invocation sent in the account (every attempt), and how many were throttled. */
  iamCalls: z.number().optional(),
  iamThrottled: z.number().optional(),
  /** Users planned on their stored report, with no Access Advisor read. */
  readsSkipped: z.number().optional(),
  /** Users with denies scheduled once the account is done (announced, or in plan mode to be). */
  usersScheduled: z.number().optional(),
  /** Why the blast-radius brake held back every write, when it did. */
  brake: z.string().optional(),
  /** Short lists for the digest. */
  notable: notable.optional(),
  /** The account's credential pass (absent when credentials are not judged). */
  credentials: credentialNotes.optional(),
})
export type AccountOutcome = z.infer<typeof accountOutcome>

/** An account's row in a sweep, written once its outcome is known (an unfinished account has none). */
export const sweepAccountRow = accountOutcome.extend({ doneAt: z.string() })
export type SweepAccountRow = z.infer<typeof sweepAccountRow>

/**
 * What earlier invocations of a sweep did in an account they left at a user boundary: the users they
 * decided (written and recorded), with their counts and lists, merged into the account's outcome.
 */
export const accountProgress = z.object({
  userIds: z.array(z.string()),
  counts: statusCounts,
  writes: z.number(),
  readsSkipped: z.number().default(0),
  notable,
})
export type AccountProgress = z.infer<typeof accountProgress>
