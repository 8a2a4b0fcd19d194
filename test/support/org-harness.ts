/** The emulator plus dynalite, with the SDK's standard settings pointing at both, for hub tests. */
import { afterAll, onTestFinished } from 'vitest'
import { type HubConfig, loadHubConfig } from '../../hub/config.js'
import { createRuntime } from '../../hub/runtime.js'
import type { SweepDeps } from '../../hub/sweep.js'
import type { OrgSeed } from '../emulator/seed.js'
import {
  credentialsFor,
  EMULATOR_EXTERNAL_ID,
  type EmulatorOptions,
  startEmulator,
} from '../emulator/server.js'
import { startDynalite } from './dynalite.js'
import { PATH, PREFIX } from './fixtures.js'
import { memoryLogger } from './harness.js'

export const TABLE = 'least-privilege-state'

/**
 * Starts an organization of its own. Called at a file's top level it lives for the file; called inside a
 * test (`scope: 'test'`) it is that test's whole world and closes when the test ends.
 */
export async function startOrgHarness(
  seed: OrgSeed,
  options: EmulatorOptions = {},
  scope: 'file' | 'test' = 'file',
) {
  const emulator = await startEmulator(seed, options)
  const dynamo = await startDynalite()
  await dynamo.createTable(TABLE)
  const close = async () => {
    await emulator.close()
    await dynamo.close()
  }
  if (scope === 'test') onTestFinished(close)
  else afterAll(close)
  pointSdkAt(emulator.url, dynamo.url, emulator.state.managementAccountId)
  const config = (overrides: Partial<HubConfig> = {}) =>
    loadHubConfig({}, { ...hubTestSettings(), ...overrides } as Partial<HubConfig>)
  const logs = memoryLogger()
  const runtime = createRuntime(config(), logs.log)
  const deps = (extra: Partial<SweepDeps> = {}): SweepDeps =>
    runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY, ...extra })
  return { emulator, dynamo, config, runtime, deps, store: runtime.store, logs }
}

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
  }
}
