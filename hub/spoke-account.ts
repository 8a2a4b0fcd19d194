import type { IAMClient } from '@aws-sdk/client-iam'
import { assumeSpokeRole } from '../shared/aws/spoke-session.js'
import type { HubConfig } from './config.js'
import type { SweepDeps } from './sweep.js'

/** Runs an operator action with an IAM client in one account's spoke role, closed when it is done. */
export async function inSpokeAccount<T>(
  deps: Pick<SweepDeps, 'sts' | 'iamFor'>,
  config: Pick<HubConfig, 'spokeRoleName' | 'externalId'>,
  accountId: string,
  runId: string,
  work: (iam: IAMClient) => Promise<T>,
): Promise<T> {
  const credentials = await assumeSpokeRole(
    deps.sts,
    accountId,
    { roleName: config.spokeRoleName, externalId: config.externalId },
    runId,
  )
  const iam = deps.iamFor(credentials)
  try {
    return await work(iam)
  } finally {
    iam.destroy()
  }
}
