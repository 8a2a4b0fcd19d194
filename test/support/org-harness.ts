/** The emulator plus dynalite, with the SDK's standard settings pointing at both, for hub tests. */
import { afterAll, onTestFinished } from 'vitest'
import { type HubConfig, loadHubConfig } from '../../hub/config.js'
import { createRuntime } from '../../hub/runtime.js'
import type { SweepDeps } from '../../hub/sweep.js'
import type { OrgSeed } from '../emulator/seed.js'
import { type EmulatorOptions, startEmulator } from '../emulator/server.js'
import { startDynalite } from './dynalite.js'
import { memoryLogger } from './harness.js'
import { hubTestSettings, pointSdkAt, TABLE } from './local-aws.js'

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
