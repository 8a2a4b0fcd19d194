/**
 * One user's credential changes, carried out and recorded right after: each change in IAM first, then
 * its row and history. A change that fails stops the user's others; what was done before it is recorded,
 * and the rest is planned again by the next sweep from what IAM then shows.
 */
import type { CredentialOp, CredentialUserPlan } from '../domain/credentials/plan.js'
import type { Mode } from '../domain/decision.js'
import type { ChangeRecord } from '../domain/records.js'
import { errorMessage } from '../errors.js'
import type { AccountIam } from '../ports.js'
import type { Run } from './account-run.js'

export const opCredential = (op: CredentialOp): string =>
  op.kind === 'deactivate-key' || op.kind === 'reactivate-key' ? op.id : 'password'

export interface CredentialRecordContext {
  accountId: string
  runId: string
  mode: Mode
  /** The operator, as AWS named them, on an operator's restore. */
  actor?: string
  reason?: string
}

/** Carries out the plan's changes in order, then records them; returns why one failed, if one did. */
export async function recordCredentialPlan(
  run: Run & { iam: AccountIam },
  context: { accountId: string; intent: { sweepId: string; mode: Mode } } | CredentialRecordContext,
  plan: CredentialUserPlan,
): Promise<{ failed?: string }> {
  const ctx: CredentialRecordContext =
    'intent' in context
      ? { accountId: context.accountId, runId: context.intent.sweepId, mode: context.intent.mode }
      : context
  const log = run.log.child({ userName: plan.user.name })
  const undone = new Set<string>()
  let failed: string | undefined
  for (const op of plan.ops) {
    if (failed !== undefined) {
      undone.add(opCredential(op))
      continue
    }
    try {
      await run.iam.changeCredential(plan.user, op)
      log.info({ event: `credential.${op.kind}`, credential: opCredential(op) }, 'credential changed')
    } catch (error) {
      failed = errorMessage(error)
      undone.add(opCredential(op))
      log.warn({ event: 'alert.user-error', reason: failed }, 'credential change failed; the rest wait')
    }
  }
  const at = run.now().toISOString()
  for (const row of plan.drop) if (!undone.has(row.credentialId)) await run.store.users.forgetCredential(row)
  for (const row of plan.put) if (!undone.has(row.credentialId)) await run.store.users.saveCredential(row)
  for (const entry of plan.history) {
    if (undone.has(entry.credential.credentialId)) continue
    const change: ChangeRecord = {
      accountId: ctx.accountId,
      userName: plan.user.name,
      userId: plan.user.id,
      at,
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
    await run.store.users.appendHistory(change)
  }
  return failed ? { failed } : {}
}
