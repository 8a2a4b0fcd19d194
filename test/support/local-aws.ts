/**
 * How the demo, the standalone emulator and the tests point the hub at the local stand-ins: the SDK's
 * standard settings only. Free of vitest, so the demo and `npm run emulator` can use it.
 */
import type { HubConfig } from '../../hub/config.js'
import { credentialsFor, EMULATOR_EXTERNAL_ID } from '../emulator/server.js'
import { PATH, PREFIX } from './fixtures.js'

export const TABLE = 'least-privilege-state'

/** Standard SDK settings only: what a user would export to point the CLI at the emulator. */
export function pointSdkAt(emulatorUrl: string, dynamoUrl: string, managementAccountId: string): void {
  const hub = credentialsFor(managementAccountId)
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulatorUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: hub.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hub.secretAccessKey,
  })
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
}

export function hubTestSettings(): Partial<HubConfig> {
  return {
    tableName: TABLE,
    externalId: EMULATOR_EXTERNAL_ID,
    policyNamePrefix: PREFIX,
    policyPath: PATH,
    accessAdvisor: { initialDelayMs: 5, maxDelayMs: 50, timeoutMs: 5_000 },
    // The emulator has no rate limit unless a test gives it one (and then its own pace).
    iamRequestsPerSecond: 10_000,
    // Denies land the day they are due unless a test is about the notice before them.
    noticeDays: 0,
  }
}

/** The environment variables the Lambda and the CLI read, set for the emulated organization. */
export function hubTestEnv(): Record<string, string> {
  const s = hubTestSettings()
  return {
    TABLE_NAME: s.tableName ?? TABLE,
    EXTERNAL_ID: s.externalId ?? EMULATOR_EXTERNAL_ID,
    POLICY_PATH: s.policyPath ?? PATH,
    POLICY_NAME_PREFIX: s.policyNamePrefix ?? PREFIX,
    USER_CONCURRENCY: '8',
    IAM_REQUESTS_PER_SECOND: String(s.iamRequestsPerSecond ?? 10_000),
    NOTICE_DAYS: String(s.noticeDays ?? 0),
  }
}
