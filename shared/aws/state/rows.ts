/**
 * Rows read back from the state table are parsed with the domain's schemas, never cast: a malformed or
 * foreign row fails with an error naming its key and what is wrong, instead of flowing on as a
 * half-filled record. The table's own keys (pk, sk, index keys, TTL) are left out by the parse.
 */
import { z } from 'zod'
import { accountProgress } from '../../domain/records.js'
import { UnexpectedReplyError } from '../../errors.js'
import type { UnreadableRow } from '../../ports.js'

/** A sweep's progress row keeps its UserIds as one string: 5,000 users take about 110 KB. */
export const accountProgressRow = accountProgress.extend({
  userIds: z.string().transform((ids) => (ids ? ids.split(',') : [])),
})

/** A chunk of a sweep's target accounts. */
export const sweepTargetsRow = z.object({ accounts: z.array(z.string()) })

/** Parses one item into its record; the one place a row becomes a typed record. */
export function parseRow<S extends z.ZodType>(schema: S, item: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(item)
  if (result.success) return result.data
  const where = `${String(item.pk)} / ${String(item.sk)}`
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`)
  throw new UnexpectedReplyError(`state table row ${where} is malformed: ${problems.join('; ')}`)
}

/**
 * A row left out: its key and why, and whose it was: a user's current-state row (with its version as
 * stored, so that a new state may replace it), a user's exemption, or the account's own row.
 */
export function unreadableRow(row: Record<string, unknown>, error: unknown): UnreadableRow {
  const sk = String(row.sk)
  const reason = error instanceof Error ? error.message : String(error)
  const name = sk.startsWith('USER#') ? sk.slice('USER#'.length) : undefined
  const exemptionOf = sk.startsWith('EXEMPTION#') ? sk.split('#')[1] : undefined
  return {
    key: `${String(row.pk)} / ${sk}`,
    reason,
    ...(name ? { user: { name, ...('version' in row ? { version: row.version } : {}) } } : {}),
    ...(exemptionOf ? { exemptionOf } : {}),
    ...(sk === 'ACCOUNT' && String(row.pk).startsWith('ACCOUNT#') ? { accountRow: true as const } : {}),
  }
}
