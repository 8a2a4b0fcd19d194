/**
 * An emulated organization for hub tests: the emulator, the SDK's standard settings pointing at it, and
 * a state store. The store is in memory unless a test is about the DynamoDB adapter or runs the real
 * CLI or Lambda handler (which build their own clients from the environment): those get dynalite.
 */
import { afterAll, onTestFinished } from 'vitest'
import { type HubConfig, loadHubConfig } from '../../hub/config.js'
import { createRuntime, type SessionOptions } from '../../hub/runtime.js'
import type { OperatorDeps } from '../../shared/app/operator.js'
import type { SweepDeps } from '../../shared/app/org-sweep.js'
import type { StateStore } from '../../shared/ports.js'
import type { OrgSeed } from '../emulator/seed.js'
import { type EmulatorOptions, startEmulator } from '../emulator/server.js'
import { type LocalDynamo, startDynalite } from './dynalite.js'
import { memoryLogger } from './harness.js'
import { hubTestSettings, pointSdkAt, TABLE } from './local-aws.js'
import { MemoryStateStore } from './memory-store.js'

/** Nothing listens here: a test on the in-memory store that reached DynamoDB would fail loudly. */
const NO_DYNAMODB = 'http://127.0.0.1:9'

/**
 * Starts an organization of its own. Called at a file's top level it lives for the file; called inside a
 * test (`scope: 'test'`) it is that test's whole world and closes when the test ends.
 */
export async function startOrgHarness(
  seed: OrgSeed,
  options: EmulatorOptions = {},
  scope: 'file' | 'test' = 'file',
  storeKind: 'memory' | 'dynamo' = 'memory',
) {
  const emulator = await startEmulator(seed, options)
  const dynamo: LocalDynamo | undefined = storeKind === 'dynamo' ? await startDynalite() : undefined
  await dynamo?.createTable(TABLE)
  const close = async () => {
    await emulator.close()
    await dynamo?.close()
  }
  if (scope === 'test') onTestFinished(close)
  else afterAll(close)
  pointSdkAt(emulator.url, dynamo?.url ?? NO_DYNAMODB, emulator.state.managementAccountId)
  const config = (overrides: Partial<HubConfig> = {}) =>
    loadHubConfig({}, { ...hubTestSettings(), ...overrides } as Partial<HubConfig>)
  const logs = memoryLogger()
  const runtime = createRuntime(config(), logs.log)
  const store: StateStore = dynamo ? runtime.store : new MemoryStateStore()
  const deps = (extra: Partial<SweepDeps> & SessionOptions = {}): SweepDeps =>
    runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY, store, ...extra })
  const operator = (extra: Partial<OperatorDeps> & SessionOptions = {}): OperatorDeps =>
    runtime.operatorDeps({ store, ...extra })
  return { emulator, dynamo, config, runtime, deps, operator, store, logs }
}

/** The harness with dynalite behind the store: for tests of the adapter, the CLI and the Lambda handler. */
export async function startDynamoHarness(
  seed: OrgSeed,
  options: EmulatorOptions = {},
  scope: 'file' | 'test' = 'file',
) {
  const h = await startOrgHarness(seed, options, scope, 'dynamo')
  const dynamo = h.dynamo
  if (!dynamo) throw new Error('dynalite did not start')
  return { ...h, dynamo }
}
