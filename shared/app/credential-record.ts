/**
 * One user's credential changes, each recorded before it is made in IAM and confirmed after: a run that
 * stops in between (time, a lost lock, a crash) leaves a row that says so, and the next sweep finishes
 * the change instead of taking it for someone else's. A change that fails is put back on record as it
 * was, and stops the user's others; the next sweep plans them again from what IAM then shows.
 */

import { awsErrorKind } from '../aws/aws-errors.js'
import type { CredentialOp, CredentialUserPlan } from '../domain/credentials/plan.js'
import type { Mode } from '../domain/decision.js'
import type { ChangeRecord, CredentialState } from '../domain/records.js'
import { errorMessage, StateConflictError } from '../errors.js'
import type { AccountIam } from '../ports.js'
import type { Run } from './account-run.js'

export const opCredential = (op: CredentialOp): string => (op.kind === 'remove-password' ? 'password' : op.id)

export interface CredentialRecordContext {
  accountId: string
  runId: string
  mode: Mode
  /** The operator, as AWS named them, on an operator's restore. */
  actor?: string
  reason?: string
}

/**
 * Carries out the plan's changes in order, then records them; returns why one failed, if one did, and
 * the credentials whose change was not made or not recorded (the next sweep's).
 */
export async function recordCredentialPlan(
  run: Run & { iam: AccountIam },
  context: { accountId: string; intent: { sweepId: string; mode: Mode } } | CredentialRecordContext,
  plan: CredentialUserPlan,
): Promise<{ failed?: string; undone: ReadonlySet<string> }> {
  const ctx: CredentialRecordContext =
    'intent' in context
      ? { accountId: context.accountId, runId: context.intent.sweepId, mode: context.intent.mode }
      : context
  const log = run.log.child({ userName: plan.user.name })
  const undone = new Set<string>()
  let failed: string | undefined
  for (const op of plan.ops) {
    const id = opCredential(op)
    if (failed !== undefined || run.budget.lost()) {
      undone.add(id)
      continue
    }
    const after = plan.put.findLast((r) => r.credentialId === id)
    if (after) await run.store.users.saveCredential({ ...after, unconfirmed: true })
    try {
      await run.iam.changeCredential(plan.user, op)
      log.info({ event: `credential.${op.kind}`, credential: id }, 'credential changed')
    } catch (error) {
      failed = errorMessage(error)
      undone.add(id)
      log.warn({ event: 'alert.user-error', reason: failed }, 'credential change failed; the rest wait')
      // Only a refusal says nothing was made; after a timeout or a 5xx it may have been, and the mark
      // stays for the next sweep to find out.
      if (refused(error)) await putBack(run, plan, after, id)
    }
  }
  // The lock is another writer's now: what was changed stays marked unconfirmed, for the next sweep.
  if (run.budget.lost()) {
    const all = [...plan.put, ...plan.drop].map((r) => r.credentialId)
    return { failed: failed ?? 'the account lock was lost', undone: new Set([...all, ...undone]) }
  }
  for (const row of plan.drop) if (!undone.has(row.credentialId)) await run.store.users.forgetCredential(row)
  for (const row of plan.put) if (!undone.has(row.credentialId)) await run.store.users.saveCredential(row)
  for (const entry of plan.history)
    if (!undone.has(entry.credential.credentialId))
      await run.store.users.appendHistory(historyRow(ctx, plan, entry, run.now()))
  return failed ? { failed, undone } : { undone }
}

function refused(error: unknown): boolean {
  const kind = awsErrorKind(error)
  return (
    error instanceof StateConflictError ||
    kind === 'access-denied' ||
    kind === 'not-found' ||
    kind === 'limit-exceeded' ||
    /Validation|InvalidInput/.test(String((error as Error).name))
  )
}

/** A change that failed: its row as it was on record, or none if it had none. */
async function putBack(
  run: Run,
  plan: CredentialUserPlan,
  written: CredentialState | undefined,
  id: string,
): Promise<void> {
  const before = plan.before.find((r) => r.credentialId === id)
  if (before) await run.store.users.saveCredential(before)
  else if (written) await run.store.users.forgetCredential(written)
}

function historyRow(
  ctx: CredentialRecordContext,
  plan: CredentialUserPlan,
  entry: CredentialUserPlan['history'][number],
  at: Date,
): ChangeRecord {
  return {
    accountId: ctx.accountId,
    userName: plan.user.name,
    userId: plan.user.id,
    at: at.toISOString(),
    sweepId: ctx.runId,
    mode: ctx.mode,
    status: entry.event,
    added: [],
    removed: [],
    denied: [],
    reason: ctx.reason ?? entry.credential.detail ?? '',
    credential: entry.credential,
    ...(ctx.actor ? { actor: ctx.actor } : {}),
  }
}
