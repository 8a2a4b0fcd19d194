import type { LambdaClient } from '@aws-sdk/client-lambda'
import type { OperatorDeps } from '../../shared/app/operator.js'
import type { SweepDeps } from '../../shared/app/org-sweep.js'
import type { AwsTarget } from '../../shared/aws/clients.js'
import type { Logger } from '../../shared/logger.js'
import type { StateStore } from '../../shared/ports.js'
import type { HubConfig, StoreConfig } from '../config.js'
import type { OperatorEvent, OperatorRequest } from '../event.js'
import type { Runtime } from '../runtime.js'
import type { Screen } from './terminal.js'

export interface CliIo {
  stdout: (text: string) => void
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Width of the terminal stdout goes to; tables fit it. Absent off a terminal. */
  columns?: number
  /** Asks a yes/no question on a terminal; absent when stdin is not one. */
  confirm?: (question: string) => Promise<boolean>
}

/** What every command gets from the program: its I/O, and configuration read from flags and environment. */
export interface CliContext {
  io: CliIo
  /** Where lines for a person go: above the progress bar while one is shown. */
  screen: Screen
  log: () => Logger
  hubConfig: () => HubConfig
  store: () => StateStore
  storeConfig: () => StoreConfig
  /** Where the SDK is pointed (--profile, --region). */
  aws: () => AwsTarget
  /** A Lambda client, to ask the deployed hub. */
  lambda: () => LambdaClient
  /** Who runs the command (sts:GetCallerIdentity), for the audit trail. */
  callerArn: () => Promise<string>
  /** The request as the hub `functionName` takes it from an operator: with the proof of who sends it. */
  asOperator: (
    request: OperatorRequest,
    functionName: string,
  ) => Promise<{ actor: string; event: OperatorEvent }>
  /** The configuration and the ports an operator action runs with. */
  operator: () => { config: HubConfig; deps: OperatorDeps }
  /** The configuration, the runtime and the ports a sweep run here runs with. */
  sweeper: () => {
    config: HubConfig
    runtime: Runtime
    deps: (extra: Pick<SweepDeps, 'remainingMs'> & Partial<SweepDeps>) => SweepDeps
  }
  /** The command as it was run, with --reason and --enforce: what carries out what it previewed. */
  enforceLine: () => string
  /** Prints the records as JSON with `--json` (or `--output json`), tab-separated with `--output text`, else as `text`. */
  print: (json: boolean | undefined, data: unknown, text: () => string) => void
}
