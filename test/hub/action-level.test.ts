/**
 * Action-level denies end to end: an administrator who only looks after their own credentials and reads
 * S3 objects loses the power to make a principal, and keeps what they use. Proven on the policies the
 * sweep leaves in the emulated account, evaluated by iam-simulate as IAM would.
 */
import { describe, expect, it } from 'vitest'
import { runSweep } from '../../shared/app/org-sweep.js'
import { findPolicy } from '../emulator/model.js'
import { must } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'
import { simulate, type Verdict } from '../support/simulate.js'

const ACCOUNT = '300000000001'
const ADA = `arn:aws:iam::${ACCOUNT}:user/ada`
const DEFAULT_MAX_DENY_POLICIES = 4

async function adminWhoOnlySelfServes() {
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
  const config = h.config({ noticeDays: 0, mode: 'enforce' })
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
  return { h, sweep, policies, verdict }
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
      ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`], // a service unused, as before
    ]
    for (const [action, resource] of denied)
      expect(await verdict(action, resource), action).toBe('ExplicitlyDenied')
    const allowed: [string, string][] = [
      ['iam:ChangePassword', user('ada')],
      ['iam:CreateAccessKey', user('ada')],
      ['iam:GetUser', user('ada')],
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
    ada.lastUsed['iam:CreateUser'] = tried
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
})
