import { z } from 'zod'
import { accessAdvisorSchema, accountIdSchema, brakeSchema, engineConfigSchema } from '../shared/config.js'
import { loadSettings, type Setting } from './settings.js'

/** Settings of the org-wide sweep: the engine's, plus how to reach and record every account. */
const hubConfigFields = engineConfigSchema
  .extend({
    /** Name of the role the StackSet deploys into every account. */
    spokeRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/)
      .default('LeastPrivilegeSpoke'),
    /** Required by the spoke role's trust policy; guards against the confused deputy. */
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2 to 1224 characters of [\\w+=,.@:/-]'),
    /** Accounts never swept. */
    excludedAccounts: z.array(accountIdSchema).default([]),
    /** Accounts swept at once. */
    accountConcurrency: z.number().int().min(1).max(64).default(32),
    /** The state table. */
    tableName: z.string().regex(/^[\w.-]{3,255}$/),
    /** IAM requests a second the sweep sends to one account at most (retries included). */
    iamRequestsPerSecond: z.number().int().min(1).max(10_000).default(10),
    /** SDK attempts per call (adaptive retries for throttling). */
    maxAttempts: z.number().int().min(1).max(20).default(8),
    /** In a Lambda, stop starting accounts when less than this much time is left, and continue in a new invocation. */
    continuationThresholdMs: z.number().int().min(10_000).max(900_000).default(180_000),
    /** Lease of an account's lock, renewed while the work goes on; a dead holder's lapses this soon. */
    accountLeaseMs: z.number().int().min(30_000).max(3_600_000).default(120_000),
    /** Invocations one sweep may chain before it is marked stalled. */
    maxInvocations: z.number().int().min(1).max(1_000).default(50),
    /** Days to keep history rows (DynamoDB TTL); 0 keeps them forever. */
    historyRetentionDays: z.number().int().min(0).max(3650).default(0),
    /**
     * The deployed hub function (name or ARN). The CLI then asks it to carry out what writes denies
     * (enforce sweeps, releases): an operator's own role may only read and remove.
     */
    hubFunctionName: z
      .string()
      .regex(/^[\w:.-]{1,170}$/, 'a Lambda function name or ARN')
      .optional(),
    /** Secrets Manager secret holding the Slack incoming-webhook URL; no digest when absent. */
    slackWebhookSecretArn: z
      .string()
      .regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/, 'a Secrets Manager secret ARN')
      .optional(),
  })
  .strict()

export const hubConfigSchema = hubConfigFields.superRefine((c, ctx) => {
  // Wrapping up must leave time for the Access Advisor jobs in flight, then the writes and records.
  if (c.continuationThresholdMs < c.accessAdvisor.timeoutMs + 30_000) {
    ctx.addIssue({
      code: 'custom',
      path: ['continuationThresholdMs'],
      message: `must be at least ACCESS_ADVISOR_TIMEOUT_MS (${c.accessAdvisor.timeoutMs}) + 30000, for the jobs in flight to finish`,
    })
  }
})

export type HubConfig = z.infer<typeof hubConfigSchema>

/** Explicit values over the environment; an undefined one leaves the environment's. */
export type Overrides<T> = { [K in keyof T]?: T[K] | undefined }

/** What audit and exemption commands need: the table, not the spoke role. */
export const storeConfigSchema = hubConfigFields.pick({
  tableName: true,
  accountLeaseMs: true,
  maxAttempts: true,
  historyRetentionDays: true,
})
export type StoreConfig = z.infer<typeof storeConfigSchema>

export function loadStoreConfig(env: NodeJS.ProcessEnv, overrides: Overrides<StoreConfig> = {}): StoreConfig {
  return loadSettings(storeConfigSchema, env, overrides)
}

/**
 * Reads the configuration from environment variables (see SETTINGS), overlaid with explicit values
 * (CLI flags). Errors name the setting and its variable or flag.
 */
export function loadHubConfig(env: NodeJS.ProcessEnv, overrides: Overrides<HubConfig> = {}): HubConfig {
  return loadSettings(hubConfigSchema, env, overrides)
}

const GROUPS: Record<string, z.ZodObject> = { brake: brakeSchema, accessAdvisor: accessAdvisorSchema }

/** The default a setting takes when unset, as the README shows it. */
export function shownDefault(setting: Setting): string {
  if (!setting.key) return setting.shownDefault ?? '(none)'
  const [first = '', nested] = setting.key.split('.')
  const schema = nested ? GROUPS[first]?.shape[nested] : hubConfigFields.shape[first as keyof HubConfig]
  if (!schema) throw new Error(`setting ${setting.key} is not in the configuration schema`)
  const parsed = (schema as z.ZodType).safeParse(undefined)
  if (!parsed.success) return '(required)'
  const value = parsed.data
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '(none)'
  return `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\``
}
