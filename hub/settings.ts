import type { z } from 'zod'
import { ConfigError } from '../shared/errors.js'

/** How an environment variable's text becomes a value. */
export type SettingKind = 'string' | 'number' | 'list' | 'json'

/** One setting: where it is read from, how it is written, and what it means. */
export interface Setting {
  /** Path in the configuration (`brake.maxUserShare`); absent for what is read outside it. */
  key?: string
  env: string
  /** The CLI flag that overrides it (without `--`). */
  flag?: string
  kind: SettingKind
  help: string
  /** The default to show when no schema tells it (settings read outside the configuration). */
  shownDefault?: string
}

/**
 * Every setting of the hub, in one place: the Lambda's environment, the CLI's flags and the README's
 * configuration table are all read from here; the schemas in config.ts hold the types and the rules.
 */
export const SETTINGS: readonly Setting[] = [
  { key: 'mode', env: 'SWEEP_MODE', kind: 'string', help: '`plan` reports only; `enforce` writes' },
  {
    key: 'windowDays',
    env: 'WINDOW_DAYS',
    flag: 'window-days',
    kind: 'number',
    help: "a service unused this many days is denied (1 to 400, Access Advisor's tracking period)",
  },
  {
    key: 'refreshDays',
    env: 'REFRESH_DAYS',
    kind: 'number',
    help: "a user's Access Advisor report is read again at least this often; in between, a stored report stands in unless the user's grants changed or it would add a deny",
  },
  {
    key: 'noticeDays',
    env: 'NOTICE_DAYS',
    flag: 'notice-days',
    kind: 'number',
    help: 'a service that becomes deniable is first scheduled this many days ahead, announced in the digest, and denied on that day only if a report read then still shows it unused; 0 denies at once',
  },
  {
    key: 'ownerSlackTag',
    env: 'OWNER_SLACK_TAG',
    kind: 'string',
    help: "the IAM user tag key whose value is the owner's Slack member id (for example `slack-member-id`, value `U0123ABCD`): the digest mentions them beside their user's scheduled denies",
  },
  {
    key: 'neverDeny',
    env: 'NEVER_DENY',
    kind: 'list',
    help: 'comma-separated services or single actions never denied (for example `sts,signin,iam:CreateAccessKey`)',
  },
  {
    key: 'actionLevel',
    env: 'ACTION_LEVEL',
    kind: 'string',
    help: '`on`: the tracked actions of the services a user keeps that are unused for the window are denied one by one, with the same notice; `off`: whole services only',
  },
  {
    key: 'actionLevelServices',
    env: 'ACTION_LEVEL_SERVICES',
    kind: 'list',
    help: 'comma-separated services whose actions are judged one by one (for example `iam,sts,s3`); unset, every service Access Advisor tracks actions of',
  },
  {
    key: 'maxDenyPolicies',
    env: 'MAX_DENY_POLICIES',
    kind: 'number',
    help: "the most policies of the project one user holds (within the user's managed-policy quota): service denies first, then action denies, riskiest first; what does not fit is reported",
  },
  {
    key: 'credentials',
    env: 'CREDENTIALS',
    kind: 'string',
    help: '`on`: access keys and console passwords unused for `CREDENTIAL_WINDOW_DAYS` are announced `NOTICE_DAYS` ahead, then deactivated (a key set Inactive, a password removed); `off`: credentials are left alone',
  },
  {
    key: 'credentialsByService',
    env: 'CREDENTIALS_BY_SERVICE',
    kind: 'string',
    help: '`on`: SSH public keys and service-specific credentials (CodeCommit, Keyspaces, Bedrock) are judged by the user\'s last use of their service in Access Advisor, which AWS does not document for git over SSH, CQL or API keys (see "Unused credentials"); `off`: left alone',
  },
  {
    key: 'credentialWindowDays',
    env: 'CREDENTIAL_WINDOW_DAYS',
    kind: 'number',
    help: 'a credential whose last use, or creation if never used, is older than this many days is deactivated: 90 matches CIS 1.2 (Security Hub IAM.8), 45 matches CIS 1.4 and later (IAM.22)',
  },
  {
    key: 'credentialDeleteAfterDays',
    env: 'CREDENTIAL_DELETE_AFTER_DAYS',
    kind: 'string',
    help: '`off`, or days (30 or more) an access key the project deactivated must stay inactive and unused before it is deleted; a deleted key cannot be restored. Set through the hub stack\'s `CredentialDeleteAfterDays`, which also grants the spoke role `iam:DeleteAccessKey` (see "Deleting keys nobody took back")',
  },
  {
    key: 'neverDeactivateUsers',
    env: 'NEVER_DEACTIVATE_USERS',
    kind: 'list',
    help: 'comma-separated IAM user names whose credentials are never deactivated (break-glass users)',
  },
  {
    key: 'exemptTags',
    env: 'EXEMPT_TAGS',
    kind: 'json',
    help: `JSON list of tag rules that exempt a user: the key matches exactly (IAM tag keys are case-sensitive), the value ignoring case; without \`values\`, any value exempts. Honoured only on users tagged before their account's first enforce sweep (see "Nobody exempts themselves"); later, grant with \`exempt\``,
  },
  {
    key: 'policyPath',
    env: 'POLICY_PATH',
    kind: 'string',
    help: "IAM path of the project's policies; ownership is decided by it",
  },
  {
    key: 'policyNamePrefix',
    env: 'POLICY_NAME_PREFIX',
    kind: 'string',
    help: 'policy name prefix, at most 60 characters',
  },
  {
    key: 'userConcurrency',
    env: 'USER_CONCURRENCY',
    flag: 'user-concurrency',
    kind: 'number',
    help: 'users processed at once within an account',
  },
  {
    key: 'accountConcurrency',
    env: 'ACCOUNT_CONCURRENCY',
    flag: 'account-concurrency',
    kind: 'number',
    help: 'accounts swept at once',
  },
  {
    key: 'spokeRoleName',
    env: 'SPOKE_ROLE_NAME',
    flag: 'role-name',
    kind: 'string',
    help: 'the role the StackSet deploys into every account',
  },
  {
    key: 'externalId',
    env: 'EXTERNAL_ID',
    flag: 'external-id',
    kind: 'string',
    help: "the ExternalId the spoke role's trust policy requires",
  },
  {
    key: 'excludedAccounts',
    env: 'EXCLUDED_ACCOUNTS',
    kind: 'list',
    help: 'comma-separated account ids never swept',
  },
  { key: 'tableName', env: 'TABLE_NAME', flag: 'table', kind: 'string', help: 'the state table' },
  {
    key: 'iamRequestsPerSecond',
    env: 'IAM_REQUESTS_PER_SECOND',
    kind: 'number',
    help: "IAM requests a second sent to one account at most, retries included: the account's rate is shared with its own automation",
  },
  {
    key: 'maxAttempts',
    env: 'MAX_ATTEMPTS',
    kind: 'number',
    help: 'SDK attempts per call (adaptive retry mode)',
  },
  {
    key: 'continuationThresholdMs',
    env: 'CONTINUATION_THRESHOLD_MS',
    kind: 'number',
    help: 'in Lambda, wrap up when less time than this is left (no new account, user or report) and hand the rest on; below the function timeout',
  },
  {
    key: 'accountLeaseMs',
    env: 'ACCOUNT_LEASE_MS',
    kind: 'number',
    help: "lease of an account's lock, renewed every third of it while the work goes on; after a dead invocation, the account is taken over once it lapses",
  },
  {
    key: 'hubFunctionName',
    env: 'HUB_FUNCTION_NAME',
    flag: 'hub-function',
    kind: 'string',
    help: 'CLI: the deployed hub function; sweeps, releases, exemptions and rollbacks are then carried out by it, for the operator STS names',
  },
  {
    key: 'operatorArns',
    env: 'OPERATOR_ARNS',
    kind: 'list',
    help: "hub: comma-separated ARN patterns (`*` for any run) of the operators whose requests it carries out, matched against the caller STS names from the request's signed proof (the stack sets the operator role's sessions); none: no operator requests",
  },
  {
    key: 'maxInvocations',
    env: 'MAX_INVOCATIONS',
    kind: 'number',
    help: 'invocations one sweep may chain (continuations) before it is marked stalled and alerted',
  },
  {
    key: 'historyRetentionDays',
    env: 'HISTORY_RETENTION_DAYS',
    kind: 'number',
    help: 'days to keep history rows (TTL); 0 keeps them forever',
  },
  {
    key: 'brake.maxUserShare',
    env: 'BRAKE_MAX_USER_SHARE',
    kind: 'number',
    help: "largest share of an account's evaluated users one sweep may newly restrict",
  },
  {
    key: 'brake.maxServiceShare',
    env: 'BRAKE_MAX_SERVICE_SHARE',
    kind: 'number',
    help: 'largest share of their granted services one sweep may newly deny',
  },
  {
    key: 'brake.maxLiftShare',
    env: 'BRAKE_MAX_LIFT_SHARE',
    kind: 'number',
    help: "largest share of the account's active denies one sweep may lift (from 3 users up)",
  },
  {
    key: 'brake.maxUserLiftShare',
    env: 'BRAKE_MAX_USER_LIFT_SHARE',
    kind: 'number',
    help: "largest share of one user's denies one sweep may lift (from 5 denies up); a larger lift of that user is held until confirmed",
  },
  {
    key: 'brake.maxActionShare',
    env: 'BRAKE_MAX_ACTION_SHARE',
    kind: 'number',
    help: 'largest share of the judged actions of the users who gain action denies one sweep may newly deny (from 20 actions up): a first action-level wave is held until confirmed',
  },
  {
    key: 'brake.maxCredentialShare',
    env: 'BRAKE_MAX_CREDENTIAL_SHARE',
    kind: 'number',
    help: "largest share of an account's active access keys and passwords one sweep may deactivate (from 5 up); more is held until confirmed",
  },
  {
    key: 'brake.maxMissingShare',
    env: 'BRAKE_MAX_MISSING_SHARE',
    kind: 'number',
    help: 'largest share of the policies recorded last sweep that may be missing in one sweep (from 3 policies up)',
  },
  {
    key: 'slackWebhookSecretArn',
    env: 'SLACK_WEBHOOK_SECRET_ARN',
    kind: 'string',
    help: 'Secrets Manager secret with the incoming-webhook URL (the bare URL, or JSON with `url`); no digest when unset',
  },
  {
    env: 'SLACK_WEBHOOK_URL',
    kind: 'string',
    help: 'CLI only: the webhook URL itself',
    shownDefault: '(none)',
  },
  {
    env: 'LOG_LEVEL',
    kind: 'string',
    help: "pino level (the hub's; the CLI's default is warn)",
    shownDefault: '`info`',
  },
  {
    key: 'accessAdvisor.initialDelayMs',
    env: 'ACCESS_ADVISOR_INITIAL_DELAY_MS',
    kind: 'number',
    help: 'poll step for the first jobs of a sweep, before any job duration is known',
  },
  {
    key: 'accessAdvisor.maxDelayMs',
    env: 'ACCESS_ADVISOR_MAX_DELAY_MS',
    kind: 'number',
    help: 'longest wait between two polls',
  },
  {
    key: 'accessAdvisor.timeoutMs',
    env: 'ACCESS_ADVISOR_TIMEOUT_MS',
    kind: 'number',
    help: 'give up on a job after this long; the user is then left unchanged (`error`)',
  },
]

/**
 * Reads the settings a schema holds from the environment, overlaid with explicit values (CLI flags,
 * keyed by setting path), and validates the whole with the schema. Every problem names the setting and
 * where its value came from: the variable, or the flag.
 */
export function loadSettings<T extends z.ZodObject>(
  schema: T,
  env: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, unknown>>,
): z.infer<T> {
  const wanted = new Set(Object.keys(schema.shape))
  const raw: Record<string, unknown> = {}
  const source = new Map<string, string>()
  for (const s of SETTINGS) {
    const value = env[s.env]
    if (!s.key || !wanted.has(head(s.key)) || value === undefined || value === '') continue
    put(raw, s.key, convert(s.key, s.env, s.kind, value))
    source.set(s.key, s.env)
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    put(raw, key, value)
    const flag = SETTINGS.find((s) => s.key === key)?.flag
    source.set(key, flag ? `--${flag}` : key)
  }
  const result = schema.safeParse(raw)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${describe(issue.path, source)}: ${said(issue, raw)}`)
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
}

/** A setting's problem in an operator's words: what to give, rather than what the schema expected. */
function said(issue: z.core.$ZodIssue, given: Record<string, unknown>): string {
  const value = issue.path.reduce<unknown>(
    (at, key) =>
      at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined,
    given,
  )
  if (issue.code === 'invalid_type' && value === undefined) return 'not set, and required'
  const unit = (origin: string) => (origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '')
  if (issue.code === 'too_small') return `must be ${String(issue.minimum)}${unit(issue.origin)} or more`
  if (issue.code === 'too_big') return `must be ${String(issue.maximum)}${unit(issue.origin)} or less`
  return issue.message
}

/** `windowDays (WINDOW_DAYS)`, `excludedAccounts (EXCLUDED_ACCOUNTS).0`: the setting, then the rest. */
function describe(path: readonly PropertyKey[], source: ReadonlyMap<string, string>): string {
  const dotted = path.map(String)
  for (let n = dotted.length; n > 0; n--) {
    const key = dotted.slice(0, n).join('.')
    const setting = SETTINGS.find((s) => s.key === key)
    if (!setting) continue
    const rest = dotted
      .slice(n)
      .map((p) => `.${p}`)
      .join('')
    return `${key} (${source.get(key) ?? setting.env})${rest}`
  }
  return dotted.join('.') || '(root)'
}

function convert(key: string, env: string, kind: SettingKind, value: string): unknown {
  switch (kind) {
    case 'list':
      return value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    case 'number': {
      const n = Number(value)
      if (!Number.isFinite(n))
        throw new ConfigError(`invalid configuration: ${key} (${env}): not a number: ${value}`)
      return n
    }
    case 'json':
      try {
        return JSON.parse(value) as unknown
      } catch {
        throw new ConfigError(`invalid configuration: ${key} (${env}): not JSON: ${value.slice(0, 80)}`)
      }
    case 'string':
      return value
  }
}

function head(key: string): string {
  return key.split('.')[0] ?? key
}

function put(target: Record<string, unknown>, key: string, value: unknown): void {
  const [first = key, nested] = key.split('.')
  if (!nested) {
    target[first] = value
    return
  }
  const group = target[first]
  target[first] = { ...(typeof group === 'object' && group !== null ? group : {}), [nested]: value }
}
