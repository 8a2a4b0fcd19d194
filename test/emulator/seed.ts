/** Builds emulator state from a declarative description of an organization. */
import { createHash, randomBytes } from 'node:crypto'
import type { EmAccount, EmPolicy, EmState, EmUser } from './model.js'

const DAY_MS = 86_400_000

export interface PolicySeed {
  name: string
  path?: string
  document: object
}

export interface UserSeed {
  name: string
  /** The UserId; derived from account and name when absent (see seededUserId). */
  id?: string
  path?: string
  createdDaysAgo?: number
  tags?: Record<string, string>
  /** Managed policies to attach: names of this account's policies, or `aws:<Name>` for AWS managed ones. */
  policies?: string[]
  groups?: string[]
  inline?: object[]
  /** Days since each service was last used; services not listed were never used. */
  lastUsedDaysAgo?: Record<string, number>
  /**
   * Access keys: last used `lastUsedDaysAgo` (never when absent). A user's first key without one of its
   * own is last used when the user last used any service, so keys and Access Advisor agree.
   */
  accessKeys?: {
    id?: string
    createdDaysAgo?: number
    lastUsedDaysAgo?: number
    status?: 'Active' | 'Inactive'
  }[]
  /** SSH public keys, uploaded so many days ago. */
  sshKeys?: { createdDaysAgo?: number; status?: 'Active' | 'Inactive' }[]
  /** Service-specific credentials (`codecommit.amazonaws.com`, ...), made so many days ago. */
  serviceCredentials?: { serviceName: string; createdDaysAgo?: number }[]
  /** A console password, created and last used so many days ago (never used when absent). */
  password?: { createdDaysAgo?: number; lastUsedDaysAgo?: number; resetRequired?: boolean }
  accessAdvisorFails?: boolean
  /** Rows the user's Access Advisor report carries verbatim, such as a namespace `Foo`. */
  accessAdvisorOddRows?: string[]
}

export interface AccountSeed {
  id: string
  name?: string
  state?: string
  attachedPoliciesPerUserQuota?: number
  policiesQuota?: number
  policies?: PolicySeed[]
  groups?: { name: string; policies?: string[] }[]
  users?: UserSeed[]
  /** Whether the spoke role is deployed (default true). */
  spokeRole?: boolean
  /** Organizations reports only the legacy `Status` field for this account. */
  legacyStatusOnly?: boolean
}

export interface OrgSeed {
  /** Defaults to the first account. */
  managementAccountId?: string
  accounts: AccountSeed[]
  /** Secrets Manager secrets (ARN to string value), readable from their own account. */
  secrets?: Record<string, string>
}

/** AWS managed policies every emulated account can attach. */
const AWS_MANAGED: Record<string, object> = {
  AdministratorAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  PowerUserAccess: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization'],
        Resource: '*',
      },
    ],
  },
  AmazonS3FullAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }],
  },
  AmazonEC2FullAccess: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['ec2:*', 'elasticloadbalancing:*', 'cloudwatch:*', 'autoscaling:*'],
        Resource: '*',
      },
    ],
  },
  AmazonDynamoDBFullAccess: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:*',
          'dax:*',
          'application-autoscaling:*',
          'cloudwatch:*',
          'kms:DescribeKey',
          'lambda:*',
          'sns:*',
        ],
        Resource: '*',
      },
    ],
  },
  ReadOnlyAccess: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'ec2:Describe*',
          's3:Get*',
          's3:List*',
          'iam:Get*',
          'iam:List*',
          'cloudtrail:LookupEvents',
          'logs:Get*',
          'rds:Describe*',
        ],
        Resource: '*',
      },
    ],
  },
}

export function awsPolicyArn(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`
}

function newPolicy(arn: string, name: string, path: string, document: object, created: Date): EmPolicy {
  return {
    arn,
    name,
    id: `ANPA${randomBytes(8).toString('hex').toUpperCase()}`,
    path,
    tags: [],
    versions: [
      { VersionId: 'v1', Document: JSON.stringify(document), IsDefaultVersion: true, CreateDate: created },
    ],
    nextVersion: 2,
    createDate: created,
    updateDate: created,
  }
}

/** Seeded users get a UserId derived from account and name, so that fixtures can name their policies. */
export function seededUserId(accountId: string, userName: string): string {
  const hash = createHash('sha256').update(`${accountId}/${userName}`).digest('hex')
  return `AIDA${hash.slice(0, 17).toUpperCase()}`
}

export function buildState(seed: OrgSeed, now: Date): EmState {
  const awsPolicies = new Map(
    Object.entries(AWS_MANAGED).map(([name, doc]) => [
      awsPolicyArn(name),
      newPolicy(awsPolicyArn(name), name, '/', doc, new Date(0)),
    ]),
  )
  const accounts = new Map<string, EmAccount>()
  for (const a of seed.accounts) accounts.set(a.id, buildAccount(a, now))
  const managementAccountId = seed.managementAccountId ?? seed.accounts[0]?.id
  if (!managementAccountId) throw new Error('an organization needs at least one account')
  return { managementAccountId, accounts, awsPolicies, secrets: new Map(Object.entries(seed.secrets ?? {})) }
}

function buildAccount(seed: AccountSeed, now: Date): EmAccount {
  if (!/^\d{12}$/.test(seed.id)) throw new Error(`account id ${seed.id} is not 12 digits`)
  const account: EmAccount = {
    id: seed.id,
    name: seed.name ?? `account-${seed.id}`,
    email: `aws+${seed.id}@example.com`,
    state: seed.state ?? 'ACTIVE',
    users: new Map(),
    groups: new Map(),
    policies: new Map(),
    jobs: new Map(),
    attachedPoliciesPerUserQuota: seed.attachedPoliciesPerUserQuota ?? 10,
    policiesQuota: seed.policiesQuota ?? 1500,
    omitPolicyNames: false,
    spokeRole: seed.spokeRole ?? true,
    legacyStatusOnly: seed.legacyStatusOnly ?? false,
  }
  const resolve = (name: string) => {
    if (name.startsWith('aws:')) return awsPolicyArn(name.slice(4))
    const policy = [...account.policies.values()].find((p) => p.name === name)
    if (!policy) throw new Error(`seed of ${seed.id} names unknown policy ${name}`)
    return policy.arn
  }
  for (const p of seed.policies ?? []) {
    const path = p.path ?? '/'
    const arn = `arn:aws:iam::${seed.id}:policy${path}${p.name}`
    account.policies.set(
      arn,
      newPolicy(arn, p.name, path, p.document, new Date(now.getTime() - 400 * DAY_MS)),
    )
  }
  for (const g of seed.groups ?? []) {
    account.groups.set(g.name.toLowerCase(), {
      name: g.name,
      attached: (g.policies ?? []).map(resolve),
      inline: [],
    })
  }
  for (const u of seed.users ?? []) {
    const path = u.path ?? '/'
    const user: EmUser = {
      name: u.name,
      id: u.id ?? seededUserId(seed.id, u.name),
      arn: `arn:aws:iam::${seed.id}:user${path}${u.name}`,
      path,
      createDate: new Date(now.getTime() - (u.createdDaysAgo ?? 365) * DAY_MS),
      tags: Object.entries(u.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      attached: (u.policies ?? []).map(resolve),
      inline: (u.inline ?? []).map((doc, i) => ({ name: `inline-${i + 1}`, document: JSON.stringify(doc) })),
      groups: u.groups ?? [],
      lastUsed: Object.fromEntries(
        Object.entries(u.lastUsedDaysAgo ?? {}).map(([ns, days]) => [
          ns,
          new Date(now.getTime() - days * DAY_MS),
        ]),
      ),
      accessAdvisorFails: u.accessAdvisorFails ?? false,
      accessAdvisorOddRows: u.accessAdvisorOddRows ?? [],
      ...seededCredentials(u, seed.id, now),
    }
    account.users.set(u.name.toLowerCase(), user)
  }
  return account
}

/** A user's seeded keys and password, their last use consistent with the seed's service activity. */
function seededCredentials(
  u: UserSeed,
  accountId: string,
  now: Date,
): Pick<EmUser, 'accessKeys' | 'loginProfile' | 'passwordLastUsed' | 'sshKeys' | 'serviceCredentials'> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS)
  const lastActive = Math.min(...Object.values(u.lastUsedDaysAgo ?? {}))
  const accessKeys = (u.accessKeys ?? []).map((k, i) => {
    const days = k.lastUsedDaysAgo ?? (i === 0 && Number.isFinite(lastActive) ? lastActive : undefined)
    const hash = createHash('sha256').update(`${accountId}/${u.name}/key${i}`).digest('hex')
    return {
      id: k.id ?? `AKIA${hash.slice(0, 16).toUpperCase()}`,
      status: k.status ?? ('Active' as const),
      createDate: ago(k.createdDaysAgo ?? u.createdDaysAgo ?? 365),
      lastUsed: days === undefined ? undefined : { at: ago(days), region: 'us-east-1', service: 'iam' },
    }
  })
  const password = u.password
  const id = (prefix: string, i: number) =>
    `${prefix}${createHash('sha256').update(`${accountId}/${u.name}/${prefix}${i}`).digest('hex').slice(0, 16).toUpperCase()}`
  return {
    accessKeys,
    sshKeys: (u.sshKeys ?? []).map((k, i) => ({
      id: id('APKA', i),
      status: k.status ?? ('Active' as const),
      uploadDate: ago(k.createdDaysAgo ?? 365),
    })),
    serviceCredentials: (u.serviceCredentials ?? []).map((c, i) => ({
      id: id('ACCA', i),
      serviceName: c.serviceName,
      status: 'Active' as const,
      createDate: ago(c.createdDaysAgo ?? 365),
    })),
    ...(password
      ? {
          loginProfile: {
            createDate: ago(password.createdDaysAgo ?? u.createdDaysAgo ?? 365),
            passwordResetRequired: password.resetRequired ?? false,
          },
          ...(password.lastUsedDaysAgo !== undefined
            ? { passwordLastUsed: ago(password.lastUsedDaysAgo) }
            : {}),
        }
      : {}),
  }
}
