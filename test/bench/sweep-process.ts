/**
 * Child process of the benchmark that runs one kind of sweep against the server process, through the
 * SDK's standard endpoint settings, and reports its wall time and peak memory.
 */
import { loadHubConfig } from '../../hub/config.js'
import { createRuntime } from '../../hub/runtime.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createHubClients } from '../../shared/aws/clients.js'
import { createLogger } from '../../shared/logger.js'
import { naiveSweep } from './naive.js'

export type SweepCommand =
  | {
      cmd: 'ours'
      mode: 'enforce'
      /** The sweep's clock (ms); the real one when absent. */
      now?: number
      /** Read every report afresh (`sweep --full`). */
      full?: boolean
      /** Report every user's denied services after the sweep, to compare two copies of an organization. */
      snapshot?: boolean
    }
  | { cmd: 'naive'; pollMs: number }
  | { cmd: 'stop' }

export interface SweepMeasurement {
  wallMs: number
  maxRssMb: number
  dynamoWrites: number
  users: number
  status?: string
  readsSkipped?: number
  counts?: Record<string, number>
  /** `account/user` → the services denied after the sweep, comma-separated. */
  denied?: Record<string, string>
}

const config = loadHubConfig(process.env)
const runtime = createRuntime(config, createLogger({ level: 'silent' }))

process.on('message', async (message: SweepCommand) => {
  if (message.cmd === 'stop') process.exit(0)
  const started = performance.now()
  const writesBefore = runtime.store.writeCount
  let users = 0
  let status: string | undefined
  let extra: Partial<SweepMeasurement> = {}
  if (message.cmd === 'ours') {
    const at = message.now
    // The first enforce sweep is a large change by design: confirmed, as an operator would.
    const report = await runSweep(
      runtime.sweepDeps({
        remainingMs: () => Number.POSITIVE_INFINITY,
        ...(at ? { now: () => new Date(at) } : {}),
      }),
      config,
      {
        kind: 'new',
        mode: message.mode,
        trigger: 'bench',
        confirmLargeChange: true,
        ...(message.full ? { fullReads: true } : {}),
      },
    )
    users = report.accounts.reduce((n, a) => n + a.users, 0)
    status = report.status
    extra = {
      readsSkipped: report.summary?.readsSkipped ?? 0,
      counts: { ...report.summary?.counts },
      ...(message.snapshot ? { denied: await deniedByUser(report.accounts.map((a) => a.accountId)) } : {}),
    }
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
    ...extra,
  }
  process.send?.(measurement)
})

async function deniedByUser(accounts: readonly string[]): Promise<Record<string, string>> {
  const denied: Record<string, string> = {}
  for (const accountId of accounts) {
    const { users } = await runtime.store.users.loadAccount(accountId)
    for (const [name, state] of users) denied[`${accountId}/${name}`] = [...state.denied].sort().join(',')
  }
  return denied
}
process.send?.({ ready: true })
