import type { IAMClient } from '@aws-sdk/client-iam'
import { assumeSpokeRole, renewing } from '../shared/aws/spoke-session.js'
import { LeastPrivilegeError } from '../shared/errors.js'
import type { HubConfig } from './config.js'
import type { SweepDeps } from './sweep.js'

/** Runs `work` with an IAM client in one account's spoke role, closed when done; no lock (reads only). */
export async function withSpokeIam<T>(
  deps: Pick<SweepDeps, 'sts' | 'iamFor'>,
  config: Pick<HubConfig, 'spokeRoleName' | 'externalId'>,
  accountId: string,
  runId: string,
  work: (iam: IAMClient) => Promise<T>,
): Promise<T> {
  const spoke = { roleName: config.spokeRoleName, externalId: config.externalId }
  const credentials = await assumeSpokeRole(deps.sts, accountId, spoke, runId)
  const iam = deps.iamFor(renewing(credentials, () => assumeSpokeRole(deps.sts, accountId, spoke, runId)))
  try {
    return await work(iam)
  } finally {
    iam.destroy()
  }
}

/**
 * Runs an operator action with an IAM client in one account's spoke role, under the account's lock (a
 * sweep or another operator at work there makes it refuse, naming them), and closes both when done.
 */
export async function inSpokeAccount<T>(
  deps: Pick<SweepDeps, 'sts' | 'iamFor' | 'store' | 'now'>,
  config: Pick<HubConfig, 'spokeRoleName' | 'externalId' | 'accountLeaseMs'>,
  accountId: string,
  runId: string,
  work: (iam: IAMClient, lost: () => boolean) => Promise<T>,
): Promise<T> {
  const lock = await deps.store.locks.hold(accountId, runId, deps.now, config.accountLeaseMs, (lost) =>
    withSpokeIam(deps, config, accountId, runId, (iam) => work(iam, lost)),
  )
  if (lock.held) return lock.result
  throw new LeastPrivilegeError(
    `account ${accountId} is busy: ${lock.heldBy} holds it until ${lock.until}; try again then`,
  )
}
