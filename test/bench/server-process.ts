/**
 * Child process of the benchmark: serves the emulated organization (IAM, STS, Organizations), answers
 * the parent's questions about request counts over IPC. Runs apart from the sweep so the sweep's memory
 * is its own, and apart from dynalite (dynamo-process.ts).
 */

import { makeCredentialReport } from '../emulator/credentials-api.js'
import { startEmulator } from '../emulator/server.js'
import { use } from '../support/use.js'
import { benchOrg, dayOfUse, usedKeys, weekOrg } from './org-seed.js'

export interface ServerSettings {
  /** `week`: the simulated week's organization, whose users use services day by day. */
  org: 'bench' | 'week'
  /** The week's share of dormant users (org-seed.ts weekOrg). */
  dormantShare?: number
  /** The clock the seed's relative dates are taken from (ms); day n of the week is n days later. */
  t0: number
  accounts: number
  usersPerAccount: number
  latencyMs: number
  jobLatencyMs: number
  jobJitterMs: number
  rateLimitPerSecond: number
}

export type ServerCommand =
  | { cmd: 'counts' }
  | { cmd: 'reset' }
  | { cmd: 'day'; day: number }
  | { cmd: 'stop' }

const DAY_MS = 86_400_000
const PATH = '/least-privilege/'

/** The user holding the most of the project's policies, by characters IAM counts (no white space). */
function largestDenySet(): { policies: number; characters: number } {
  let largest = { policies: 0, characters: 0 }
  for (const account of emulator.state.accounts.values())
    for (const user of account.users.values()) {
      const ours = user.attached.flatMap((arn) => {
        const policy = account.policies.get(arn)
        return policy && policy.path === PATH ? [policy] : []
      })
      const characters = ours.reduce((n, p) => {
        const doc = p.versions.find((v) => v.IsDefaultVersion)?.Document ?? ''
        return n + doc.replace(/\s/g, '').length
      }, 0)
      if (characters > largest.characters) largest = { policies: ours.length, characters }
    }
  return largest
}
const settings = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerSettings
const week =
  settings.org === 'week'
    ? weekOrg(settings.accounts, settings.usersPerAccount, settings.dormantShare)
    : undefined
const emulator = await startEmulator(week?.seed ?? benchOrg(settings.accounts, settings.usersPerAccount), {
  now: new Date(settings.t0),
  latencyMs: settings.latencyMs,
  accessAdvisorLatencyMs: settings.jobLatencyMs,
  accessAdvisorJitterMs: settings.jobJitterMs,
  rateLimitPerSecond: settings.rateLimitPerSecond,
})
process.send?.({ ready: true, url: emulator.url })

process.on('message', async (message: ServerCommand) => {
  if (message.cmd === 'counts') {
    const throttled = emulator.throttledCount()
    process.send?.({ counts: emulator.countsByAction(), throttled, largestDenySet: largestDenySet() })
  } else if (message.cmd === 'day') {
    // The day's uses, a few hours before that day's sweep.
    const at = new Date(settings.t0 + message.day * DAY_MS - 3 * 3_600_000)
    let uses = 0
    if (week)
      dayOfUse(week.habits, message.day, (accountId, userName, namespace) => {
        const user = emulator.state.accounts.get(accountId)?.users.get(userName)
        if (!user) return
        // What signed the requests shows the use too, as IAM's credential report would.
        for (const key of usedKeys(namespace)) use(user, key, at)
        uses++
      })
    // The day's credential report, made an hour before the sweep (IAM serves one up to 4 hours old).
    const made = new Date(settings.t0 + message.day * DAY_MS - 3_600_000)
    for (const account of emulator.state.accounts.values()) makeCredentialReport(account, made)
    process.send?.({ uses })
  } else if (message.cmd === 'reset') {
    emulator.resetCounts()
    process.send?.({ reset: true })
  } else {
    await emulator.close()
    process.exit(0)
  }
})
