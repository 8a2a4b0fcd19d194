/** Seeded accounts shared by the engine tests and the demo: one user for every decision status. */
import { type EngineConfig, parseEngineConfig } from '../../shared/config.js'
import type { AccountSeed } from '../emulator/seed.js'

export const PREFIX = 'LeastPrivilegeDeny'
export const PATH = '/least-privilege/'

const tenPolicies = Array.from({ length: 10 }, (_, i) => ({
  name: `team-policy-${i + 1}`,
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `sqs:Get*`, Resource: '*' }] },
}))

/** A member account: users covering enforced, unchanged, exempt, too-young, quota, conflict and error. */
export function statusAccount(id: string): AccountSeed {
  return {
    id,
    policies: [
      ...tenPolicies,
      {
        name: `${PREFIX}.1.gina`,
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
    ...overrides,
  })
}
