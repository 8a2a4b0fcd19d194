import { z } from 'zod'
import type { SweepRequest } from '../shared/app/org-sweep.js'
import { accountIdSchema, iamUserNameSchema, parseWith } from '../shared/config.js'
import { MODES } from '../shared/domain/decision.js'
import { namespace, userDecision } from '../shared/domain/records.js'
import { ConfigError } from '../shared/errors.js'
import type { HubConfig } from './config.js'

/** EventBridge's scheduled event: its id is stable across Lambda's retries of the same delivery. */
const scheduled = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  id: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'an EventBridge event id'),
  time: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'an ISO time such as 2026-11-25T06:00:00Z'),
})

/** A sweep started by hand (console test event, `aws lambda invoke`). */
const manual = z
  .object({
    mode: z.enum(MODES).optional(),
    accounts: z.array(accountIdSchema).min(1).optional(),
    /** Lets an intended large change through the blast-radius brake. */
    confirmLargeChange: z.boolean().optional(),
    /** A fresh Access Advisor read for every user (no stored report stands in). */
    full: z.boolean().optional(),
  })
  .strict()

export type ManualEvent = z.infer<typeof manual>

/**
 * Sent by the hub to itself when an invocation runs out of time. It names only the sweep: the accounts
 * left are read from the sweep's own record, so a forged or replayed one can neither widen a sweep nor
 * reopen a finished one, and its size never grows with the organization.
 */
const continuation = z
  .object({
    continuation: z
      .object({ sweepId: z.string().regex(/^[\w.-]{1,100}$/), hop: z.number().int().min(1) })
      .strict(),
  })
  .strict()

export type ContinuationEvent = z.infer<typeof continuation>

/**
 * An operator's release, carried out by the hub (the only writer of denies in a deployed organization).
 * `requestedBy` is the operator's ARN as the CLI read it; CloudTrail records who invoked the function.
 */
const release = z
  .object({
    release: z
      .object({
        accountId: accountIdSchema,
        userName: iamUserNameSchema,
        services: z.array(namespace).min(1),
        reason: z.string().max(1000),
        requestedBy: z.string().min(1).max(2048),
      })
      .strict(),
  })
  .strict()

export type ReleaseEvent = z.infer<typeof release>

/** What the hub answers a release with; the CLI parses the reply with it. */
export const releaseReply = z.object({
  actor: z.string(),
  mode: z.enum(MODES),
  decision: userDecision,
})

/** Every event the hub accepts, as those who send one build it. */
export type HubEvent = ManualEvent | ContinuationEvent | ReleaseEvent

/** What the hub function is asked to do. */
export type HubRequest =
  | { kind: 'sweep'; sweep: SweepRequest }
  | { kind: 'release'; release: ReleaseEvent['release'] }

/** Sorts any accepted event into a sweep or a release; anything else fails naming the field. */
export function parseHubEvent(event: unknown, config: HubConfig, requestId?: string): HubRequest {
  if (typeof event === 'object' && event !== null && 'release' in event) {
    const parsed = parseWith(release, event, 'release event').release
    if (config.mode === 'plan')
      throw new ConfigError('release: refused, the hub runs with SWEEP_MODE=plan and a release writes')
    return { kind: 'release', release: parsed }
  }
  const sweep = parseEvent(event, config, requestId)
  // Plan is a ceiling: whoever can invoke the function cannot start what its configuration rules out.
  if (sweep.kind === 'new' && sweep.mode === 'enforce' && config.mode === 'plan')
    throw new ConfigError('mode: enforce is refused, the hub runs with SWEEP_MODE=plan')
  return { kind: 'sweep', sweep }
}

/** A manual sweep's id, from Lambda's request id: the same on every retry of the invocation. */
export function manualSweepId(requestId: string): string {
  return `manual-${requestId.replace(/[^\w.-]/g, '').slice(0, 80)}`
}

/**
 * Turns any accepted event into a sweep request; anything else fails naming the field. `requestId` is
 * Lambda's request id, the same on every retry of an asynchronous invocation: a retried manual sweep
 * resumes the sweep it started rather than starting another.
 */
export function parseEvent(event: unknown, config: HubConfig, requestId?: string): SweepRequest {
  if (typeof event === 'object' && event !== null && 'continuation' in event) {
    const { continuation: c } = parseWith(continuation, event, 'continuation event')
    return { kind: 'continuation', sweepId: c.sweepId, hop: c.hop }
  }
  if (typeof event === 'object' && event !== null && 'source' in event) {
    const e = parseWith(scheduled, event, 'scheduled event')
    return {
      kind: 'new',
      mode: config.mode,
      trigger: 'schedule',
      sweepId: `sched-${e.time.replace(/[-:]/g, '')}-${e.id.slice(0, 8)}`,
    }
  }
  const e = parseWith(manual, event ?? {}, 'manual event')
  return {
    kind: 'new',
    mode: e.mode ?? config.mode,
    trigger: 'manual',
    ...(requestId ? { sweepId: manualSweepId(requestId) } : {}),
    ...(e.accounts ? { accounts: e.accounts } : {}),
    ...(e.confirmLargeChange ? { confirmLargeChange: true } : {}),
    ...(e.full ? { fullReads: true } : {}),
  }
}
