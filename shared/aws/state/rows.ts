/**
 * Rows read back from the state table are parsed, not cast: a malformed or foreign row fails with an
 * error naming its key and what is wrong, instead of flowing on as a half-filled record.
 */
import { z } from 'zod'
import { DECISION_STATUS_NAMES } from '../../domain/decision.js'
import { CANCEL_REASONS } from '../../domain/notice.js'
import { UnexpectedReplyError } from '../../errors.js'

const status = z.enum(DECISION_STATUS_NAMES as [string, ...string[]])
/** A service namespace: a row naming anything else (`*`, `s3:*`) would render a deny of its own making. */
const namespace = z.string().regex(/^[a-z0-9-]{1,64}$/, 'a service namespace')
const byNamespace = <T extends z.ZodType>(value: T) => z.record(namespace, value)
const mode = z.enum(['plan', 'enforce'])
const dates = byNamespace(z.string())
const counts = z.record(z.string(), z.number())
const change = z.object({
  namespace: z.string(),
  reason: z.string(),
  lastUsed: z.string().optional(),
  scheduledOn: z.string().optional(),
  onboarding: z.literal(true).optional(),
})
const attempt = z.object({ namespace: z.string(), at: z.string(), region: z.string().optional() })
const scheduledDeny = z.object({
  on: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day, YYYY-MM-DD'),
  since: z.string(),
  onboarding: z.literal(true).optional(),
})
const cancelReason = z.enum(CANCEL_REASONS)

export const userStateRow = z.object({
  accountId: z.string(),
  userName: z.string(),
  userId: z.string().optional(),
  userArn: z.string(),
  status,
  reason: z.string(),
  denied: z.array(namespace),
  deniedSince: dates.optional(),
  lastAttempts: dates.optional(),
  pastDenies: byNamespace(z.object({ from: z.string(), to: z.string() })).optional(),
  exemptTag: z.string().optional(),
  policyArns: z.array(z.string()),
  policyDigests: z.array(z.string()),
  firstSeen: dates.optional(),
  scheduled: byNamespace(scheduledDeny).optional(),
  nextScheduled: z.string().optional(),
  sweepId: z.string(),
  updatedAt: z.string(),
  version: z.number().optional(),
})

export const changeRow = z.object({
  accountId: z.string(),
  userName: z.string(),
  userId: z.string().optional(),
  at: z.string(),
  sweepId: z.string(),
  mode,
  status: z.union([
    status,
    z.enum(['tampered', 'attempt', 'exempted', 'exemption-revoked', 'scheduled', 'schedule-cancelled']),
  ]),
  previousStatus: z.string().optional(),
  added: z.array(change),
  removed: z.array(change),
  denied: z.array(z.string()),
  reason: z.string(),
  attempt: attempt.optional(),
  scheduled: z.array(z.object({ namespace, on: z.string() })).optional(),
  cancelled: z.array(z.object({ namespace, reason: cancelReason })).optional(),
  actor: z.string().optional(),
})

export const exemptionRow = z.object({
  accountId: z.string(),
  userName: z.string(),
  userId: z.string().optional(),
  service: z.string().optional(),
  until: z.string(),
  reason: z.string(),
  createdAt: z.string(),
})

export const accountStateRow = z.object({
  accountId: z.string(),
  name: z.string(),
  status: z.enum(['reachable', 'unreachable', 'failed']),
  reason: z.string(),
  sweepId: z.string(),
  updatedAt: z.string(),
  enforcedSince: z.string().optional(),
})

const sweepBase = {
  sweepId: z.string(),
  mode,
  trigger: z.string(),
  startedAt: z.string(),
  accountCount: z.number(),
  invocations: z.number(),
  heartbeatAt: z.string().optional(),
  confirmLargeChange: z.boolean().optional(),
  fullReads: z.boolean().optional(),
  jobDurationsMs: z.array(z.number()).optional(),
}

export const sweepRow = z.discriminatedUnion('status', [
  z.object({ ...sweepBase, status: z.literal('running') }),
  z.object({ ...sweepBase, status: z.literal('stalled'), stalledAt: z.string(), reason: z.string() }),
  z.object({
    ...sweepBase,
    status: z.literal('completed'),
    finishedAt: z.string(),
    durationMs: z.number(),
    counts,
    accountsSwept: z.number(),
    accountsUnreachable: z.number(),
    accountsFailed: z.number(),
    accountsBraked: z.number(),
    iamCalls: z.number().optional(),
    iamThrottled: z.number().optional(),
    readsSkipped: z.number().optional(),
  }),
])

export const sweepAccountRow = z.object({
  doneAt: z.string(),
  accountId: z.string(),
  outcome: z.enum(['swept', 'unreachable', 'failed']),
  reason: z.string(),
  users: z.number(),
  counts,
  writes: z.number(),
  durationMs: z.number(),
  iamCalls: z.number().optional(),
  iamThrottled: z.number().optional(),
  readsSkipped: z.number().optional(),
  usersScheduled: z.number().optional(),
  brake: z.string().optional(),
  // The digest's short lists: written and read by this project only, kept as they are.
  notable: z.record(z.string(), z.unknown()).optional(),
})

export const accountProgressRow = z.object({
  userIds: z.string().transform((ids) => (ids ? ids.split(',') : [])),
  counts,
  writes: z.number(),
  readsSkipped: z.number().default(0),
  notable: z.record(z.string(), z.unknown()),
})

/** A chunk of a sweep's target accounts. */
export const sweepTargetsRow = z.object({ accounts: z.array(z.string()) })

export const storedReportRow = z.object({
  userId: z.string(),
  sweepId: z.string(),
  readAt: z.string(),
  grantsDigest: z.string().optional(),
  services: z.array(
    z.object({
      namespace,
      lastAuthenticated: z.string().optional(),
      lastRegion: z.string().optional(),
    }),
  ),
})

/** Parses one item into its record type; the one place a row becomes a typed record. */
export function parseRow<T>(schema: z.ZodType, item: Record<string, unknown>): T {
  const result = schema.safeParse(item)
  if (result.success) return result.data as T
  const where = `${String(item.pk)} / ${String(item.sk)}`
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`)
  throw new UnexpectedReplyError(`state table row ${where} is malformed: ${problems.join('; ')}`)
}
