import { Command, CommanderError, Option } from 'commander'
import packageJson from '../package.json' with { type: 'json' }
import { callerArn as callerArnOf, functionNameOf, proveCaller, requestDigest } from '../shared/aws/caller.js'
import { type AwsTarget, createHubClients } from '../shared/aws/clients.js'
import { ConfigError, errorMessage, IncompleteSweepError } from '../shared/errors.js'
import { createLogger } from '../shared/logger.js'
import type { StateStore } from '../shared/ports.js'
import { enforceLine, number } from './commands/args.js'
import { addAuditCommands } from './commands/audit.js'
import type { CliContext, CliIo } from './commands/context.js'
import { addExemptCommand } from './commands/exempt.js'
import { addReleaseCommand } from './commands/release.js'
import { addRestoreCommand } from './commands/restore.js'
import { addRollbackCommand } from './commands/rollback.js'
import { addSweepCommand } from './commands/sweep.js'
import { setTableWidth, textLines } from './commands/table.js'
import { Screen, sentenceDestination } from './commands/terminal.js'
import { type HubConfig, loadHubConfig, loadStoreConfig, type Overrides } from './config.js'
import { signedPart } from './event.js'
import { createRuntime, createStore } from './runtime.js'
import { SETTINGS } from './settings.js'

export type { CliIo } from './commands/context.js'

/** Ports given in place of the ones the settings name: a test's in-memory state store. */
export interface CliWiring {
  store?: StateStore
}

const FLAGGED = SETTINGS.filter((s) => s.key && s.flag)
const camel = (flag: string) => flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())

/**
 * The command-line tool. Every command runs the same code as the Lambda; options fall back to the
 * environment variables the Lambda reads (see `least-privilege --help`).
 */
export function buildProgram(io: CliIo, wiring: CliWiring = {}, argv: readonly string[] = []): Command {
  const program = new Command('least-privilege')
    .description('Keeps every IAM user in an AWS Organization at least privilege.')
    .version(packageJson.version)
  addGlobalOptions(program, io)
  setTableWidth(io.columns)
  const cli = contextOf(program, io, wiring, argv)
  addSweepCommand(program, cli)
  addAuditCommands(program, cli)
  addReleaseCommand(program, cli)
  addRestoreCommand(program, cli)
  addRollbackCommand(program, cli)
  addExemptCommand(program, cli)
  // Two formats asked for is bad input, said before the command reads or changes anything.
  program.hook('preAction', (_program, action) => {
    const { output } = program.opts<{ output: string }>()
    if (
      action.opts<{ json?: boolean }>().json &&
      program.getOptionValueSource('output') === 'cli' &&
      output !== 'json'
    )
      throw new ConfigError(
        `output: --json is --output json; give one or the other, not --output ${output} with it`,
      )
  })
  return program
}

function addGlobalOptions(program: Command, io: CliIo): void {
  // The configuration flags come from the settings table: the same names, help and rules as the Lambda's.
  for (const s of FLAGGED) {
    const option = new Option(`--${s.flag} <${s.kind === 'number' ? 'n' : 'value'}>`, `${s.help} (${s.env})`)
    program.addOption(s.kind === 'number' ? option.argParser(number) : option)
  }
  program
    .addOption(
      new Option(
        '--log-level <level>',
        'pino level of the logs on stderr (else LOG_LEVEL, else warn)',
      ).choices(LOG_LEVELS),
    )
    .addOption(
      new Option('--log-format <format>', 'sentences on a terminal, else JSON lines').choices([
        'text',
        'json',
      ]),
    )
    .addOption(
      new Option(
        '--output <format>',
        'json: the records; table: for people; text: tab-separated, one record a line, nothing cut (--json is json)',
      )
        .choices(['json', 'table', 'text'])
        .default('table'),
    )
    .option('--profile <name>', 'AWS profile (for example one with role_arn: the operator role)')
    .option('--region <region>', "AWS region of the state table (else AWS_REGION, else the profile's)")
    .addHelpText(
      'after',
      `\nEnvironment variables: ${SETTINGS.map((s) => s.env).join(', ')}; AWS settings from the SDK's standard ones.`,
    )
    // The error stays on screen: the usage is one command away, not printed after it.
    .showHelpAfterError('(least-privilege --help, or COMMAND --help, for the usage)')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.stdout(t.trimEnd()), writeErr: (t) => io.stderr.write(t) })
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Logs on stderr at --log-level, else LOG_LEVEL, else warn: sentences on a terminal, else JSON lines. */
function loggerOf(program: Command, io: CliIo, screen: Screen) {
  const { logLevel: flag, logFormat } = program.opts<{ logLevel?: string; logFormat?: string }>()
  const logLevel = flag ?? io.env.LOG_LEVEL ?? 'warn'
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL: ${logLevel} is not one of ${LOG_LEVELS.join(', ')}`)
  const text = logFormat ? logFormat === 'text' : io.stderr.isTTY === true
  return createLogger({ level: logLevel, destination: text ? sentenceDestination(screen) : io.stderr })
}

/** What every command gets: its I/O, the configuration from flags and environment, and the ports. */
function contextOf(program: Command, io: CliIo, wiring: CliWiring, argv: readonly string[]): CliContext {
  const screen = new Screen(io.stderr)
  const log = () => loggerOf(program, io, screen)
  /** The configuration flags given, keyed by setting path. */
  const flags = (): Overrides<HubConfig> => {
    const given = program.opts<Record<string, unknown>>()
    return Object.fromEntries(FLAGGED.map((s) => [s.key, given[camel(s.flag ?? '')]]))
  }
  const hubConfig = () => loadHubConfig(io.env, flags())
  const storeConfig = () => {
    const { tableName, maxAttempts, historyRetentionDays, accountLeaseMs } = flags()
    return loadStoreConfig(io.env, { tableName, maxAttempts, historyRetentionDays, accountLeaseMs })
  }
  const aws = (): AwsTarget => {
    const { profile, region } = program.opts<{ profile?: string; region?: string }>()
    return { profile: profile ?? io.env.AWS_PROFILE, region: region ?? io.env.AWS_REGION }
  }
  const given = wiring.store ? { store: wiring.store } : {}
  const runtime = () => {
    const config = hubConfig()
    return { config, runtime: createRuntime(config, log(), aws()) }
  }
  return {
    io,
    screen,
    log,
    hubConfig,
    storeConfig,
    aws,
    store: () => wiring.store ?? createStore(storeConfig(), log(), aws()),
    lambda: () => createHubClients(1, aws()).lambda,
    callerArn: () => callerArnOf(createHubClients(1, aws()).sts),
    asOperator: async (request, functionName) => {
      const signed = signedPart({
        request,
        issuedAt: new Date().toISOString(),
        hub: functionNameOf(functionName),
      })
      const { arn, proof } = await proveCaller(createHubClients(1, aws()).sts, requestDigest(signed))
      return { actor: arn, event: { operator: { ...signed, proof } } }
    },
    operator: () => {
      const { config, runtime: r } = runtime()
      return { config, deps: r.operatorDeps(given) }
    },
    sweeper: () => {
      const { config, runtime: r } = runtime()
      return { config, runtime: r, deps: (extra) => r.sweepDeps({ ...extra, ...given }) }
    },
    enforceLine: () => enforceLine(argv),
    print: (json, data, text) => {
      const { output } = program.opts<{ output: 'json' | 'table' | 'text' }>()
      if (json || output === 'json') io.stdout(JSON.stringify(data, null, 2))
      else io.stdout(output === 'text' ? textLines(data) : text())
    },
  }
}

/**
 * Runs the CLI; returns the exit code: 0 done, 1 failed, 2 bad usage or input, 3 a sweep that completed
 * with braked, unreachable or failed accounts.
 */
export async function runCli(argv: string[], io: CliIo, wiring: CliWiring = {}): Promise<number> {
  const program = buildProgram(io, wiring, argv)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    // Commander's own errors are bad usage (2); its help and version exits are successes (0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    const setup = awsSetupProblem(error, program.opts<{ profile?: string }>().profile ?? io.env.AWS_PROFILE)
    if (setup) {
      io.stderr.write(`error: ${setup}\n`)
      return 2
    }
    // The project's own errors are said in words; a class name is for a bug's report.
    io.stderr.write(`error: ${errorMessage(error)}\n`)
    if (error instanceof IncompleteSweepError) return 3
    return error instanceof ConfigError ? 2 : 1
  }
}

/**
 * The SDK's words for a machine not set up (no region, no credentials) name neither the profile nor the
 * flag to fix: said here in those terms, as bad input (2).
 */
function awsSetupProblem(error: unknown, profile: string | undefined): string | undefined {
  const { name, message } = error instanceof Error ? error : { name: '', message: String(error) }
  const named = profile ? ` profile ${profile}` : ''
  if (message === 'Region is missing')
    return `region: none set: give --region or AWS_REGION${profile ? `, or a region in${named} in ~/.aws/config (is the profile there?)` : ''}`
  if (name === 'CredentialsProviderError')
    return profile
      ? `profile: no credentials from${named}: is it in ~/.aws/config or ~/.aws/credentials, and its session current (aws sso login)?`
      : 'credentials: none found: give --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID'
  return undefined
}
