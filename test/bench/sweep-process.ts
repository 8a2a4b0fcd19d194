/**
 * Child process of the benchmark that runs one kind of sweep against the server process, through the
 * SDK's standard endpoint settings, and reports its wall time and peak memory.
 */
import { loadHubConfig } from '../../hub/config.js'
import { createRuntime } from '../../hub/runtime.js'
import { runSweep } from '../../hub/sweep.js'
import { createHubClients } from '../../shared/aws/clients.js'
import { createLogger } from '../../shared/logger.js'
import { naiveSweep } from './naive.js'

export type SweepCommand =
  | { cmd: 'ours'; mode: 'enforce' }
  | { cmd: 'naive'; pollMs: number }
  | { cmd: 'stop' }

export interface SweepMeasurement {
  wallMs: number
  maxRssMb: number
  dynamoWrites: number
  users: number
  status?: string
}

const config = loadHubConfig(process.env)
const runtime = createRuntime(config, createLogger({ level: 'silent' }))

process.on('message', async (message: SweepCommand) => {
  if (message.cmd === 'stop') process.exit(0)
  const started = performance.now()
  const writesBefore = runtime.store.writeCount
  let users = 0
  let status: string | undefined
  if (message.cmd === 'ours') {
    // The first enforce sweep is a large change by design: confirmed, as an operator would.
    const report = await runSweep(
      runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY }),
      config,
      {
        kind: 'new',
        mode: message.mode,
        trigger: 'bench',
        confirmLargeChange: true,
      },
    )
    users = report.accounts.reduce((n, a) => n + a.users, 0)
    status = report.status
  } else {
    users = (await naiveSweep(createHubClients(config.maxAttempts), config, message.pollMs)).users
  }
  const measurement: SweepMeasurement = {
    wallMs: performance.now() - started,
    // The process's peak resident set so far, as the kernel counts it (maxRSS is in KiB).
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    dynamoWrites: runtime.store.writeCount - writesBefore,
    users,
    ...(status ? { status } : {}),
  }
  process.send?.(measurement)
})
process.send?.({ ready: true })
