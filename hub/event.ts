import { z } from 'zod'
import { rollbackResult } from '../shared/app/operator.js'
import type { SweepRequest } from '../shared/app/org-sweep.js'
import { type CallerProof, callerProof, requestDigest } from '../shared/aws/caller.js'
import { accountIdSchema, iamUserNameSchema, parseWith } from '../shared/config.js'
import { MODES } from '../shared/domain/decision.js'
import { reasonText } from '../shared/domain/reason.js'
import { accessKeyId, denyKey, exemption, userDecision } from '../shared/domain/records.js'
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

/** A sweep an operator starts (`sweep` with `HUB_FUNCTION_NAME`). */
const sweepRequest = z
  .object({
    action: z.literal('sweep'),
    mode: z.enum(MODES),
    accounts: z.array(accountIdSchema).min(1).optional(),
    /** Lets an intended large change through the blast-radius brake. */
    confirmLargeChange: z.boolean().optional(),
    /** A fresh Access Advisor read for every user (no stored report stands in). */
    full: z.boolean().optional(),
  })
  .strict()

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

/** An operator's release, carried out by the hub (the only writer of denies in a deployed organization). */
const releaseRequest = z
  .object({
    action: z.literal('release'),
    accountId: accountIdSchema,
    userName: iamUserNameSchema,
    services: z.array(denyKey).min(1),
    reason: reasonText,
  })
  .strict()

/** An operator's restore of credentials the project deactivated or announced (`restore`). */
const restoreRequest = z
  .object({
    action: z.literal('restore'),
    accountId: accountIdSchema,
    userName: iamUserNameSchema,
    target: z.union([
      z.object({ all: z.literal(true) }).strict(),
      z.object({ keys: z.array(accessKeyId).max(2), password: z.boolean() }).strict(),
    ]),
    reason: reasonText,
  })
  .strict()

/** A temporary exemption of a user, or of some of their services (`exempt`). */
const exemptRequest = z
  .object({
    action: z.literal('exempt'),
    accountId: accountIdSchema,
    userName: iamUserNameSchema,
    services: z.array(denyKey).min(1).optional(),
    days: z.number().int().min(1).max(365),
    reason: reasonText,
  })
  .strict()

/** An exemption lifted before its end (`exemptions revoke`). */
const revokeRequest = z
  .object({
    action: z.literal('revoke'),
    accountId: accountIdSchema,
    userName: iamUserNameSchema,
    service: denyKey.optional(),
    reason: reasonText,
  })
  .strict()

/** The project's policies removed from a user or a whole account, and an exemption recorded (`rollback`). */
const rollbackRequest = z
  .object({
    action: z.literal('rollback'),
    accountId: accountIdSchema,
    userName: iamUserNameSchema.optional(),
    exemptUntil: z.iso.datetime().optional(),
    reason: reasonText,
  })
  .strict()

export const operatorRequest = z.discriminatedUnion('action', [
  sweepRequest,
  releaseRequest,
  restoreRequest,
  exemptRequest,
  revokeRequest,
  rollbackRequest,
])
export type OperatorRequest = z.infer<typeof operatorRequest>

/**
 * What an operator sends: the request, and the proof of who they are (see shared/aws/caller.ts). The hub
 * records the operator STS names, never one the request declares; a plain invocation carries no
 * operator's request at all, so whoever may invoke the function cannot act as an operator.
 */
const operator = z
  .object({
    operator: z
      .object({
        request: operatorRequest,
        /** When the operator signed it: the hub takes it for a few minutes only. */
        issuedAt: z.iso.datetime(),
        /** The hub function it is for (its name): a proof for one hub is no proof for another. */
        hub: z.string().regex(/^[\w-]{1,64}$/, 'a Lambda function name'),
        proof: callerProof,
      })
      .strict(),
  })
  .strict()

export type OperatorEvent = z.infer<typeof operator>

/** What the proof's digest covers: the request, when, and for which hub, in this order. */
export function signedPart<E extends { request: unknown; issuedAt: string; hub: string }>(
  envelope: E,
): Pick<E, 'request' | 'issuedAt' | 'hub'> {
  return { request: envelope.request, issuedAt: envelope.issuedAt, hub: envelope.hub }
}

/** What the hub answers a release with; the CLI parses the reply with it. */
export const releaseReply = z.object({
  actor: z.string(),
  mode: z.enum(MODES),
  decision: userDecision,
})

/** What the hub answers a restore with. */
export const restoreReply = z.object({
  actor: z.string(),
  mode: z.enum(MODES),
  userName: z.string(),
  restored: z.array(z.string()),
  passwordApproved: z.boolean(),
})

/** What the hub answers an operator's sweep with: it is recorded, and carried on by the hub itself. */
export const sweepStarted = z.object({ started: z.literal(true), sweepId: z.string() })
export type SweepStarted = z.infer<typeof sweepStarted>

/** What the hub answers an exemption granted or revoked with: the exemption rows. */
export const exemptionsReply = z.array(exemption)

/** What the hub answers a rollback with: per user, what was removed. */
export const rollbackReply = z.array(rollbackResult)

/** Every event the hub accepts, as those who send one build it. */
export type HubEvent = ContinuationEvent | OperatorEvent

/** What the hub function is asked to do. */
export type HubRequest =
  | { kind: 'sweep'; sweep: SweepRequest }
  | {
      kind: 'operator'
      request: OperatorRequest
      issuedAt: string
      hub: string
      proof: CallerProof
      digest: string
    }

/** Sorts any accepted event into a sweep or an operator's request; anything else fails naming the field. */
export function parseHubEvent(event: unknown, config: HubConfig): HubRequest {
  const has = (key: string) => typeof event === 'object' && event !== null && key in event
  if (has('operator')) {
    const parsed = parseWith(operator, event, 'operator event').operator
    // The digest of what was signed, exactly as it came (the schemas are strict and transform nothing).
    const digest = requestDigest(signedPart(parsed))
    refuseAboveCeiling(parsed.request, config)
    const { request, issuedAt, hub, proof } = parsed
    return { kind: 'operator', request, issuedAt, hub, proof, digest }
  }
  if (has('continuation')) {
    const { continuation: c } = parseWith(continuation, event, 'continuation event')
    return { kind: 'sweep', sweep: { kind: 'continuation', sweepId: c.sweepId, hop: c.hop } }
  }
  if (has('source')) {
    const e = parseWith(scheduled, event, 'scheduled event')
    return {
      kind: 'sweep',
      sweep: {
        kind: 'new',
        mode: config.mode,
        trigger: 'schedule',
        sweepId: `sched-${e.time.replace(/[-:]/g, '')}-${e.id.slice(0, 8)}`,
      },
    }
  }
  throw new ConfigError(
    'event: not one the hub accepts: a scheduled event, a continuation, or an operator request with its caller proof (the CLI sends these; see the README)',
  )
}

/**
 * Plan is a ceiling: no request starts an enforce sweep while the configuration says plan. A release or a
 * rollback only lifts the project's denies, so an operator may still make one (a freeze is when they may
 * be needed, and the README's removal rolls back after switching to plan).
 */
function refuseAboveCeiling(request: OperatorRequest, config: HubConfig): void {
  if (config.mode === 'plan' && request.action === 'sweep' && request.mode === 'enforce')
    throw new ConfigError('mode: enforce is refused, the hub runs with SWEEP_MODE=plan')
}

/**
 * A sweep an operator started. Its id comes from the digest of the signed request: the same request
 * sent again (a retry, a replay within its minutes) is the same sweep, resumed, never a second one.
 */
export function operatorSweep(
  request: Extract<OperatorRequest, { action: 'sweep' }>,
  requestedBy: string,
  digest: string,
): Extract<SweepRequest, { kind: 'new' }> {
  return {
    kind: 'new',
    mode: request.mode,
    trigger: 'operator',
    requestedBy,
    sweepId: `manual-${digest.slice(0, 40)}`,
    ...(request.accounts ? { accounts: request.accounts } : {}),
    ...(request.confirmLargeChange ? { confirmLargeChange: true } : {}),
    ...(request.full ? { fullReads: true } : {}),
  }
}
