/** Operator requests as the CLI sends them to the hub: signed by a principal of the test's choosing. */
import { STSClient } from '@aws-sdk/client-sts'
import { type OperatorEvent, type OperatorRequest, signedPart } from '../../hub/event.js'
import { proveCaller, requestDigest } from '../../shared/aws/caller.js'
import type { Emulator } from '../emulator/server.js'

/** An operator's role session in the management account, as STS names it. */
export const operatorArn = (accountId: string, session = 'alice') =>
  `arn:aws:sts::${accountId}:assumed-role/least-privilege-operator/${session}`

/**
 * The event the CLI would send for `request` to the hub function `hub`, its proof signed by `arn` (an
 * operator unless told) at `issuedAt` (now unless told).
 */
export async function operatorEvent(
  emulator: Emulator,
  request: OperatorRequest,
  arn = operatorArn(emulator.state.managementAccountId),
  signed: { hub?: string; issuedAt?: string } = {},
): Promise<OperatorEvent> {
  const credentials = emulator.addPrincipal(arn.split(':')[4] ?? '', arn)
  const sts = new STSClient({ region: 'us-east-1', endpoint: emulator.url, credentials, maxAttempts: 1 })
  const part = signedPart({
    request,
    issuedAt: signed.issuedAt ?? new Date().toISOString(),
    hub: signed.hub ?? 'least-privilege-hub',
  })
  const { proof } = await proveCaller(sts, requestDigest(part))
  return { operator: { ...part, proof } }
}
