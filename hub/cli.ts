import { Bar, Presets } from 'cli-progress'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { ACCOUNT_ID } from '../shared/config.js'
import { DECISION_STATUS_NAMES, type DecisionStatus } from '../shared/domain/decision.js'
import { ConfigError, errorMessage } from '../shared/errors.js'
import { createLogger } from '../shared/logger.js'
import * as out from './cli-output.js'
import { type HubConfig, loadHubConfig, loadStoreConfig, type Overrides } from './config.js'
import { addExemption } from './exemptions.js'
import { releaseDeny } from './release.js'
import { rollback } from './rollback.js'
import { createRuntime, createStore, slackNotifier } from './runtime.js'
import { SETTINGS } from './settings.js'
import { runSweep } from './sweep.js'

const FLAGGED = SETTINGS.filter((s) => s.key && s.flag)
const camel = (flag: string) => flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())

function number(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${value}`)
  return n
}

function int(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`)
    return n
  }
}

function accountId(value: string, previous: string[] = []): string[] {
  if (!ACCOUNT_ID.test(value)) throw new InvalidArgumentError(`${value} is not a 12-digit account id`)
  return [...previous, value]
}

const single = (value: string) => accountId(value)[0] ?? value

function namespace(value: string, previous: string[] = []): string[] {
  if (!/^[a-z0-9-]+$/.test(value))
    throw new InvalidArgumentError(`${value} is not a service namespace such as s3 or ec2`)
  return [...previous, value]
}

function isoDate(value: string): string {
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw new InvalidArgumentError(`${value} is not a date such as 2026-11-01`)
  return new Date(time).toISOString()
}

interface SweepFlags {
  plan?: boolean
  enforce?: boolean
  account?: string[]
  confirmLargeChange?: boolean
  slackWebhookUrl?: string
  json?: boolean
}

export interface CliIo {
  stdout: (text: string) => void
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

/**
 * The command-line tool. Every command runs the same code as the Lambda; options fall back to the
 * environment variables the Lambda reads (see `least-privilege --help`).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('least-privilege').description(
    'Keeps every IAM user in an AWS Organization at least privilege.',
  )
  // The configuration flags come from the settings table: the same names, help and rules as the Lambda's.
  for (const s of FLAGGED) {
    const option = new Option(`--${s.flag} <${s.kind === 'number' ? 'n' : 'value'}>`, `${s.help} (${s.env})`)
    program.addOption(s.kind === 'number' ? option.argParser(number) : option)
  }
  program
    .addOption(
      new Option('--log-level <level>', 'pino level for the JSON logs on stderr')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('warn'),
    )
    .addHelpText(
      'after',
      `\nEnvironment variables: ${SETTINGS.map((s) => s.env).join(', ')}; AWS settings from the SDK's standard ones.`,
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.stdout(t.trimEnd()), writeErr: (t) => io.stderr.write(t) })

  const log = () =>
    createLogger({ level: program.opts<{ logLevel: string }>().logLevel, destination: io.stderr })
  /** The configuration flags given, keyed by setting path. */
  const flags = (): Overrides<HubConfig> => {
    const given = program.opts<Record<string, unknown>>()
    return Object.fromEntries(FLAGGED.map((s) => [s.key, given[camel(s.flag ?? '')]]))
  }
  const hubConfig = () => loadHubConfig(io.env, flags())
  const store = () => {
    const { tableName, maxAttempts, historyRetentionDays } = flags()
    return createStore(loadStoreConfig(io.env, { tableName, maxAttempts, historyRetentionDays }))
  }
  const print = (json: boolean | undefined, data: unknown, text: () => string) =>
    io.stdout(json ? JSON.stringify(data, null, 2) : text())

  program
    .command('sweep')
    .description('sweep the organization (or some accounts) now')
    .addOption(new Option('--plan', 'report only (default)').conflicts('enforce'))
    .addOption(new Option('--enforce', 'apply the deny policies'))
    .option('--account <id>', 'sweep only this account (repeatable)', accountId)
    .option('--confirm-large-change', 'let an intended large change through the blast-radius brake')
    .option(
      '--slack-webhook-url <url>',
      'post the digest here (SLACK_WEBHOOK_URL; else SLACK_WEBHOOK_SECRET_ARN)',
    )
    .option('--json', 'print the sweep report as JSON')
    .action(async (o: SweepFlags) => {
      const config = hubConfig()
      const runtime = createRuntime(config, log())
      const webhookUrl = o.slackWebhookUrl ?? io.env.SLACK_WEBHOOK_URL
      const notify = slackNotifier(runtime, { webhookUrl, secretArn: config.slackWebhookSecretArn })
      const bar =
        io.stderr.isTTY && !o.json
          ? new Bar({ format: 'accounts {bar} {value}/{total}', stream: io.stderr }, Presets.shades_classic)
          : undefined
      let done = 0
      const report = await runSweep(
        runtime.sweepDeps({
          remainingMs: () => Number.POSITIVE_INFINITY,
          ...(notify ? { notify } : {}),
          onAccountDone: (_outcome, total) => {
            if (done++ === 0) bar?.start(total, 0)
            bar?.update(done)
          },
        }),
        config,
        {
          kind: 'new',
          mode: o.enforce ? 'enforce' : 'plan',
          trigger: 'cli',
          ...(o.account ? { accounts: o.account } : {}),
          ...(o.confirmLargeChange ? { confirmLargeChange: true } : {}),
        },
      )
      bar?.stop()
      print(o.json, report, () => out.sweepTable(report))
    })

  const audit = program.command('audit').description('query the recorded state (no AWS call but DynamoDB)')
  audit
    .command('user')
    .description('current state of one user')
    .requiredOption('--account <id>', 'account id', single)
    .requiredOption('--user <name>', 'IAM user name')
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user: string; json?: boolean }) => {
      const user = await store().audit.user(o.account, o.user)
      if (!user) throw new ConfigError(`user: no recorded state for ${o.user} in ${o.account}`)
      print(
        o.json,
        user,
        () => `${out.usersTable([user])}\nfirst seen: ${JSON.stringify(user.firstSeen ?? {})}`,
      )
    })
  audit
    .command('history')
    .description('change history of one user, newest first (it follows renames)')
    .requiredOption('--account <id>', 'account id', single)
    .addOption(new Option('--user <name>', 'IAM user name').conflicts('userId'))
    .option('--user-id <id>', "the user's UserId (for a deleted user)")
    .option('--limit <n>', 'rows', int('limit', 1, 1000), 20)
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user?: string; userId?: string; limit: number; json?: boolean }) => {
      const who = o.userId ? { id: o.userId } : o.user ? { name: o.user } : undefined
      if (!who) throw new ConfigError('user: give --user NAME or --user-id ID')
      const history = await store().audit.history(o.account, who, o.limit)
      print(o.json, history, () => out.historyTable(history))
    })
  audit
    .command('attempts')
    .description('attempts on denied services across the organization, oldest first')
    .option('--account <id>', 'only this account', single)
    .option('--since <date>', 'from this date on (default: 7 days ago)', isoDate)
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; since?: string; json?: boolean }) => {
      const since = o.since ?? new Date(Date.now() - 7 * 86_400_000).toISOString()
      const attempts = await store().audit.attemptsSince(since, o.account)
      print(o.json, attempts, () => out.attemptsTable(attempts))
    })
  audit
    .command('status')
    .description('every user in a status across the organization')
    .addArgument(new Command().createArgument('<status>', 'user status').choices(DECISION_STATUS_NAMES))
    .option('--json', 'JSON output')
    .action(async (status: DecisionStatus, o: { json?: boolean }) => {
      const users = await store().audit.usersByStatus(status)
      print(o.json, users, () => out.usersTable(users))
    })
  audit
    .command('accounts')
    .description('accounts by reachability (default: unreachable)')
    .addOption(
      new Option('--status <status>', 'account status')
        .choices(['unreachable', 'failed', 'reachable'])
        .default('unreachable'),
    )
    .option('--json', 'JSON output')
    .action(async (o: { status: 'unreachable' | 'failed' | 'reachable'; json?: boolean }) => {
      const accounts = await store().audit.accountsByStatus(o.status)
      print(o.json, accounts, () => out.accountsTable(accounts))
    })
  audit
    .command('sweeps')
    .description('the last sweeps with their counts and durations')
    .option('--limit <n>', 'how many', int('limit', 1, 100), 10)
    .option('--json', 'JSON output')
    .action(async (o: { limit: number; json?: boolean }) => {
      const sweeps = await store().sweeps.recent(o.limit)
      print(o.json, sweeps, () => out.sweepsTable(sweeps))
    })

  program
    .command('rollback')
    .description("remove the project's deny policies from a user or a whole account, and record it")
    .requiredOption('--account <id>', 'account id', single)
    .option('--user <name>', 'only this user')
    .option('--dry-run', 'show what would be removed')
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user?: string; dryRun?: boolean; json?: boolean }) => {
      const config = hubConfig()
      const runtime = createRuntime(config, log())
      const results = await rollback(
        runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY }),
        config,
        {
          accountId: o.account,
          ...(o.user ? { userName: o.user } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
        },
      )
      print(
        o.json,
        results,
        () =>
          `${out.rollbackTable(results)}\nEach released service's clock restarts: it is denied again only after a full window without use.`,
      )
    })

  program
    .command('release')
    .description('lift a deny on purpose; the service is denied again only after a full window unused')
    .requiredOption('--account <id>', 'account id', single)
    .requiredOption('--user <name>', 'IAM user name')
    .requiredOption('--service <namespace>', 'the denied service to release (repeatable)', namespace)
    .option('--reason <text>', 'why, for the audit trail', 'not given')
    .option('--enforce', 'apply it (default: show the plan only)')
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user: string
        service: string[]
        reason: string
        enforce?: boolean
        json?: boolean
      }) => {
        const config = hubConfig()
        const runtime = createRuntime(config, log())
        const result = await releaseDeny(
          runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY }),
          config,
          {
            accountId: o.account,
            userName: o.user,
            services: o.service,
            reason: o.reason,
            enforce: o.enforce === true,
          },
        )
        print(o.json, result, () => out.releaseText(result))
      },
    )

  program
    .command('exempt')
    .description('exempt a user (or one service of a user) for some days; expires by itself')
    .requiredOption('--account <id>', 'account id', single)
    .requiredOption('--user <name>', 'IAM user name')
    .option('--service <namespace>', 'only this service (e.g. s3)')
    .requiredOption('--days <n>', 'how long', int('days', 1, 365))
    .option('--reason <text>', 'why, for the audit trail', 'not given')
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user: string
        service?: string
        days: number
        reason: string
        json?: boolean
      }) => {
        const exemption = await addExemption(store(), {
          accountId: o.account,
          userName: o.user,
          ...(o.service ? { service: o.service } : {}),
          days: o.days,
          reason: o.reason,
          now: new Date(),
        })
        print(
          o.json,
          exemption,
          () =>
            `exempted ${o.user}${o.service ? ` from denies of ${o.service}` : ''} in ${o.account} until ${exemption.until}`,
        )
      },
    )
  return program
}

/** Runs the CLI; returns the exit code (2 for bad input, 1 for failures). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    // Commander's own errors are bad usage (2); its help and version exits are successes (0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    io.stderr.write(`error: ${errorMessage(error)}\n`)
    return error instanceof ConfigError ? 2 : 1
  }
}
