import { GetPolicyVersionCommand, ListPolicyVersionsCommand } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import type { UserDecision } from '../../shared/domain/decision.js'
import { deniedServicesOf } from '../../shared/domain/deny-policy.js'
import { type AccountResult, type AccountSweepDeps, sweepAccount } from '../../shared/engine/sweep-account.js'
import { seededUserId } from '../emulator/seed.js'
import { PATH, PREFIX, statusAccount, testConfig } from '../support/fixtures.js'
import { memoryLogger, startHarness } from '../support/harness.js'

const A = '222222222222'
const { emulator, iamFor } = await startHarness({ accounts: [statusAccount(A)] })
const iam = iamFor(A)
const account = () => emulator.state.accounts.get(A) ?? (undefined as never)
const user = (name: string) => account().users.get(name) ?? (undefined as never)
const policyArn = (name: string, part = 1, path = PATH) =>
  `arn:aws:iam::${A}:policy${path}${PREFIX}.${part}.${seededUserId(A, name)}`

/** The first enforce run is a large change by design: these tests confirm it (the brake has its own tests). */
async function sweep(
  mode: 'plan' | 'enforce',
  overrides = {},
  extra: Partial<AccountSweepDeps> = {},
): Promise<AccountResult> {
  const deps = { iam, log: memoryLogger().log, now: new Date(), ...extra }
  return sweepAccount(deps, A, testConfig({ mode, ...overrides }), { confirmLargeChange: true })
}
const byUser = (r: AccountResult) =>
  Object.fromEntries(r.decisions.map((d) => [d.userName, d])) as Record<string, UserDecision>

async function liveDeny(name: string, part = 1): Promise<string[] | undefined> {
  const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn(name, part) }))
  const current = versions.Versions?.find((v) => v.IsDefaultVersion)
  const got = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn(name, part), VersionId: current?.VersionId }),
  )
  return deniedServicesOf(decodeURIComponent(got.PolicyVersion?.Document ?? ''))
}

describe('sweepAccount against the emulator', () => {
  it('in plan mode reports every status and makes no write call', async () => {
    emulator.resetCounts()
    const d = byUser(await sweep('plan'))
    expect(emulator.count({ writes: true })).toBe(0)
    expect(emulator.count({ action: 'CreatePolicy' }) + emulator.count({ action: 'AttachUserPolicy' })).toBe(
      0,
    )
    expect(d.bob?.status).toBe('planned')
    expect(d.bob?.added.map((c) => c.namespace)).toEqual([
      'autoscaling',
      'ec2',
      'elasticloadbalancing',
      's3-object-lambda',
    ])
    expect(d.bob?.denied).toEqual([])
    expect(d.carl?.status).toBe('unchanged')
    expect(d.erin).toMatchObject({ status: 'exempt', reason: 'exempt by tag least-privilege-exempt=True' })
    expect(d.dave?.status).toBe('too-young')
    expect(d.quinn).toMatchObject({
      status: 'quota-blocked',
      reason: 'needs 1 more attached policies, the quota leaves 0',
    })
    expect(d.frank?.status).toBe('error')
    expect(d.frank?.reason).toMatch(/FAILED/)
    expect(d.gina?.status).toBe('not-owned-conflict')
  })

  it('first enforce run creates and attaches the deny policies', async () => {
    emulator.resetCounts()
    const d = byUser(await sweep('enforce'))
    expect(d.bob).toMatchObject({
      status: 'enforced',
      denied: ['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'],
    })
    expect(user('bob').attached).toContain(policyArn('bob'))
    expect(await liveDeny('bob')).toEqual(['autoscaling', 'ec2', 'elasticloadbalancing', 's3-object-lambda'])

    // The administrator's 450+ services need more than one document; all are attached.
    expect(d.alice?.status).toBe('enforced')
    expect(d.alice?.policyArns.length).toBeGreaterThan(1)
    for (const arn of d.alice?.policyArns ?? []) expect(user('alice').attached).toContain(arn)
    expect(d.alice?.denied).toContain('iam')
    expect(d.alice?.denied).not.toContain('s3')
    expect(d.alice?.denied).not.toContain('sts')
  })

  it('never touches failed, conflicting, quota-blocked, exempt or young users', async () => {
    expect(user('frank').attached).toEqual([expect.stringContaining('AmazonEC2FullAccess')])
    expect(user('quinn').attached).toHaveLength(10)
    expect(user('erin').attached).toHaveLength(1)
    expect(user('dave').attached).toHaveLength(1)
    // gina's same-named policy outside our path is neither attached nor changed.
    const foreign = account().policies.get(policyArn('gina', 1, '/'))
    expect(foreign?.versions).toHaveLength(1)
    expect(user('gina').attached).not.toContain(foreign?.arn)
  })

  it('second run with the same data makes no write call', async () => {
    emulator.resetCounts()
    const d = byUser(await sweep('enforce'))
    expect(emulator.count({ writes: true })).toBe(0)
    expect(d.bob?.status).toBe('unchanged')
    expect(d.alice?.status).toBe('unchanged')
  })

  it('a newly unused service becomes a new default version, with no detach or delete', async () => {
    user('bob').lastUsed.s3 = new Date(Date.now() - 100 * 86_400_000)
    emulator.resetCounts()
    const d = byUser(await sweep('enforce'))
    expect(d.bob?.status).toBe('enforced')
    expect(d.bob?.added).toEqual([expect.objectContaining({ namespace: 's3', reason: 'unused' })])
    expect(emulator.count({ action: 'CreatePolicyVersion' })).toBe(1)
    expect(emulator.count({ action: 'DetachUserPolicy' })).toBe(0)
    expect(emulator.count({ action: 'DeletePolicy' })).toBe(0)
    expect(emulator.count({ action: 'DeletePolicyVersion' })).toBe(0)
    expect(await liveDeny('bob')).toContain('s3')
  })

  it('keeps at most 5 versions, pruning the oldest non-default first', async () => {
    // A temporary exemption of ec2, on and off: each sweep writes a new default version.
    for (const [i, exempt] of [['ec2'], [], ['ec2'], [], ['ec2'], []].entries()) {
      await sweep('enforce', {}, { priorState: () => ({ exemptServices: exempt }) })
      const versions = account().policies.get(policyArn('bob'))?.versions ?? []
      expect(versions.length, `after update ${i}`).toBeLessThanOrEqual(5)
    }
    const versions = account().policies.get(policyArn('bob'))?.versions ?? []
    expect(versions).toHaveLength(5)
    expect(versions.map((v) => v.VersionId)).toEqual(['v4', 'v5', 'v6', 'v7', 'v8'])
    expect(versions.find((v) => v.IsDefaultVersion)?.VersionId).toBe('v8')
  })

  it('keeps a deny when the denied service shows activity: it is an attempt, not use', async () => {
    const deniedSince = { ec2: new Date(Date.now() - 86_400_000).toISOString() }
    user('bob').lastUsed.ec2 = new Date()
    emulator.resetCounts()
    const d = byUser(await sweep('enforce', {}, { priorState: () => ({ deniedSince }) }))
    expect(d.bob?.removed).toEqual([])
    expect(d.bob?.attempts).toEqual([expect.objectContaining({ namespace: 'ec2' })])
    expect(emulator.count({ writes: true })).toBe(0)
    expect(await liveDeny('bob')).toContain('ec2')
  })

  it('an exemption tag added later lifts the deny and removes the policy', async () => {
    user('bob').tags.push({ Key: 'least-privilege-exempt', Value: 'true' })
    const d = byUser(await sweep('enforce'))
    expect(d.bob?.status).toBe('exempt')
    expect(d.bob?.denied).toEqual([])
    expect(account().policies.has(policyArn('bob'))).toBe(false)
    expect(user('bob').attached.some((a) => a.includes(PREFIX))).toBe(false)
  })

  it('a FAILED Access Advisor job changes nothing for that user', async () => {
    emulator.resetCounts()
    const d = byUser(await sweep('enforce'))
    expect(d.frank).toMatchObject({ status: 'error', writes: 0, added: [], removed: [] })
    expect(emulator.requests.filter((r) => r.write && r.action.includes('User')).length).toBe(0)
  })
})
