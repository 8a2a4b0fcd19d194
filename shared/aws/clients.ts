import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { OrganizationsClient } from '@aws-sdk/client-organizations'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { STSClient } from '@aws-sdk/client-sts'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import pThrottle from 'p-throttle'
import { ConfigError } from '../errors.js'
import { awsErrorKind } from './aws-errors.js'

/** Where the SDK's default chain is pointed: a named profile and a region (CLI flags), else its own. */
export interface AwsTarget {
  profile?: string | undefined
  region?: string | undefined
}

export interface ClientSettings extends AwsTarget {
  /** Credentials of an assumed role; the SDK's default chain when absent. */
  credentials?: IAMClientConfig['credentials']
  /** Attempts per call, retries included (adaptive mode also rate-limits on the client side). */
  maxAttempts: number
  /** Counts the client's requests (every attempt) and the throttled ones. */
  meter?: CallMeter
  /**
   * Requests a second this client sends at most, retries included. The account's IAM rate is shared
   * with the organization's own automation: a sweep paced below it throttles no one, itself included.
   */
  requestsPerSecond?: number
}

/** Requests sent and requests throttled, per account: the sweep's own measure of its IAM traffic. */
export interface CallMeter {
  calls: number
  throttled: number
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException'])

/** An explicit region, else the environment's; undefined lets the SDK read the profile's. */
function regionOf(target: AwsTarget): string | undefined {
  return target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
}

function target(t: AwsTarget): { region?: string; profile?: string } {
  const region = regionOf(t)
  return { ...(region ? { region } : {}), ...(t.profile ? { profile: t.profile } : {}) }
}

/**
 * Every SDK client the project makes, in one place. Endpoints come only from the SDK's standard
 * settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, ...), credentials from the default chain or an
 * assumed role.
 */
export function createIamClient(settings: ClientSettings): IAMClient {
  const client = new IAMClient({
    // IAM is global: without any region the commercial partition's signing region serves.
    region: regionOf(settings) ?? 'us-east-1',
    ...(settings.profile ? { profile: settings.profile } : {}),
    retryMode: 'adaptive',
    maxAttempts: settings.maxAttempts,
    // Our middleware is added below, before the first request: the SDK may resolve each command's stack
    // once per client instead of on every call (a sweep makes a hundred thousand IAM calls).
    cacheMiddleware: true,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  })
  const meter = settings.meter
  const pace = settings.requestsPerSecond ? accountPace(settings.requestsPerSecond) : undefined
  // Below the retry strategy: each attempt passes here once.
  client.middlewareStack.add(
    (next) => async (args) => {
      await pace?.()
      if (meter) meter.calls++
      try {
        return await next(args)
      } catch (error) {
        if (meter && error instanceof Error && THROTTLING.has(error.name)) meter.throttled++
        // The SDK's retry strategy takes LimitExceededException for throttling and retries it with
        // backoff (about 50 s over 8 attempts). IAM's LimitExceeded is a quota, not a rate: final at once.
        if (error instanceof Error && error.name === 'LimitExceededException') {
          throw new IamQuotaExceeded(error.message, { cause: error })
        }
        throw error
      }
    },
    { step: 'deserialize', priority: 'high', name: 'iamMeterAndLimitExceededIsFinal' },
  )
  return client
}

/**
 * Waits until a request may go without more than `perSecond` in any one second: a sliding window, so a
 * burst up to the rate goes at once (a new account's first reads), and the rate holds over every second.
 * p-throttle's strict mode keeps that window exactly when calls carry a weight; without one it also
 * spaces every call 1/rate after the previous, which queues each poll behind its neighbours' at any rate.
 */
export function accountPace(perSecond: number): () => Promise<void> {
  const throttled = pThrottle({ limit: perSecond, interval: 1000, strict: true, weight: () => 1 })(
    () => undefined,
  )
  return async () => {
    await throttled()
  }
}

/** IAM's LimitExceeded (a quota reached), under a name the SDK's retry strategy does not retry. */
export class IamQuotaExceeded extends Error {
  override readonly name = 'IamQuotaExceeded'
}

export function createHubClients(maxAttempts: number, aws: AwsTarget = {}) {
  const common = { ...target(aws), retryMode: 'adaptive', maxAttempts }
  const global = { ...common, region: regionOf(aws) ?? 'us-east-1' }
  const dynamo = new DynamoDBClient(common)
  // A wrong table or region otherwise reads as an unnamed "ResourceNotFoundException".
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        if (awsErrorKind(error) === 'not-found') {
          const table = (args.input as { TableName?: string }).TableName ?? '(none)'
          const region = await dynamo.config.region()
          throw new ConfigError(
            `state table ${table} not found in region ${region} (TABLE_NAME or --table; AWS_REGION, --region or the profile's region)`,
          )
        }
        throw error
      }
    },
    { step: 'initialize', name: 'tableNotFoundNamesTableAndRegion' },
  )
  return {
    organizations: new OrganizationsClient(global),
    sts: new STSClient(common),
    // Checks operators' proofs, which anyone may send: one attempt, and a short wait.
    proofSts: new STSClient({
      ...target(aws),
      maxAttempts: 1,
      requestHandler: { requestTimeout: 5_000, connectionTimeout: 5_000 },
    }),
    lambda: new LambdaClient({ ...target(aws), maxAttempts }),
    secrets: new SecretsManagerClient({ ...target(aws), maxAttempts }),
    dynamo: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
  }
}

export type HubClients = ReturnType<typeof createHubClients>
