import type { LambdaClient } from '@aws-sdk/client-lambda'
import type { AwsTarget } from '../../shared/aws/clients.js'
import type { StateStore } from '../../shared/aws/state-store.js'
import type { Logger } from '../../shared/logger.js'
import type { HubConfig, StoreConfig } from '../config.js'
import type { SweepDeps } from '../sweep.js'

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
  /** The configuration and the clients an operator action runs with (no time budget outside Lambda). */
  operator: (extra?: Partial<SweepDeps>) => { config: HubConfig; deps: SweepDeps }
  /** Prints the records as JSON with `--json`, else as text. */
  print: (json: boolean | undefined, data: unknown, text: () => string) => void
}
