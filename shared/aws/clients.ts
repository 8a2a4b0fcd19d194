import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam'

export interface ClientSettings {
  /** Credentials of an assumed role; the SDK's default chain when absent. */
  credentials?: IAMClientConfig['credentials']
  /** Attempts per call, retries included (adaptive mode also rate-limits on the client side). */
  maxAttempts: number
}

/**
 * IAM is global: requests are signed for us-east-1 in the commercial partition unless the environment
 * names a region. Endpoints come only from the SDK's standard settings (AWS_ENDPOINT_URL_IAM, ...).
 */
export function createIamClient(settings: ClientSettings): IAMClient {
  return new IAMClient({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    retryMode: 'adaptive',
    maxAttempts: settings.maxAttempts,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  })
}
