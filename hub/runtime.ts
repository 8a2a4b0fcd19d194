/** The wiring: each port's adapter, built once per process (Lambda cold start, CLI run) from validated config. */

import type { OperatorDeps } from '../shared/app/operator.js'
import type { SweepDeps } from '../shared/app/org-sweep.js'
import type { Sleep } from '../shared/aws/access-advisor.js'
import { type IamClientFactory, spokesOver } from '../shared/aws/account-iam.js'
import { callerArn } from '../shared/aws/caller.js'
import { type AwsTarget, createHubClients, type HubClients } from '../shared/aws/clients.js'
import { organizationOver } from '../shared/aws/organizations.js'
import { readSecretString } from '../shared/aws/secrets.js'
import { DynamoStateStore } from '../shared/aws/state/dynamo-store.js'
import type { Logger } from '../shared/logger.js'
import type { Notifier } from '../shared/ports.js'
import { postToSlack, webhookUrlFromSecret } from '../shared/slack/webhook.js'
import type { HubConfig, StoreConfig } from './config.js'

export function createStore(config: StoreConfig, log: Logger, aws: AwsTarget = {}): DynamoStateStore {
  return storeOver(createHubClients(config.maxAttempts, aws).dynamo, config, log)
}

/** The state store, telling each row it cannot read as an alert: left out, never stopping the read. */
function storeOver(db: HubClients['dynamo'], config: StoreConfig, log: Logger): DynamoStateStore {
  return new DynamoStateStore(db, config.tableName, config.historyRetentionDays, (row) =>
    log.error(
      { event: 'alert.row-unreadable', key: row.key, reason: row.reason },
      'a row of the state table cannot be read; it is left out',
    ),
  )
}

/** How a run's spoke sessions may differ: its sleep (tests skip the waits) and its IAM client. */
export interface SessionOptions {
  sleep?: Sleep
  iamClient?: IamClientFactory
}

export function createRuntime(config: HubConfig, log: Logger, aws: AwsTarget = {}) {
  const clients = createHubClients(config.maxAttempts, aws)
  const store = storeOver(clients.dynamo, config, log)
  const organization = organizationOver(clients.organizations)
  const spokes = (options: SessionOptions = {}) => spokesOver(clients.sts, config, options)
  const sweepDeps = (
    extra: Pick<SweepDeps, 'remainingMs'> & Partial<SweepDeps> & SessionOptions,
  ): SweepDeps => {
    const { iamClient, ...rest } = extra
    return {
      organization,
      spokes: spokes({ ...(extra.sleep ? { sleep: extra.sleep } : {}), ...(iamClient ? { iamClient } : {}) }),
      store,
      log,
      now: () => new Date(),
      ...rest,
    }
  }
  const operatorDeps = (extra: Partial<OperatorDeps> & SessionOptions = {}): OperatorDeps => {
    const { iamClient, sleep, ...rest } = extra
    return {
      spokes: spokes({ ...(sleep ? { sleep } : {}), ...(iamClient ? { iamClient } : {}) }),
      store,
      log,
      now: () => new Date(),
      ...rest,
    }
  }
  /** Who runs this process, as STS names them: an operator's actions are recorded under it. */
  const caller = () => callerArn(clients.sts)
  return { clients, store, sweepDeps, operatorDeps, caller }
}

export type Runtime = ReturnType<typeof createRuntime>

/**
 * The digest's destination: a webhook URL given directly (CLI), or read from Secrets Manager once per
 * process (Lambda). Undefined when neither is configured: the sweep then posts nothing.
 */
export function slackNotifier(
  runtime: Runtime,
  source: { webhookUrl?: string | undefined; secretArn?: string | undefined },
): Notifier | undefined {
  const { webhookUrl, secretArn } = source
  if (webhookUrl) return { post: (message) => postToSlack(webhookUrlFromSecret(webhookUrl), message) }
  if (!secretArn) return undefined
  let cached: Promise<string> | undefined
  return {
    async post(message) {
      cached ??= readSecretString(runtime.clients.secrets, secretArn).then(webhookUrlFromSecret)
      try {
        await postToSlack(await cached, message)
      } catch (error) {
        cached = undefined // a rotated or fixed secret is read again next time
        throw error
      }
    },
  }
}
