/**
 * The account's IAM, through its spoke role: the adapter behind the AccountIam and Spokes ports. The
 * reads, the Access Advisor job and the writes live in their own files; this one wires them to a
 * session whose credentials renew themselves, with the account's pace and call meter.
 */
import type { IAMClient } from '@aws-sdk/client-iam'
import type { STSClient } from '@aws-sdk/client-sts'
import type { AccountIam, CallMeter, SpokeSessionRequest, Spokes } from '../ports.js'
import { type PollSettings, readServiceUsage, realSleep, type Sleep } from './access-advisor.js'
import { createIamClient } from './clients.js'
import { changeCredential, readCredentialReport, readLiveCredentials } from './credential-iam.js'
import { readAccountSnapshot, readQuotas } from './iam-reader.js'
import { executeWrites, purgePolicy } from './iam-writer.js'
import { assumeSpokeRole, renewing, type SpokeCredentials } from './spoke-session.js'

export interface SpokeSettings {
  spokeRoleName: string
  externalId: string
  maxAttempts: number
  /** IAM requests a second sent to one account at most, retries included. */
  iamRequestsPerSecond: number
  accessAdvisor: PollSettings
  policyPath: string
  policyNamePrefix: string
  /** `on`: reports are read at action level (same two calls), so actions can be judged. */
  actionLevel: 'on' | 'off'
}

/** Makes the IAM client of a session; tests give their own to freeze or fault one. */
export type IamClientFactory = (credentials: SpokeCredentials, meter: CallMeter) => IAMClient

export function spokesOver(
  sts: STSClient,
  settings: SpokeSettings,
  options: { sleep?: Sleep; iamClient?: IamClientFactory } = {},
): Spokes {
  const role = { roleName: settings.spokeRoleName, externalId: settings.externalId }
  const client: IamClientFactory =
    options.iamClient ??
    ((credentials, meter) =>
      createIamClient({
        credentials,
        maxAttempts: settings.maxAttempts,
        requestsPerSecond: settings.iamRequestsPerSecond,
        meter,
      }))
  return {
    async open(request: SpokeSessionRequest): Promise<AccountIam> {
      const assume = () => assumeSpokeRole(sts, request.accountId, role, request.runId)
      const credentials = renewing(await assume(), assume)
      const meter: CallMeter = { calls: 0, throttled: 0 }
      return accountIam(client(credentials, meter), meter, {
        settings,
        sleep: options.sleep ?? realSleep,
        ...(request.durations ? { durations: request.durations } : {}),
      })
    },
  }
}

function accountIam(
  iam: IAMClient,
  meter: CallMeter,
  context: { settings: SpokeSettings; sleep: Sleep; durations?: SpokeSessionRequest['durations'] },
): AccountIam {
  const { settings, sleep, durations } = context
  return {
    meter,
    async listing() {
      const [snapshot, quotas] = await Promise.all([
        readAccountSnapshot(iam, settings.policyNamePrefix, settings.policyPath),
        readQuotas(iam),
      ])
      return { ...snapshot, quotas }
    },
    usage: (user) =>
      readServiceUsage(
        iam,
        { arn: user.arn, actionLevel: settings.actionLevel === 'on' },
        settings.accessAdvisor,
        sleep,
        durations,
      ),
    apply: (user, ops) => executeWrites(iam, user, settings.policyPath, ops, sleep),
    purge: (policy) => purgePolicy(iam, policy),
    credentialReport: () => readCredentialReport(iam, sleep),
    liveCredentials: (user, proxied) => readLiveCredentials(iam, user, proxied),
    changeCredential: (user, op) => changeCredential(iam, user.name, op),
    close: () => iam.destroy(),
  }
}
