import { type AwsTarget, createHubClients, createIamClient } from '../shared/aws/clients.js'
import { readSecretString } from '../shared/aws/secrets.js'
import { StateStore } from '../shared/aws/state-store.js'
import type { Logger } from '../shared/logger.js'
import { postToSlack, webhookUrlFromSecret } from '../shared/slack/webhook.js'
import type { HubConfig, StoreConfig } from './config.js'
import type { SweepDeps } from './sweep.js'

export function createStore(config: StoreConfig, aws: AwsTarget = {}): StateStore {
  return new StateStore(
    createHubClients(config.maxAttempts, aws).dynamo,
    config.tableName,
    config.historyRetentionDays,
  )
}

/** Clients and store built once per process (Lambda cold start, CLI run) from validated config. */
export function createRuntime(config: HubConfig, log: Logger, aws: AwsTarget = {}) {
  const clients = createHubClients(config.maxAttempts, aws)
  const store = new StateStore(clients.dynamo, config.tableName, config.historyRetentionDays)
  const sweepDeps = (extra: Pick<SweepDeps, 'remainingMs'> & Partial<SweepDeps>): SweepDeps => ({
    organizations: clients.organizations,
    sts: clients.sts,
    store,
    iamFor: (credentials, meter) =>
      createIamClient({
        credentials,
        maxAttempts: config.maxAttempts,
        requestsPerSecond: config.iamRequestsPerSecond,
        ...(meter ? { meter } : {}),
      }),
    log,
    now: () => new Date(),
    ...extra,
  })
  return { clients, store, sweepDeps }
}

export type Runtime = ReturnType<typeof createRuntime>

/**
 * The digest's destination: a webhook URL given directly (CLI), or read from Secrets Manager once per
 * process (Lambda). Undefined when neither is configured: the sweep then posts nothing.
 */
export function slackNotifier(
  runtime: Runtime,
  source: { webhookUrl?: string | undefined; secretArn?: string | undefined },
): SweepDeps['notify'] {
  const { webhookUrl, secretArn } = source
  if (webhookUrl) return (message) => postToSlack(webhookUrlFromSecret(webhookUrl), message)
  if (!secretArn) return undefined
  let cached: Promise<string> | undefined
  return async (message) => {
    cached ??= readSecretString(runtime.clients.secrets, secretArn).then(webhookUrlFromSecret)
    try {
      await postToSlack(await cached, message)
    } catch (error) {
      cached = undefined // a rotated or fixed secret is read again next time
      throw error
    }
  }
}
