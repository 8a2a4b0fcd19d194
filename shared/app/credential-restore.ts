/**
 * An operator's restore in one account, under its lock: the user's credentials of ours as IAM shows them
 * now, the restore planned from them (credentials/plan.ts), carried out and recorded with the operator.
 */
import { planRestore } from '../domain/credentials/restore.js'
import type { RestoreIntent } from '../domain/plan/intent.js'
import type { Account, AccountRun, Run } from './account-run.js'
import { recordCredentialPlan } from './credential-record.js'

export async function restoreIn(run: Run, account: Account, intent: RestoreIntent): Promise<AccountRun> {
  const user = account.listing.users.find((u) => u.name.toLowerCase() === intent.userName.toLowerCase())
  if (!user) return { kind: 'refused', reason: `no IAM user ${intent.userName} in ${account.accountId}` }
  const rows = account.records.credentials.filter((r) => r.userId === user.id)
  const live = await account.iam.liveCredentials(
    user,
    rows.some((r) => r.service !== undefined),
  )
  const plan = planRestore(
    {
      accountId: account.accountId,
      user: { name: user.name, id: user.id, arn: user.arn },
      live,
      rows,
    },
    intent.target,
    { now: run.now(), runId: intent.runId, mode: intent.mode },
  )
  if ('refused' in plan) return { kind: 'refused', reason: plan.refused }
  if (intent.mode === 'plan') return { kind: 'restored', plan }
  const { failed } = await recordCredentialPlan(
    { ...run, iam: account.iam },
    {
      accountId: account.accountId,
      runId: intent.runId,
      mode: intent.mode,
      actor: intent.actor,
      reason: intent.reason,
    },
    plan,
  )
  return { kind: 'restored', plan, ...(failed ? { failed } : {}) }
}
