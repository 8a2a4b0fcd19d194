import { z } from 'zod'
import { engineConfigSchema, parseWith } from '../shared/config.js'
import { ConfigError } from '../shared/errors.js'

const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id')

/** Settings of the org-wide sweep: the engine's, plus how to reach and record every account. */
export const hubConfigSchema = engineConfigSchema
  .extend({
    /** Name of the role the StackSet deploys into every account. */
    spokeRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/)
      .default('LeastPrivilegeSpoke'),
    /** Required by the spoke role's trust policy; guards against the confused deputy. */
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2 to 1224 characters of [\\w+=,.@:/-]'),
    /** Accounts never swept. */
    excludedAccounts: z.array(accountId).default([]),
    /** Accounts swept at once. */
    accountConcurrency: z.number().int().min(1).max(64).default(32),
    /** The state table. */
    tableName: z.string().regex(/^[\w.-]{3,255}$/),
    /** SDK attempts per call (adaptive retries for throttling). */
    maxAttempts: z.number().int().min(1).max(20).default(8),
    /** In a Lambda, stop starting accounts when less than this much time is left, and continue in a new invocation. */
    continuationThresholdMs: z.number().int().min(10_000).max(900_000).default(180_000),
    /** How long an account claim holds before another invocation may take the account over. */
    accountLeaseMs: z.number().int().min(60_000).max(86_400_000).default(960_000),
    /** Days to keep history rows (DynamoDB TTL); 0 keeps them forever. */
    historyRetentionDays: z.number().int().min(0).max(3650).default(0),
    /** Secrets Manager secret holding the Slack incoming-webhook URL; no digest when absent. */
    slackWebhookSecretArn: z
      .string()
      .regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/, 'a Secrets Manager secret ARN')
      .optional(),
  })
  .strict()

export type HubConfig = z.infer<typeof hubConfigSchema>

/** Environment variable for each setting; the Lambda and the CLI read the same names. */
export const ENV_NAMES: Record<string, string> = {
  SWEEP_MODE: 'mode',
  WINDOW_DAYS: 'windowDays',
  NEVER_DENY: 'neverDeny',
  EXEMPT_TAGS: 'exemptTags',
  POLICY_PATH: 'policyPath',
  POLICY_NAME_PREFIX: 'policyNamePrefix',
  USER_CONCURRENCY: 'userConcurrency',
  SPOKE_ROLE_NAME: 'spokeRoleName',
  EXTERNAL_ID: 'externalId',
  EXCLUDED_ACCOUNTS: 'excludedAccounts',
  ACCOUNT_CONCURRENCY: 'accountConcurrency',
  TABLE_NAME: 'tableName',
  MAX_ATTEMPTS: 'maxAttempts',
  CONTINUATION_THRESHOLD_MS: 'continuationThresholdMs',
  ACCOUNT_LEASE_MS: 'accountLeaseMs',
  HISTORY_RETENTION_DAYS: 'historyRetentionDays',
  BRAKE_MAX_USER_SHARE: 'brake.maxUserShare',
  BRAKE_MAX_SERVICE_SHARE: 'brake.maxServiceShare',
  BRAKE_MAX_LIFT_SHARE: 'brake.maxLiftShare',
  SLACK_WEBHOOK_SECRET_ARN: 'slackWebhookSecretArn',
  ACCESS_ADVISOR_INITIAL_DELAY_MS: 'accessAdvisor.initialDelayMs',
  ACCESS_ADVISOR_MAX_DELAY_MS: 'accessAdvisor.maxDelayMs',
  ACCESS_ADVISOR_TIMEOUT_MS: 'accessAdvisor.timeoutMs',
}

const LISTS = new Set(['neverDeny', 'excludedAccounts'])
const NUMBERS = new Set([
  'accessAdvisor.initialDelayMs',
  'accessAdvisor.maxDelayMs',
  'accessAdvisor.timeoutMs',
  'brake.maxUserShare',
  'brake.maxServiceShare',
  'brake.maxLiftShare',
  'windowDays',
  'userConcurrency',
  'accountConcurrency',
  'maxAttempts',
  'continuationThresholdMs',
  'accountLeaseMs',
  'historyRetentionDays',
])

/** What audit and exemption commands need: the table, not the spoke role. */
export const storeConfigSchema = z.object({
  tableName: z.string().regex(/^[\w.-]{3,255}$/),
  maxAttempts: z.number().int().min(1).max(20).default(8),
  historyRetentionDays: z.number().int().min(0).max(3650).default(0),
})
export type StoreConfig = z.infer<typeof storeConfigSchema>

export function loadStoreConfig(env: NodeJS.ProcessEnv, overrides: Partial<StoreConfig> = {}): StoreConfig {
  return loadWith(storeConfigSchema, env, overrides)
}

/**
 * Reads the configuration from environment variables (lists comma-separated, EXEMPT_TAGS as JSON),
 * overlaid with explicit overrides (CLI flags). Errors name the variable.
 */
export function loadHubConfig(env: NodeJS.ProcessEnv, overrides: Partial<HubConfig> = {}): HubConfig {
  return loadWith(hubConfigSchema, env, overrides)
}

function loadWith<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv, overrides: object): z.infer<T> {
  const wanted = new Set(Object.keys(schema.shape))
  const raw: Record<string, unknown> = {}
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const value = env[name]
    const [head = '', nested] = key.split('.')
    if (value === undefined || value === '' || !wanted.has(head)) continue
    const converted = convert(name, key, value)
    raw[head] = nested ? { ...(raw[head] as object | undefined), [nested]: converted } : converted
  }
  const input = {
    ...raw,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  }
  try {
    return parseWith(schema, input, 'configuration')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const named = Object.entries(ENV_NAMES).reduce(
      (msg, [name, key]) =>
        msg.replace(new RegExp(`(^|; |: )${key.replace('.', '\\.')}(\\.|:)`, 'g'), `$1${key} (${name})$2`),
      error.message,
    )
    throw new ConfigError(named, { cause: error })
  }
}

function convert(name: string, key: string, value: string): unknown {
  if (LISTS.has(key))
    return value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
  if (NUMBERS.has(key)) {
    const n = Number(value)
    if (!Number.isFinite(n))
      throw new ConfigError(`invalid configuration: ${key} (${name}): not a number: ${value}`)
    return n
  }
  if (key === 'exemptTags') {
    try {
      return JSON.parse(value) as unknown
    } catch {
      throw new ConfigError(`invalid configuration: exemptTags (${name}): not JSON, e.g. [{"key":"exempt"}]`)
    }
  }
  return value
}
