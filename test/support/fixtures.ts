/** Seeded accounts shared by the engine tests and the demo: one user for every decision status. */
import { type EngineConfig, parseEngineConfig } from '../../shared/config.js'
import { type AccountSeed, type OrgSeed, seededUserId } from '../emulator/seed.js'

export const PREFIX = 'LeastPrivilegeDeny'
export const PATH = '/least-privilege/'

const tenPolicies = Array.from({ length: 10 }, (_, i) => ({
  name: `team-policy-${i + 1}`,
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `sqs:Get*`, Resource: '*' }] },
}))

/** A member account: users covering enforced, unchanged, exempt, too-young, quota, a taken name and error. */
export function statusAccount(id: string): AccountSeed {
  return {
    id,
    policies: [
      ...tenPolicies,
      {
        // Named like gina's deny policy but outside the project's path: not ours, never touched.
        name: `${PREFIX}.1.${seededUserId(id, 'gina')}`,
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] },
      },
    ],
    users: [
      // Uses S3 every day, has not touched EC2 and friends for months.
      {
        name: 'bob',
        policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
        lastUsedDaysAgo: { s3: 1, ec2: 200, cloudwatch: 30 },
      },
      // An administrator who only uses a handful of services: 450+ to deny, several documents.
      {
        name: 'alice',
        path: '/admins/',
        policies: ['aws:AdministratorAccess'],
        lastUsedDaysAgo: { s3: 2, ec2: 5, iam: 400, sts: 1 },
      },
      // Uses everything they hold.
      {
        name: 'carl',
        policies: ['aws:AmazonS3FullAccess'],
        lastUsedDaysAgo: { s3: 3, 's3-object-lambda': 40 },
      },
      {
        name: 'erin',
        policies: ['aws:AmazonDynamoDBFullAccess'],
        tags: { 'least-privilege-exempt': 'True' },
      },
      { name: 'dave', createdDaysAgo: 10, policies: ['aws:AmazonS3FullAccess'] },
      { name: 'quinn', policies: tenPolicies.map((p) => p.name) },
      { name: 'frank', policies: ['aws:AmazonEC2FullAccess'], accessAdvisorFails: true },
      { name: 'gina', policies: ['aws:AmazonEC2FullAccess'] },
    ],
  }
}

export function testConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return parseEngineConfig({
    policyNamePrefix: PREFIX,
    policyPath: PATH,
    accessAdvisor: { initialDelayMs: 5, maxDelayMs: 50, timeoutMs: 5_000 },
    // Denies land the day they are due unless a test is about the notice before them.
    noticeDays: 0,
    ...overrides,
  })
}

export const DEMO_ACCOUNTS = {
  management: '111111111111',
  production: '222222222222',
  development: '333333333333',
  sandbox: '444444444444',
  suspended: '555555555555',
}

const DEV_SERVICES = ['s3', 'ec2', 'lambda', 'dynamodb', 'logs', 'cloudwatch', 'sqs', 'sns', 'ecr', 'ecs']

/**
 * The demo organization: a management account, a production account with one user per decision
 * status, a development account of power users, a sandbox without the spoke role (unreachable) and a
 * suspended account (not swept). 30 users in all.
 */
export function demoOrg(): OrgSeed {
  const { management, production, development, sandbox, suspended } = DEMO_ACCOUNTS
  return {
    managementAccountId: management,
    accounts: [
      {
        id: management,
        name: 'management',
        policies: [
          {
            name: 'ci-deploy',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['cloudformation:*', 's3:*', 'lambda:*', 'iam:PassRole'],
                  Resource: '*',
                },
              ],
            },
          },
        ],
        users: [
          {
            name: 'breakglass',
            policies: ['aws:AdministratorAccess'],
            tags: { 'least-privilege-exempt': 'true' },
          },
          {
            name: 'ci-deploy',
            policies: ['ci-deploy'],
            lastUsedDaysAgo: { cloudformation: 1, s3: 1, lambda: 1, iam: 2 },
            // The pipeline's key, in daily use, and the one it replaced, left active and unused since.
            accessKeys: [{ createdDaysAgo: 30 }, { createdDaysAgo: 400, lastUsedDaysAgo: 200 }],
          },
          {
            name: 'auditor',
            policies: ['aws:ReadOnlyAccess'],
            lastUsedDaysAgo: { cloudtrail: 3, iam: 3, s3: 20 },
            password: { createdDaysAgo: 300, lastUsedDaysAgo: 3 },
          },
          {
            // An administrator who only looks after their own credentials and reads S3 objects.
            name: 'ops-admin',
            policies: ['aws:AdministratorAccess'],
            lastUsedDaysAgo: {
              'iam:GetUser': 1,
              'iam:ChangePassword': 5,
              'iam:CreateAccessKey': 10,
              's3:GetObject': 2,
            },
          },
        ],
      },
      { ...statusAccount(production), name: 'production' },
      {
        id: development,
        name: 'development',
        users: Array.from({ length: 16 }, (_, i) => ({
          name: `dev${String(i + 1).padStart(2, '0')}`,
          policies: ['aws:PowerUserAccess'],
          createdDaysAgo: i === 15 ? 30 : 300,
          lastUsedDaysAgo: Object.fromEntries(
            DEV_SERVICES.filter((_s, j) => (i + j) % 3 !== 0).map((s, j) => [s, (i * 7 + j * 11) % 150]),
          ),
        })),
      },
      {
        id: sandbox,
        name: 'sandbox',
        spokeRole: false,
        users: [
          { name: 'experimenter', policies: ['aws:AdministratorAccess'] },
          { name: 'intern', policies: ['aws:AmazonS3FullAccess'] },
        ],
      },
      {
        id: suspended,
        name: 'closed-project',
        state: 'SUSPENDED',
        users: [{ name: 'old', policies: ['aws:AdministratorAccess'] }],
      },
    ],
  }
}

/** The ARN of a seeded user's deny policy: named after the user's UserId, under the project's path. */
export function ourPolicyArn(accountId: string, userName: string, part = 1): string {
  return `arn:aws:iam::${accountId}:policy${PATH}${PREFIX}.${part}.${seededUserId(accountId, userName)}`
}

let accountCounter = 0
/** A fresh account id per call, so that each test can add an account of its own to a shared emulator. */
export function freshAccountId(): string {
  accountCounter++
  return `7${String(process.pid % 100_000).padStart(5, '0')}${String(accountCounter).padStart(6, '0')}`
}

/** Fails with a message naming what is missing, instead of a cast. */
export function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing fixture: ${what}`)
  return value
}

/** The flags that make a changing command act, as an operator gives them: with why, and --enforce. */
export const ENFORCE = ['--reason', 'ticket 1', '--enforce'] as const
