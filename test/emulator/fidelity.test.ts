import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountSummaryCommand,
  GetPolicyVersionCommand,
  GetServiceLastAccessedDetailsCommand,
  IAMClient,
  paginateGetAccountAuthorizationDetails,
} from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { createIamClient } from '../../shared/aws/clients.js'
import { startHarness } from '../support/harness.js'
import { awsPolicyArn } from './seed.js'
import { credentialsFor } from './server.js'

const A = '111111111111'
const users = Array.from({ length: 7 }, (_, i) => ({
  name: `user${i}`,
  policies: ['aws:AmazonS3FullAccess'],
}))
const { emulator, iamFor } = await startHarness(
  {
    accounts: [
      {
        id: A,
        attachedPoliciesPerUserQuota: 3,
        users: [
          ...users,
          { name: 'admin', policies: ['aws:AdministratorAccess'], lastUsedDaysAgo: { s3: 3 } },
          { name: 'broken', policies: ['aws:AmazonS3FullAccess'], accessAdvisorFails: true },
        ],
      },
    ],
  },
  { accessAdvisorLatencyMs: 150 },
)
// A plain client with one attempt: the SDK counts LimitExceededException as throttling, and adaptive
// retries would slow every later call in this file.
const iam = new IAMClient({ region: 'us-east-1', maxAttempts: 1, credentials: credentialsFor(A) })
const doc = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: actions, Resource: '*' }] })
let n = 0
const fresh = (document = doc(['s3:*'])) =>
  new CreatePolicyCommand({ PolicyName: `p${n++}`, Path: '/t/', PolicyDocument: document })

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status?: number | undefined }> {
  try {
    await promise
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } }
    return { name: err.name, status: err.$metadata?.httpStatusCode }
  }
  throw new Error('expected an error')
}

describe('emulator fidelity (through the real SDK)', () => {
  it('counts the size quota without white space, and rejects one character more', async () => {
    const atLimit = doc([`${'a'.repeat(6144 - doc([':*']).length)}:*`])
    expect(atLimit.length).toBe(6144)
    await iam.send(fresh(JSON.stringify(JSON.parse(atLimit), null, 4))) // white space is free
    const over = doc([`${'a'.repeat(6145 - doc([':*']).length)}:*`])
    expect(await errorOf(iam.send(fresh(over)))).toEqual({ name: 'LimitExceededException', status: 409 })
  })

  it('rejects malformed documents with MalformedPolicyDocument', async () => {
    expect((await errorOf(iam.send(fresh('{not json')))).name).toBe('MalformedPolicyDocumentException')
    expect(
      (await errorOf(iam.send(fresh('{"Version":"2012-10-17","Statement":[{"Effect":"Deny"}]}')))).name,
    ).toBe('MalformedPolicyDocumentException')
  })

  it('enforces name and path rules', async () => {
    const bad = (PolicyName: string, Path: string) =>
      iam.send(new CreatePolicyCommand({ PolicyName, Path, PolicyDocument: doc(['s3:*']) }))
    expect((await errorOf(bad('has space', '/t/'))).name).toBe('ValidationError')
    expect((await errorOf(bad('x'.repeat(129), '/t/'))).name).toBe('ValidationError')
    expect((await errorOf(bad('ok', 'no-slash'))).name).toBe('ValidationError')
  })

  it('keeps policy names unique ignoring case', async () => {
    await iam.send(new CreatePolicyCommand({ PolicyName: 'Unique', PolicyDocument: doc(['s3:*']) }))
    const dup = new CreatePolicyCommand({
      PolicyName: 'UNIQUE',
      Path: '/other/',
      PolicyDocument: doc(['s3:*']),
    })
    expect(await errorOf(iam.send(dup))).toEqual({ name: 'EntityAlreadyExistsException', status: 409 })
  })

  it('allows 5 versions, refuses a sixth, and never deletes the default', async () => {
    const created = await iam.send(fresh())
    const arn = created.Policy?.Arn ?? ''
    for (let i = 0; i < 4; i++) {
      await iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: doc([`s${i}:*`]),
          SetAsDefault: true,
        }),
      )
    }
    const sixth = new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(['x:*']) })
    expect(await errorOf(iam.send(sixth))).toEqual({ name: 'LimitExceededException', status: 409 })
    const deleteDefault = new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' })
    expect((await errorOf(iam.send(deleteDefault))).name).toBe('DeleteConflictException')
    expect((await errorOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).name).toBe(
      'DeleteConflictException',
    )
  })

  it('returns documents URL-encoded, as IAM does', async () => {
    const created = await iam.send(fresh(doc(['s3:*'])))
    const got = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: created.Policy?.Arn, VersionId: 'v1' }),
    )
    expect(got.PolicyVersion?.Document).toBe(encodeURIComponent(doc(['s3:*'])))
  })

  it('enforces the per-user attach quota read from the account summary', async () => {
    const summary = await iam.send(new GetAccountSummaryCommand({}))
    expect(summary.SummaryMap?.AttachedPoliciesPerUserQuota).toBe(3)
    const attach = (arn: string) =>
      iam.send(new AttachUserPolicyCommand({ UserName: 'user0', PolicyArn: arn }))
    await attach(awsPolicyArn('AdministratorAccess'))
    await attach(awsPolicyArn('ReadOnlyAccess'))
    expect(await errorOf(attach(awsPolicyArn('PowerUserAccess')))).toEqual({
      name: 'LimitExceededException',
      status: 409,
    })
    expect(
      (
        await errorOf(
          iam.send(
            new AttachUserPolicyCommand({ UserName: 'nobody', PolicyArn: awsPolicyArn('ReadOnlyAccess') }),
          ),
        )
      ).name,
    ).toBe('NoSuchEntityException')
  })

  it('paginates GetAccountAuthorizationDetails with markers', async () => {
    const names: string[] = []
    for await (const page of paginateGetAccountAuthorizationDetails(
      { client: iam, pageSize: 2 },
      { Filter: ['User'] },
    )) {
      expect(page.UserDetailList?.length).toBeLessThanOrEqual(2)
      names.push(...(page.UserDetailList ?? []).map((u) => u.UserName ?? ''))
    }
    expect(names).toHaveLength(9)
  })

  it('runs Access Advisor jobs asynchronously, paginates reports, and fails on demand', async () => {
    const arn = `arn:aws:iam::${A}:user/admin`
    const { JobId } = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn }))
    expect((await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }))).JobStatus).toBe(
      'IN_PROGRESS',
    )
    await new Promise((r) => setTimeout(r, 200))
    const first = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 100 }))
    expect(first.JobStatus).toBe('COMPLETED')
    expect(first.IsTruncated).toBe(true)
    const all = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 1000 }))
    expect(all.ServicesLastAccessed?.length).toBeGreaterThan(400)
    expect(
      all.ServicesLastAccessed?.find((s) => s.ServiceNamespace === 's3')?.LastAuthenticated,
    ).toBeInstanceOf(Date)
    const failing = await iam.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: `arn:aws:iam::${A}:user/broken` }),
    )
    await new Promise((r) => setTimeout(r, 200))
    const failed = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: failing.JobId }))
    expect(failed.JobStatus).toBe('FAILED')
  })

  it('throttles with the Throttling code, which the SDK retries', async () => {
    emulator.injectFault({
      action: 'GetAccountSummary',
      times: 2,
      code: 'Throttling',
      message: 'Rate exceeded',
    })
    expect(await errorOf(iam.send(new GetAccountSummaryCommand({})))).toEqual({
      name: 'Throttling',
      status: 400,
    })
    const retrying = iamFor(A, 5)
    const reply = await retrying.send(new GetAccountSummaryCommand({}))
    expect(reply.$metadata.attempts).toBe(2)
  })

  it('rejects unknown credentials', async () => {
    const stranger = new IAMClient({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    })
    expect((await errorOf(stranger.send(new GetAccountSummaryCommand({})))).name).toBe('InvalidClientTokenId')
  })

  it('counts every request by account and action', async () => {
    emulator.resetCounts()
    await iam.send(new GetAccountSummaryCommand({}))
    await iam.send(fresh())
    expect(emulator.count({ action: 'CreatePolicy', account: A })).toBe(1)
    expect(emulator.count({ account: A })).toBe(2)
    expect(emulator.count({ writes: true })).toBe(1)
    expect(emulator.countsByAction()).toEqual({ 'iam:GetAccountSummary': 1, 'iam:CreatePolicy': 1 })
  })

  it("the project's IAM client takes LimitExceeded as final: one request, no throttling retries", async () => {
    const client = createIamClient({ credentials: credentialsFor(A), maxAttempts: 8 })
    const created = await client.send(fresh())
    const arn = created.Policy?.Arn ?? ''
    for (let i = 0; i < 4; i++)
      await client.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc([`q${i}:*`]) }))
    emulator.resetCounts()
    const error = await errorOf(
      client.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(['y:*']) })),
    )
    expect(error.name).toBe('IamQuotaExceeded')
    expect(emulator.count({ action: 'CreatePolicyVersion' })).toBe(1)
  })
})
