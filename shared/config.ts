import { z } from 'zod'
import { MAX_PREFIX_LENGTH } from './domain/policy-naming.js'
import { denyKey, namespace } from './domain/records.js'
import { ConfigError } from './errors.js'

/** The one check of an AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/
export const accountIdSchema = z.string().regex(ACCOUNT_ID, 'a 12-digit AWS account id')

/** The one check of an IAM user name: 1 to 64 of the characters IAM allows. Empty is never "every user". */
export const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/
export const iamUserNameSchema = z.string().regex(IAM_USER_NAME, 'an IAM user name')

export const brakeSchema = z
  .object({
    maxUserShare: z.number().min(0).max(1).default(0.3),
    maxServiceShare: z.number().min(0).max(1).default(0.3),
    minUsers: z.number().int().min(1).default(3),
    minServices: z.number().int().min(1).default(20),
    maxLiftShare: z.number().min(0).max(1).default(0.3),
    maxMissingShare: z.number().min(0).max(1).default(0.3),
    minMissing: z.number().int().min(1).default(3),
    maxUserLiftShare: z.number().min(0).max(1).default(0.5),
    minUserLift: z.number().int().min(1).default(5),
    maxActionShare: z.number().min(0).max(1).default(0.3),
    minActions: z.number().int().min(1).default(20),
    maxCredentialShare: z.number().min(0).max(1).default(0.3),
    minCredentials: z.number().int().min(1).default(5),
  })
  .strict()

export const accessAdvisorSchema = z
  .object({
    initialDelayMs: z.number().int().min(0).max(60_000).default(1_000),
    maxDelayMs: z.number().int().min(1).max(60_000).default(8_000),
    timeoutMs: z.number().int().min(1).max(900_000).default(120_000),
  })
  .strict()

/** Engine settings for one account. Every field has a default; unknown keys are rejected. */
export const engineConfigSchema = z
  .object({
    /** `plan` reports only; `enforce` writes. Plan is the default so that nothing changes by accident. */
    mode: z.enum(['plan', 'enforce']).default('plan'),
    /** A service unused for this many days is denied. Access Advisor tracks 400 days at most. */
    windowDays: z.number().int().min(1).max(400).default(90),
    /** A user's Access Advisor report is read again at least this often, even when nothing calls for it. */
    refreshDays: z.number().int().min(1).max(90).default(7),
    /** Days between announcing a new deny and carrying it out (notice.ts); 0 denies at once. */
    noticeDays: z.number().int().min(0).max(90).default(7),
    /** The tag key whose value names a user's owner in Slack (a member id), mentioned beside their notices. */
    ownerSlackTag: z
      .string()
      .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, 'an IAM tag key')
      .optional(),
    /** Services, or single actions (`iam:CreateUser`), never denied, whatever their use. */
    neverDeny: z.array(denyKey).default([]),
    /** Whether the unused tracked actions of the services a user keeps are denied one by one. */
    actionLevel: z.enum(['on', 'off']).default('on'),
    /** The services whose actions are judged; absent, every service Access Advisor tracks actions of. */
    actionLevelServices: z.array(namespace).min(1).optional(),
    /**
     * The most policies of the project one user holds: service denies take what they need, action
     * denies what is left, riskiest first; what does not fit is reported. The rest of the user's
     * managed-policy quota stays free for its administrators.
     */
    maxDenyPolicies: z.number().int().min(1).max(20).default(4),
    /** Whether unused access keys and console passwords are deactivated (credentials/). */
    credentials: z.enum(['on', 'off']).default('on'),
    /** A credential unused (or never used since its creation) this many days is deactivated: 90 for CIS 1.2, 45 for CIS 1.4+. */
    /**
     * Whether SSH keys and service-specific credentials are judged by their service's last use in Access
     * Advisor. Off by default: AWS does not document that git over SSH, CQL logins or Bedrock API keys
     * show in Access Advisor, so check it in your organization first (README, "Unused credentials").
     */
    credentialsByService: z.enum(['on', 'off']).default('off'),
    // At least 30: a key used monthly (a month-end job) is in use.
    credentialWindowDays: z.number().int().min(30).max(400).default(90),
    /**
     * `off`, or days an access key the project deactivated stays inactive (and unused) before it is
     * deleted. At least 30: whoever needs the key has a month to ask for its restore, which a deletion
     * ends. Needs the spoke role's `iam:DeleteAccessKey`, granted only when the hub stack turns this on.
     */
    credentialDeleteAfterDays: z
      .preprocess(
        // The environment's text, or a number already read.
        (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
        z.union([z.literal('off'), z.number().int().min(30).max(9999)], {
          error: 'off, or a whole number of days from 30 to 9999',
        }),
      )
      .default('off'),
    /** Users whose credentials are never deactivated (break-glass users), matched ignoring case. */
    neverDeactivateUsers: z.array(iamUserNameSchema).default([]),
    /** Users carrying one of these tags are left alone (and any deny of ours is lifted). */
    exemptTags: z
      .array(
        z
          .object({ key: z.string().min(1).max(128), values: z.array(z.string().max(256)).min(1).optional() })
          .strict(),
      )
      .default([{ key: 'least-privilege-exempt', values: ['true'] }]),
    /** IAM path of every policy the project owns; ownership is decided by this path. */
    policyPath: z
      .string()
      .max(512)
      .regex(/^\/([\u0021-\u007E]*\/)?$/, 'starts and ends with /, printable ASCII')
      .refine((p) => p !== '/', 'must not be / : the project needs a path of its own')
      .default('/least-privilege/'),
    /** Policy names are `<prefix>.<part>.<user>`. */
    policyNamePrefix: z
      .string()
      .min(1)
      .max(MAX_PREFIX_LENGTH)
      .regex(/^[A-Za-z0-9+=,.@_-]+$/, 'letters, digits and +=,.@_- only')
      .default('LeastPrivilegeDeny'),
    /** Users processed at once within an account. */
    userConcurrency: z.number().int().min(1).max(64).default(10),
    /** The blast-radius brake (see shared/domain/brake.ts). */
    brake: brakeSchema.prefault({}),
    accessAdvisor: accessAdvisorSchema.prefault({}),
  })
  .strict()

export type EngineConfig = z.infer<typeof engineConfigSchema>

/** Settings of the org-wide sweep: the engine's, plus how to reach and record every account. */
export const hubConfigFields = engineConfigSchema
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
     * and records (sweeps, releases, exemptions, rollbacks): an operator's own role may only read.
     */
    hubFunctionName: z
      .string()
      .regex(/^[\w:.-]{1,170}$/, 'a Lambda function name or ARN')
      .optional(),
    /**
     * Whose requests the hub carries out as an operator's: ARN patterns (`*` for any run) matched against
     * the caller STS names from the request's caller proof. None: the hub takes no operator requests.
     */
    operatorArns: z
      .array(
        z
          .string()
          .regex(
            /^arn:aws[\w-]*:(sts|iam)::\d{12}:[\w+=,.@/*-]+$/,
            'an IAM or STS ARN pattern of one account',
          ),
      )
      .default([]),
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

/** What audit and exemption commands need: the table, not the spoke role. */
export const storeConfigSchema = hubConfigFields.pick({
  tableName: true,
  accountLeaseMs: true,
  maxAttempts: true,
  historyRetentionDays: true,
})
export type StoreConfig = z.infer<typeof storeConfigSchema>

/** Parses with a schema and throws ConfigError naming every bad field. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  throw new ConfigError(`invalid ${what}: ${problems.join('; ')}`)
}

export function parseEngineConfig(input: unknown): EngineConfig {
  return parseWith(engineConfigSchema, input, 'engine configuration')
}
