/**
 * Action-level denies end to end: an administrator who only looks after their own credentials and reads
 * S3 objects loses the power to make a principal, and keeps what they use. Proven on the policies the
 * sweep leaves in the emulated account, evaluated by iam-simulate as IAM would.
 */
import { describe, expect, it } from 'vitest'
import { addExemption } from '../../shared/app/exemptions.js'
import { releaseDeny, rollback } from '../../shared/app/operator.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { findPolicy } from '../emulator/model.js'
import { must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { simulate, type Verdict } from '../support/simulate.js'
import { use } from '../support/use.js'

const ACCOUNT = '300000000001'
const ADA = `arn:aws:iam::${ACCOUNT}:user/ada`
const DEFAULT_MAX_DENY_POLICIES = 4
const OPERATOR = 'arn:aws:iam::111111111111:role/least-privilege-operator'
const DAY = 86_400_000

async function adminWhoOnlySelfServes(settings: { noticeDays?: number } = {}) {
  const h = await startOrgHarness(
    {
      managementAccountId: ACCOUNT,
      accounts: [
        {
          id: ACCOUNT,
          users: [
            {
              name: 'ada',
              policies: ['aws:AdministratorAccess'],
              accessKeys: [{}],
              lastUsedDaysAgo: {
                'iam:GetUser': 1,
                'iam:ChangePassword': 2,
                'iam:CreateAccessKey': 3,
                's3:GetObject': 1, // untracked: it marks s3 used, and no s3 action
                sns: 5, // no tracked actions at all
              },
            },
          ],
        },
      ],
    },
    {},
    'test',
  )
  const config = h.config({ noticeDays: settings.noticeDays ?? 0, mode: 'enforce' })
  const sweep = (now = new Date()) =>
    runSweep(h.deps({ now: () => now }), config, {
      kind: 'new',
      mode: 'enforce',
      trigger: 'test',
      confirmLargeChange: true,
    })
  /** Every managed policy on ada now, as IAM would evaluate them together. */
  const policies = () => {
    const account = must(h.emulator.state.accounts.get(ACCOUNT), 'account')
    const ada = must(account.users.get('ada'), 'ada')
    return ada.attached.map((arn) => {
      const policy = must(findPolicy(h.emulator.state, account, arn), arn)
      return JSON.parse(
        must(
          policy.versions.find((v) => v.IsDefaultVersion),
          'default',
        ).Document,
      ) as object
    })
  }
  const verdict = async (action: string, resource: string): Promise<Verdict> =>
    simulate(policies(), { action, resource, principal: ADA })
  const state = async () => must(await h.store.audit.user(ACCOUNT, 'ada'), 'ada state')
  return { h, config, sweep, policies, verdict, state }
}

describe('action-level denies', () => {
  it('takes iam:CreateUser and s3:PutBucketPolicy from an administrator who only self-serves, and keeps what they use', async () => {
    const { h, sweep, verdict, policies } = await adminWhoOnlySelfServes()
    await sweep()
    const state = must(await h.store.audit.user(ACCOUNT, 'ada'), 'ada state')
    expect(state.denied).toEqual(expect.arrayContaining(['iam:CreateUser', 's3:PutBucketPolicy', 'ec2']))
    expect(state.denied).not.toContain('iam')
    expect(state.denied).not.toContain('s3')
    expect(state.denied).not.toContain('sns')

    const user = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`
    const denied: [string, string][] = [
      ['iam:CreateUser', user('helper')],
      ['iam:AttachUserPolicy', user('ada')],
      ['iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/escape`],
      ['s3:PutBucketPolicy', 'arn:aws:s3:::data'],
      ['s3:DeleteBucket', 'arn:aws:s3:::data'],
      // Self-service she never used, on another user: no password or key reset for someone else.
      ['iam:CreateLoginProfile', user('breakglass')],
      ['iam:UpdateAccessKey', user('breakglass')],
      ['iam:DeactivateMFADevice', user('breakglass')],
      ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`], // a service unused, as before
    ]
    for (const [action, resource] of denied)
      expect(await verdict(action, resource), action).toBe('ExplicitlyDenied')
    const allowed: [string, string][] = [
      ['iam:ChangePassword', user('ada')],
      ['iam:CreateAccessKey', user('ada')],
      ['iam:GetUser', user('ada')],
      ['iam:CreateLoginProfile', user('ada')], // unused, but her own: the carve-out stays
      ['s3:GetObject', 'arn:aws:s3:::data/report.csv'],
      ['s3:PutObject', 'arn:aws:s3:::data/report.csv'], // untracked: no evidence either way
      ['sns:Publish', `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`], // a used service with no tracked actions
    ]
    for (const [action, resource] of allowed) expect(await verdict(action, resource), action).toBe('Allowed')
    expect(policies().length).toBeLessThanOrEqual(1 + DEFAULT_MAX_DENY_POLICIES)
  })

  it('reports an attempt on a denied action, and the deny stays', async () => {
    const { h, sweep } = await adminWhoOnlySelfServes()
    await sweep()
    const ada = must(h.emulator.state.accounts.get(ACCOUNT)?.users.get('ada'), 'ada')
    const tried = new Date(Date.now() + 3_600_000) // a stolen key tries to make a helper user
    use(ada, 'iam:CreateUser', tried)
    await sweep(new Date(Date.now() + 8 * 86_400_000)) // a week on: the report is read again
    const attempts = await h.store.audit.attemptsSince(new Date(0).toISOString(), ACCOUNT)
    expect(attempts).toEqual([
      expect.objectContaining({
        userName: 'ada',
        attempt: { namespace: 'iam:CreateUser', at: tried.toISOString(), region: 'us-east-1' },
      }),
    ])
    const state = must(await h.store.audit.user(ACCOUNT, 'ada'), 'ada state')
    expect(state.denied).toContain('iam:CreateUser')
    expect(Object.keys(state.lastAttempts ?? {})).toContain('iam:CreateUser')
  })

  it("releases one action on an operator's word: the rest stay, and its clock restarts", async () => {
    const { h, config, sweep, state, verdict } = await adminWhoOnlySelfServes()
    await sweep()
    const released = await releaseDeny(h.operator(), config, {
      accountId: ACCOUNT,
      userName: 'ada',
      services: ['iam:CreateUser'],
      reason: 'onboarding a team',
      enforce: true,
      actor: OPERATOR,
    })
    expect(released.decision.removed).toEqual([{ namespace: 'iam:CreateUser', reason: 'released' }])
    const after = await state()
    expect(after.denied).not.toContain('iam:CreateUser')
    expect(after.denied).toContain('iam:CreateRole')
    expect(Date.parse(after.firstSeen?.['iam:CreateUser'] ?? '')).toBeGreaterThan(Date.now() - 60_000)
    expect(await verdict('iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/helper`)).toBe('Allowed')
    expect(await verdict('iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/x`)).toBe('ExplicitlyDenied')
    await sweep(new Date(Date.now() + 8 * DAY)) // a week on, still unused: not denied again before its window
    expect((await state()).denied).not.toContain('iam:CreateUser')
  })

  it('releasing a service gives it back whole, its action denies with it', async () => {
    const { h, config, sweep, state } = await adminWhoOnlySelfServes()
    await sweep()
    await releaseDeny(h.operator(), config, {
      accountId: ACCOUNT,
      userName: 'ada',
      services: ['s3'],
      reason: 'data migration',
      enforce: true,
      actor: OPERATOR,
    })
    expect((await state()).denied.filter((k) => k === 's3' || k.startsWith('s3:'))).toEqual([])
  })

  it('exempts one action for a while; the deny comes back as it was when the exemption ends', async () => {
    const { h, sweep, state } = await adminWhoOnlySelfServes()
    await sweep()
    await addExemption(h.store, {
      accountId: ACCOUNT,
      userName: 'ada',
      services: ['iam:CreateRole'],
      days: 3,
      reason: 'incident',
      now: new Date(),
      actor: OPERATOR,
    })
    await sweep(new Date(Date.now() + DAY))
    const exempt = await state()
    expect(exempt.denied).not.toContain('iam:CreateRole')
    expect(exempt.denied).toContain('iam:CreateUser')
    await sweep(new Date(Date.now() + 5 * DAY))
    expect((await state()).denied).toContain('iam:CreateRole')
  })

  it('refuses an action exemption inside a service denied whole: it would lift nothing', async () => {
    const { h, sweep } = await adminWhoOnlySelfServes()
    await sweep()
    const grant = {
      accountId: ACCOUNT,
      userName: 'ada',
      days: 3,
      reason: 'x',
      now: new Date(),
      actor: OPERATOR,
    }
    await expect(addExemption(h.store, { ...grant, services: ['ec2:RunInstances'] })).rejects.toThrow(
      /ec2:RunInstances belongs to a service ada is denied whole; exempt the service \(--service ec2\)/,
    )
  })

  it('announces action denies before they land, then carries them out on their day', async () => {
    const { sweep, state, verdict } = await adminWhoOnlySelfServes({ noticeDays: 7 })
    await sweep()
    const announced = await state()
    expect(announced.scheduled?.['iam:CreateUser']?.on).toBeDefined()
    expect(announced.denied).not.toContain('iam:CreateUser')
    expect(await verdict('iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/helper`)).toBe('Allowed')
    await sweep(new Date(Date.now() + 8 * DAY))
    expect((await state()).denied).toContain('iam:CreateUser')
  })

  it('rolls action denies back with the rest', async () => {
    const { h, config, sweep, state, policies } = await adminWhoOnlySelfServes()
    await sweep()
    await rollback(h.operator(), config, { accountId: ACCOUNT, userName: 'ada', actor: OPERATOR })
    expect((await state()).denied).toEqual([])
    expect(policies()).toHaveLength(1) // AdministratorAccess alone
  })
})
