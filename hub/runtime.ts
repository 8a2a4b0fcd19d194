import { createHubClients, createIamClient } from '../shared/aws/clients.js'
import { StateStore } from '../shared/aws/state-store.js'
import type { Logger } from '../shared/logger.js'
import type { HubConfig, StoreConfig } from './config.js'
import type { SweepDeps } from './sweep.js'

export function createStore(config: StoreConfig): StateStore {
  return new StateStore(
    createHubClients(config.maxAttempts).dynamo,
    config.tableName,
    config.historyRetentionDays,
  )
}

/** Clients and store built once per process (Lambda cold start, CLI run) from validated config. */
export function createRuntime(config: HubConfig, log: Logger) {
  const clients = createHubClients(config.maxAttempts)
  const store = new StateStore(clients.dynamo, config.tableName, config.historyRetentionDays)
  const sweepDeps = (extra: Pick<SweepDeps, 'remainingMs'> & Partial<SweepDeps>): SweepDeps => ({
    organizations: clients.organizations,
    sts: clients.sts,
    store,
    iamFor: (credentials) => createIamClient({ credentials, maxAttempts: config.maxAttempts }),
    log,
    now: () => new Date(),
    ...extra,
  })
  return { clients, store, sweepDeps }
}

export type Runtime = ReturnType<typeof createRuntime>
