/** Starts the emulator for a test file and points the SDK's standard endpoint setting at it. */
import type { IAMClient } from '@aws-sdk/client-iam'
import { afterAll } from 'vitest'
import { createIamClient } from '../../shared/aws/clients.js'
import { createLogger, type Logger } from '../../shared/logger.js'
import type { OrgSeed } from '../emulator/seed.js'
import { credentialsFor, type Emulator, type EmulatorOptions, startEmulator } from '../emulator/server.js'

export interface Harness {
  emulator: Emulator
  iamFor: (accountId: string, maxAttempts?: number) => IAMClient
}

export async function startHarness(seed: OrgSeed, options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = await startEmulator(seed, options)
  process.env.AWS_ENDPOINT_URL = emulator.url
  process.env.AWS_REGION = 'us-east-1'
  afterAll(() => emulator.close())
  return {
    emulator,
    iamFor: (accountId, maxAttempts = 8) =>
      createIamClient({ credentials: credentialsFor(accountId), maxAttempts }),
  }
}

/** A logger that keeps its lines in memory, for assertions and to keep test output quiet. */
export function memoryLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => chunks.push(s) } })
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}
