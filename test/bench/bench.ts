/**
 * `npm run bench`: the real hub sweep against the emulator at organization scale, with per-call latency,
 * a per-account request rate limit answered with AWS-style Throttling, and Access Advisor jobs that take
 * time; then the naive approach on the same organizations. Prints a table and writes bench-results.json.
 *
 * Two passes. The main one (10, 100 and 1,000 accounts at `--scale`, time divided by 2.5) measures calls,
 * writes, time against the lower bound, and memory; it runs slowly enough that the sweep's own CPU stays
 * well below its waiting, as it would against AWS. The comparison with the naive sweep runs both sweeps on
 * `--naive-accounts` accounts at `--naive-scale` (time divided by 50), since the naive sweep would take
 * hours at the main scale.
 *
 * Then a simulated week (`--week-accounts`, time ÷ `--scale`): two copies of an organization whose users
 * keep using services, swept once a day for `--days` days with the clock advanced a day each time, one
 * copy incrementally (the default sweep), the other with every report read afresh; the decisions of the
 * two are compared every day. `--week-notice-days N` runs it with a notice before each deny;
 * `--week-dormant-share S` makes that share of its users dormant (idle through the week).
 *
 *   npm run bench                                                         # about 35 minutes
 *   npm run bench -- --sizes 5,20 --naive-accounts 5 --week-accounts 5 --out /tmp/quick.json  # a quick look
 */
import { type ChildProcess, fork } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadHubConfig } from '../../hub/config.js'
import { credentialsFor, EMULATOR_EXTERNAL_ID } from '../emulator/server.js'
import { BENCH_MANAGEMENT } from './org-seed.js'
import type { ServerSettings } from './server-process.js'
import type { SweepCommand, SweepMeasurement } from './sweep-process.js'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    users: { type: 'string', default: '50' },
    scale: { type: 'string', default: '2.5' },
    'naive-accounts': { type: 'string', default: '100' },
    'naive-scale': { type: 'string', default: '50' },
    'week-accounts': { type: 'string', default: '100' },
    days: { type: 'string', default: '8' },
    'week-notice-days': { type: 'string', default: '0' },
    'week-dormant-share': { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench-results.json' },
  },
})
const sizes = values.sizes.split(',').map(Number)
const usersPerAccount = Number(values.users)
const mainScale = Number(values.scale)
const naiveAccounts = Number(values['naive-accounts'])
const naiveScale = Number(values['naive-scale'])
const weekAccounts = Number(values['week-accounts'])
const days = Number(values.days)
const weekNoticeDays = Number(values['week-notice-days'])
const weekDormantShare = Number(values['week-dormant-share'])
const DAY_MS = 86_400_000
/** The week's first day; the organization's dates are relative to it. */
const T0 = Math.floor(Date.now() / DAY_MS) * DAY_MS + 6 * 3_600_000

/**
 * The real-world model, and the benchmark's time scale. AWS publishes no IAM rate; 15 requests a second
 * per account is a conservative reading of what org-wide IAM tools report. Jobs usually finish in seconds.
 * Every duration is divided by `scale` and the rate multiplied by it, so the shape of the run is kept.
 */
const REAL = {
  iamLatencyMs: 100,
  jobLatencyMs: 2000,
  jobJitterMs: 2000,
  rateLimitPerSecond: 15,
  /** The sweep's own pace per account (IAM_REQUESTS_PER_SECOND), below the account's rate. */
  pacePerSecond: 10,
  naivePollMs: 1000,
  pollInitialMs: 1000,
  pollMaxMs: 8000,
}
const scaledBy = (scale: number) => ({
  latencyMs: REAL.iamLatencyMs / scale,
  jobLatencyMs: REAL.jobLatencyMs / scale,
  jobJitterMs: REAL.jobJitterMs / scale,
  rateLimitPerSecond: REAL.rateLimitPerSecond * scale,
  pacePerSecond: REAL.pacePerSecond * scale,
  naivePollMs: REAL.naivePollMs / scale,
  pollInitialMs: REAL.pollInitialMs / scale,
  pollMaxMs: REAL.pollMaxMs / scale,
})
type Scaled = ReturnType<typeof scaledBy>
const TABLE = 'bench-state'
const config = loadHubConfig({}, { tableName: TABLE, externalId: EMULATOR_EXTERNAL_ID })
const root = join(import.meta.dirname, '..', '..')

function child(file: string, env: Record<string, string>): ChildProcess {
  return fork(join(import.meta.dirname, file), [], {
    execArgv: [
      '--import',
      'tsx',
      '--max-old-space-size=4096',
      ...(process.env.BENCH_CPU_PROF && file.startsWith('sweep')
        ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']
        : []),
    ],
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

function ask<T>(proc: ChildProcess, message?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    proc.once('message', (reply) => resolve(reply as T))
    proc.once('exit', (code) => reject(new Error(`child exited with ${code}`)))
    if (message) proc.send(message)
  })
}

interface Counts {
  counts: Record<string, number>
  throttled: number
  /** The user holding the most of the project's policies: how many, and their characters. */
  largestDenySet: { policies: number; characters: number }
  dynamoWrites: number
}

/**
 * The emulated organization and dynalite, each in a process of its own, as IAM and DynamoDB are apart on
 * AWS: in one process, a burst of state writes would hold back the IAM replies of every other account.
 */
class Servers {
  constructor(
    private readonly iam: ChildProcess,
    private readonly dynamo: ChildProcess,
  ) {}

  async reset(): Promise<void> {
    await Promise.all([ask(this.iam, { cmd: 'reset' }), ask(this.dynamo, { cmd: 'reset' })])
  }

  async counts(): Promise<Counts> {
    const [iam, dynamo] = await Promise.all([
      ask<Omit<Counts, 'dynamoWrites'>>(this.iam, { cmd: 'counts' }),
      ask<Pick<Counts, 'dynamoWrites'>>(this.dynamo, { cmd: 'counts' }),
    ])
    return { ...iam, ...dynamo }
  }

  /** The week's uses of `day`, landed in the organization. */
  async day(day: number): Promise<void> {
    await ask(this.iam, { cmd: 'day', day })
  }

  stop(): void {
    for (const proc of [this.iam, this.dynamo]) proc.send({ cmd: 'stop' })
  }
}

async function withServer<T>(
  accounts: number,
  scaled: Scaled,
  run: (servers: Servers, env: Record<string, string>) => Promise<T>,
  org: ServerSettings['org'] = 'bench',
): Promise<T> {
  const settings: ServerSettings = {
    org,
    t0: T0,
    accounts,
    usersPerAccount,
    ...scaled,
    ...(org === 'week' ? { dormantShare: weekDormantShare } : {}),
  }
  const iam = child('server-process.ts', { BENCH_SERVER: JSON.stringify(settings) })
  const dynamo = child('dynamo-process.ts', { BENCH_TABLE: TABLE })
  const servers = new Servers(iam, dynamo)
  const [emulator, dynalite] = await Promise.all([ask<{ url: string }>(iam), ask<{ url: string }>(dynamo)])
  const hub = credentialsFor(BENCH_MANAGEMENT)
  const env = {
    AWS_ENDPOINT_URL: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: hub.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hub.secretAccessKey,
    TABLE_NAME: TABLE,
    EXTERNAL_ID: EMULATOR_EXTERNAL_ID,
    ACCESS_ADVISOR_INITIAL_DELAY_MS: String(Math.round(scaled.pollInitialMs)),
    ACCESS_ADVISOR_MAX_DELAY_MS: String(Math.round(scaled.pollMaxMs)),
    IAM_REQUESTS_PER_SECOND: String(Math.round(scaled.pacePerSecond)),
    // Denies land the day they are due: the writes are measured, and the week's days 2 to 8 are steady
    // days. With a notice, the first sweep's reads and writes move to the onboarding's day instead
    // (`--week-notice-days 7` shows it).
    NOTICE_DAYS: String(org === 'week' ? weekNoticeDays : 0),
    LOG_LEVEL: 'silent',
  }
  try {
    return await run(servers, env)
  } finally {
    servers.stop()
  }
}

async function sweep(servers: Servers, env: Record<string, string>, commands: SweepCommand[]) {
  const sweeper = child('sweep-process.ts', env)
  await ask(sweeper)
  const results: { measurement: SweepMeasurement; counts: Counts }[] = []
  for (const command of commands) {
    await servers.reset()
    const measurement = await ask<SweepMeasurement>(sweeper, command)
    results.push({ measurement, counts: await servers.counts() })
  }
  sweeper.send({ cmd: 'stop' })
  return results
}

const iamCalls = (c: Counts) => Object.entries(c.counts).filter(([k]) => k.startsWith('iam:'))
const totalCalls = (c: Counts) => iamCalls(c).reduce((n, [, v]) => n + v, 0)
const perUser = (c: Counts, users: number) => iamCalls(c).reduce((n, [, v]) => n + v, 0) / users
const breakdown = (c: Counts, users: number) =>
  Object.fromEntries(
    iamCalls(c)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k.slice(4), Number((v / users).toFixed(3))]),
  )

/**
 * The fastest any sweep could go: per account, every user's job must run (in rounds of the user
 * concurrency), and every call must fit the per-account rate; accounts go in rounds of the account
 * concurrency. Each user costs at least two calls (start the job, read it).
 */
function lowerBoundMs(accounts: number, scaled: Scaled): number {
  const jobMs = scaled.jobLatencyMs + scaled.jobJitterMs / 2
  const perUser = scaled.latencyMs + jobMs + scaled.latencyMs
  const jobBound = Math.ceil(usersPerAccount / config.userConcurrency) * perUser
  const callBound = ((2 + 2 * usersPerAccount) / scaled.rateLimitPerSecond) * 1000
  const perAccount = 2 * scaled.latencyMs + Math.max(jobBound, callBound)
  return scaled.latencyMs + Math.ceil(accounts / config.accountConcurrency) * perAccount
}

const main = scaledBy(mainScale)
const rows: Record<string, number | string>[] = []
const detail: Record<string, unknown>[] = []
for (const accounts of sizes) {
  const users = accounts * usersPerAccount
  process.stderr.write(
    `\n${accounts} accounts × ${usersPerAccount} users, time ÷ ${mainScale}: first sweep, then steady state…\n`,
  )
  // The steady sweep reads every report (`--full`): the bound assumes every user's job runs. What
  // incremental reads save is the week's measure, below.
  const [first, steady] = await withServer(accounts, main, (servers, env) =>
    sweep(servers, env, [
      { cmd: 'ours', mode: 'enforce' },
      { cmd: 'ours', mode: 'enforce', full: true },
    ]),
  )
  if (!first || !steady) throw new Error('a sweep did not report')
  const bound = lowerBoundMs(accounts, main)
  const row = {
    accounts,
    users,
    firstS: Number((first.measurement.wallMs / 1000).toFixed(1)),
    steadyS: Number((steady.measurement.wallMs / 1000).toFixed(1)),
    boundS: Number((bound / 1000).toFixed(1)),
    ratioToBound: Number((steady.measurement.wallMs / bound).toFixed(2)),
    firstCallsPerUser: Number(perUser(first.counts, users).toFixed(2)),
    steadyCallsPerUser: Number(perUser(steady.counts, users).toFixed(2)),
    steadyDynamoWrites: steady.measurement.dynamoWrites,
    firstThrottled: first.counts.throttled,
    firstThrottledShare: Number((first.counts.throttled / totalCalls(first.counts)).toFixed(4)),
    steadyThrottled: steady.counts.throttled,
    peakRssMb: Math.round(Math.max(first.measurement.maxRssMb, steady.measurement.maxRssMb)),
    largestDenyPolicies: steady.counts.largestDenySet.policies,
    largestDenyChars: steady.counts.largestDenySet.characters,
    msPerAccount: Math.round(steady.measurement.wallMs / accounts),
  }
  rows.push(row)
  detail.push({
    ...row,
    firstBreakdown: breakdown(first.counts, users),
    steadyBreakdown: breakdown(steady.counts, users),
  })
  console.table([row])
}

const fast = scaledBy(naiveScale)
const naiveUsers = naiveAccounts * usersPerAccount
process.stderr.write(
  `\n${naiveAccounts} accounts, time ÷ ${naiveScale}: our first sweep, then the naive sweep on a fresh copy…\n`,
)
const [oursFast] = await withServer(naiveAccounts, fast, (servers, env) =>
  sweep(servers, env, [{ cmd: 'ours', mode: 'enforce' }]),
)
const [naive] = await withServer(naiveAccounts, fast, (servers, env) =>
  sweep(servers, env, [{ cmd: 'naive', pollMs: fast.naivePollMs }]),
)
if (!oursFast || !naive) throw new Error('a sweep did not report')
const comparison = {
  accounts: naiveAccounts,
  timeDividedBy: naiveScale,
  oursS: Number((oursFast.measurement.wallMs / 1000).toFixed(1)),
  naiveS: Number((naive.measurement.wallMs / 1000).toFixed(1)),
  speedup: Number((naive.measurement.wallMs / oursFast.measurement.wallMs).toFixed(1)),
  oursCallsPerUser: Number(perUser(oursFast.counts, naiveUsers).toFixed(2)),
  naiveCallsPerUser: Number(perUser(naive.counts, naiveUsers).toFixed(2)),
  naiveBreakdown: breakdown(naive.counts, naiveUsers),
}

/**
 * The simulated week: day by day, the same uses land in two copies of the organization; one is swept
 * incrementally, the other with every report read afresh. Their decisions must agree: no grant changes
 * in this organization, so the invariant allows no difference at all.
 */
async function simulatedWeek() {
  const users = weekAccounts * usersPerAccount
  process.stderr.write(
    `\nsimulated week: ${weekAccounts} accounts × ${usersPerAccount} users, ${days} daily sweeps, time ÷ ${mainScale}…\n`,
  )
  return withServer(
    weekAccounts,
    main,
    (serverA, envA) =>
      withServer(
        weekAccounts,
        main,
        async (serverB, envB) => {
          const incremental = child('sweep-process.ts', envA)
          const full = child('sweep-process.ts', envB)
          await Promise.all([ask(incremental), ask(full)])
          const perDay: Record<string, number | string>[] = []
          let mismatches = 0
          const callsByOperation: Record<string, number> = {}
          for (let day = 1; day <= days; day++) {
            await Promise.all([serverA.day(day), serverB.day(day)])
            const now = T0 + day * DAY_MS
            await serverA.reset()
            const a = await ask<SweepMeasurement>(incremental, {
              cmd: 'ours',
              mode: 'enforce',
              now,
              snapshot: true,
            })
            const countsA = await serverA.counts()
            // Day 1 is the first sweep; the breakdown is of the days after it, as the mean is.
            if (day > 1)
              for (const [operation, share] of Object.entries(breakdown(countsA, users)))
                callsByOperation[operation] = (callsByOperation[operation] ?? 0) + share / (days - 1)
            const b = await ask<SweepMeasurement>(full, {
              cmd: 'ours',
              mode: 'enforce',
              now,
              full: true,
              snapshot: true,
            })
            const differ = Object.keys({ ...a.denied, ...b.denied }).filter(
              (k) => a.denied?.[k] !== b.denied?.[k],
            )
            mismatches += differ.length
            if (differ.length > 0)
              process.stderr.write(`day ${day}: decisions differ for ${differ.slice(0, 5).join(', ')}\n`)
            perDay.push({
              day,
              iamCallsPerUser: Number((totalCalls(countsA) / users).toFixed(3)),
              readsSkippedShare: Number(((a.readsSkipped ?? 0) / users).toFixed(3)),
              throttled: countsA.throttled,
              wallS: Number((a.wallMs / 1000).toFixed(1)),
              fullSweepBoundS: Number((lowerBoundMs(weekAccounts, main) / 1000).toFixed(1)),
              newlyEnforced: a.counts?.enforced ?? 0,
              decisionMismatches: differ.length,
            })
            console.table([perDay.at(-1)])
          }
          incremental.send({ cmd: 'stop' })
          full.send({ cmd: 'stop' })
          const steadyDays = perDay.slice(1)
          const mean = (key: string) =>
            Number((steadyDays.reduce((n, d) => n + Number(d[key]), 0) / steadyDays.length).toFixed(3))
          return {
            weekIamCallsPerUserPerDay: mean('iamCallsPerUser'),
            weekReadsSkippedShare: mean('readsSkippedShare'),
            weekCallsPerUserPerDayByOperation: Object.fromEntries(
              Object.entries(callsByOperation).map(([k, v]) => [k, Number(v.toFixed(3))]),
            ),
            weekThrottled: steadyDays.reduce((n, d) => n + Number(d.throttled), 0),
            decisionMismatches: mismatches,
            perDay,
          }
        },
        'week',
      ),
    'week',
  )
}
const week = await simulatedWeek()

const largest = rows.at(-1) ?? {}
// At real latencies the sweep keeps the ratio to the lower bound measured on the largest org (its CPU
// share only shrinks), so the projection is that ratio times the bound for 1,000 accounts, unscaled.
const projectedS = (Number(largest.ratioToBound) * lowerBoundMs(1000, scaledBy(1))) / 1000
const budgetS = 900 - config.continuationThresholdMs / 1000
const results = {
  steadyIamCallsPerUser: largest.steadyCallsPerUser,
  firstIamCallsPerUser: largest.firstCallsPerUser,
  steadyDynamoWrites: largest.steadyDynamoWrites,
  ratioToBound: largest.ratioToBound,
  firstThrottledShare: largest.firstThrottledShare,
  steadyThrottled: largest.steadyThrottled,
  weekIamCallsPerUserPerDay: week.weekIamCallsPerUserPerDay,
  weekReadsSkippedShare: week.weekReadsSkippedShare,
  weekCallsPerUserPerDayByOperation: week.weekCallsPerUserPerDayByOperation,
  decisionMismatches: week.decisionMismatches,
  speedupVsNaive: comparison.speedup,
  peakRssMb: Math.max(...rows.map((r) => Number(r.peakRssMb))),
  projected1000AccountsRealSeconds: Math.round(projectedS),
  fitsOneInvocation: projectedS <= budgetS,
  continuationsNeeded: projectedS <= budgetS ? 0 : Math.ceil(projectedS / budgetS) - 1,
  naiveComparison: comparison,
  week,
  model: {
    real: REAL,
    mainScale,
    usersPerAccount,
    userConcurrency: config.userConcurrency,
    accountConcurrency: config.accountConcurrency,
  },
  sizes: detail,
}
console.log('\nSummary')
console.table(rows)
const { naiveBreakdown: _b, ...comparisonRow } = comparison
console.table([comparisonRow])
console.log(
  JSON.stringify(
    { ...results, sizes: undefined, model: undefined, naiveComparison: undefined, week: undefined },
    null,
    2,
  ),
)
for (const d of detail)
  console.log(
    `${d.accounts} accounts, IAM calls per user — first:`,
    d.firstBreakdown,
    'steady:',
    d.steadyBreakdown,
  )
console.log('naive, IAM calls per user:', comparison.naiveBreakdown)
await writeFile(resolve(root, values.out), `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwritten to ${values.out}`)
