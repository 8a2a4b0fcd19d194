import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { OrganizationsClient } from '@aws-sdk/client-organizations'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { STSClient } from '@aws-sdk/client-sts'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

export interface ClientSettings {
  /** Credentials of an assumed role; the SDK's default chain when absent. */
  credentials?: IAMClientConfig['credentials']
  /** Attempts per call, retries included (adaptive mode also rate-limits on the client side). */
  maxAttempts: number
}

/** IAM and Organizations are global; the commercial partition signs them for us-east-1. */
function region(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
}

/**
 * Every SDK client the project makes, in one place. Endpoints come only from the SDK's standard
 * settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, ...), credentials from the default chain or an
 * assumed role.
 */
export function createIamClient(settings: ClientSettings): IAMClient {
  const client = new IAMClient({
    region: region(),
    retryMode: 'adaptive',
    maxAttempts: settings.maxAttempts,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  })
  // The SDK's retry strategy takes LimitExceededException for throttling and retries it with backoff
  // (about 50 s over 8 attempts). IAM's LimitExceeded is a quota, not a rate: it is final at once.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        if (error instanceof Error && error.name === 'LimitExceededException') {
          throw new IamQuotaExceeded(error.message, { cause: error })
        }
        throw error
      }
    },
    { step: 'deserialize', priority: 'high', name: 'iamLimitExceededIsFinal' },
  )
  return client
}

/** IAM's LimitExceeded (a quota reached), under a name the SDK's retry strategy does not retry. */
export class IamQuotaExceeded extends Error {
  override readonly name = 'IamQuotaExceeded'
}

export function createHubClients(maxAttempts: number) {
  const common = { region: region(), retryMode: 'adaptive', maxAttempts }
  return {
    organizations: new OrganizationsClient(common),
    sts: new STSClient(common),
    lambda: new LambdaClient({ region: region(), maxAttempts }),
    secrets: new SecretsManagerClient({ region: region(), maxAttempts }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(common), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  }
}

export type HubClients = ReturnType<typeof createHubClients>
