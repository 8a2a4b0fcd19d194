/**
 * Child process of the benchmark: serves the emulated organization and dynalite, answers the parent's
 * questions about request counts over IPC. Runs apart from the sweep so the sweep's memory is its own.
 */

import { startEmulator } from '../emulator/server.js'
import { startDynalite } from '../support/dynalite.js'
import { benchOrg } from './org-seed.js'

export interface ServerSettings {
  accounts: number
  usersPerAccount: number
  latencyMs: number
  jobLatencyMs: number
  jobJitterMs: number
  rateLimitPerSecond: number
  table: string
}

export type ServerCommand = { cmd: 'counts' } | { cmd: 'reset' } | { cmd: 'stop' }

const settings = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerSettings
const emulator = await startEmulator(benchOrg(settings.accounts, settings.usersPerAccount), {
  latencyMs: settings.latencyMs,
  accessAdvisorLatencyMs: settings.jobLatencyMs,
  accessAdvisorJitterMs: settings.jobJitterMs,
  rateLimitPerSecond: settings.rateLimitPerSecond,
})
const dynamo = await startDynalite()
await dynamo.createTable(settings.table)
process.send?.({ ready: true, emulatorUrl: emulator.url, dynamoUrl: dynamo.url })

process.on('message', async (message: ServerCommand) => {
  if (message.cmd === 'counts') {
    const throttled = emulator.throttledCount()
    process.send?.({ counts: emulator.countsByAction(), throttled, dynamoWrites: dynamo.writes() })
  } else if (message.cmd === 'reset') {
    emulator.resetCounts()
    dynamo.reset()
    process.send?.({ reset: true })
  } else {
    await emulator.close()
    await dynamo.close()
    process.exit(0)
  }
})
