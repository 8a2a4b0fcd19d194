import type { StateStore } from '../../shared/aws/state-store.js'
import type { Logger } from '../../shared/logger.js'
import type { HubConfig, StoreConfig } from '../config.js'
import type { SweepDeps } from '../sweep.js'

export interface CliIo {
  stdout: (text: string) => void
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

/** What every command gets from the program: its I/O, and configuration read from flags and environment. */
export interface CliContext {
  io: CliIo
  log: () => Logger
  hubConfig: () => HubConfig
  store: () => StateStore
  storeConfig: () => StoreConfig
  /** The configuration and the clients an operator action runs with (no time budget outside Lambda). */
  operator: (extra?: Partial<SweepDeps>) => { config: HubConfig; deps: SweepDeps }
  /** Prints the records as JSON with `--json`, else as text. */
  print: (json: boolean | undefined, data: unknown, text: () => string) => void
}
