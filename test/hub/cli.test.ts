import { describe, expect, it } from 'vitest'
import type { ChangeRecord } from '../../shared/domain/records.js'
import { cliRunner } from '../support/cli-runner.js'
import { testEnv } from '../support/env.js'
import { DEMO_ACCOUNTS, demoOrg } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startDynamoHarness, startOrgHarness } from '../support/org-harness.js'

/** The demo organization, new for each test, and the CLI pointed at it. */
async function givenDemoOrg() {
  await startDynamoHarness(demoOrg(), {}, 'test')
  return cliRunner({ ...process.env, ...hubTestEnv() })
}

describe('the command-line tool', () => {
  it('sweeps in plan mode by default and prints the report as JSON', async () => {
    const cli = await givenDemoOrg()
    const { code, stdout } = await cli('sweep', '--account', DEMO_ACCOUNTS.production, '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      mode: 'plan',
      status: 'completed',
      accounts: [{ accountId: DEMO_ACCOUNTS.production }],
    })
  })

  it('prints a summary table for an enforce sweep, then answers audit queries', async () => {
    const cli = await givenDemoOrg()
    const sweep = await cli('sweep', '--enforce', '--confirm-large-change')
    // Completed, but the sandbox account has no spoke role: exit code 3, saying so.
    expect(sweep.code).toBe(3)
    expect(sweep.stderr).toMatch(/1 account\(s\) not swept cleanly: 0 braked, 1 unreachable, 0 failed/)
    expect(sweep.stdout).toMatch(/\(enforce\): completed/)
    expect(sweep.stdout).toMatch(/444444444444.*unreachable/)
    const user = await cli('audit', 'user', '--account', DEMO_ACCOUNTS.production, '--user', 'bob', '--json')
    expect(JSON.parse(user.stdout)).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    const history = await cli(
      'audit',
      'history',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'bob',
      '--json',
    )
    expect(JSON.parse(history.stdout)[0]).toMatchObject({ status: 'enforced' })
    const errors = await cli('audit', 'status', 'error', '--json')
    expect(JSON.parse(errors.stdout).map((u: { userName: string }) => u.userName)).toEqual(['frank'])
    const accounts = await cli('audit', 'accounts')
    expect(accounts.stdout).toMatch(/444444444444/)
    const sweeps = await cli('audit', 'sweeps', '--limit', '1', '--json')
    expect(JSON.parse(sweeps.stdout)[0]).toMatchObject({ mode: 'enforce', status: 'completed' })
  })

  it('exempts and rolls back through the same code as the Lambda', async () => {
    const cli = await givenDemoOrg()
    await cli('sweep', '--enforce', '--confirm-large-change', '--account', DEMO_ACCOUNTS.production)
    const exempt = [
      'exempt',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'bob',
      '--service',
      'ec2',
      '--days',
      '3',
      '--json',
    ]
    // Without --enforce, an exemption is shown, checked, and not recorded.
    const shown = JSON.parse((await cli(...exempt)).stdout)
    expect(shown).toMatchObject({ preview: true, exemptions: [{ userName: 'bob', service: 'ec2' }] })
    expect((await cli('exemptions', 'list', '--json')).stdout.trim()).toBe('[]')
    const granted = await cli(...exempt, '--reason', 'incident 3', '--enforce')
    expect(JSON.parse(granted.stdout)).toMatchObject([
      { userName: 'bob', service: 'ec2', reason: 'incident 3' },
    ])
    const listed = await cli('exemptions', 'list')
    expect(listed.stdout).toMatch(/222222222222 .*bob .*ec2 .*incident 3/)
    const preview = await cli('rollback', '--account', DEMO_ACCOUNTS.production, '--user', 'bob', '--json')
    expect(JSON.parse(preview.stdout)).toEqual({
      preview: true,
      accountId: DEMO_ACCOUNTS.production,
      users: [expect.objectContaining({ userName: 'bob' })],
    })
    const user = ['--account', DEMO_ACCOUNTS.production, '--user', 'bob']
    expect((await cli('audit', 'user', ...user, '--json')).stdout).toMatch(/"status": "enforced"/)
    const done = await cli('rollback', ...user, '--reason', 'incident 3', '--enforce', '--json')
    expect(done.code).toBe(0)
    const after = await cli('audit', 'user', ...user, '--json')
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'rolled-back' })
    const history = JSON.parse((await cli('audit', 'history', ...user, '--json')).stdout) as ChangeRecord[]
    expect(history[0]).toMatchObject({ status: 'rolled-back', reason: expect.stringMatching(/incident 3$/) })
  })

  it('prints its version', async () => {
    const cli = await givenDemoOrg()
    const { code, stdout } = await cli('--version')
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('refuses an empty or malformed user name everywhere: no input widens a command to the whole account', async () => {
    const h = await startOrgHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() }, undefined, { store: h.store })
    const enforced = await cli(
      'sweep',
      '--enforce',
      '--confirm-large-change',
      '--account',
      DEMO_ACCOUNTS.production,
    )
    expect(enforced.code).toBe(0)
    h.emulator.resetCounts()
    const account = ['--account', DEMO_ACCOUNTS.production]
    for (const user of ['', ' ', 'bob smith', 'x'.repeat(65)]) {
      for (const argv of [
        ['sweep', '--enforce', ...account, '--user', user],
        ['sweep', '--plan', ...account, '--user', user],
        ['release', ...account, '--user', user, '--service', 'ec2', '--enforce'],
        ['rollback', ...account, '--user', user, '--reason', 'x', '--enforce'],
        ['exempt', ...account, '--user', user, '--days', '2', '--reason', 'x', '--enforce'],
        ['audit', 'user', ...account, '--user', user],
      ]) {
        const run = await cli(...argv)
        expect(run.code, argv.join(' ')).toBe(2)
        expect(run.stderr).toMatch(/is not an IAM user name/)
      }
    }
    expect(h.emulator.count({ writes: true })).toBe(0)
  })

  it.each([
    [['sweep', '--plan', '--enforce'], /cannot be used with option '--enforce'/],
    [['sweep', '--account', '12'], /12 is not a 12-digit account id/],
    [
      ['exempt', '--account', '222222222222', '--user', 'bob', '--days', '0'],
      /days must be a whole number from 1 to 365/,
    ],
    [
      ['exempt', '--account', '222222222222', '--user', 'bob', '--days', '2', '--service', 'S3!'],
      /S3! is not a service namespace/,
    ],
    [['audit', 'status', 'happy'], /Allowed choices are/],
    [['audit', 'user', '--account', '222222222222', '--user', 'nobody'], /no recorded state for nobody/],
    [['rollback', '--account', '222222222222', '--user', 'nobody'], /no IAM user nobody/],
    [['sweep', '--window-days', '0'], /windowDays \(--window-days\): must be 1 or more/],
    [['frobnicate'], /unknown command/],
    [['--log-level', 'loud', 'audit', 'sweeps'], /Allowed choices are fatal, error, warn/],
    [['audit', 'history', '--account', '222222222222', '--user', 'nobody'], /no recorded state for nobody/],
    [
      ['rollback', '--account', '222222222222', '--user', 'bob', '--exempt-until', '2027-02-30'],
      /2027-02-30 is not a day of the calendar/,
    ],
    [
      ['restore', '--account', '222222222222', '--user', 'bob', '--key', 'not-a-key', '--reason', 'x'],
      /not-a-key is not an access key ID/,
    ],
    [
      ['restore', '--account', '222222222222', '--user', 'bob', '--all', '--enforce'],
      /restore --enforce is recorded with why: give --reason/,
    ],
    [['--output', 'table', 'audit', 'sweeps', '--json'], /--json is --output json; give one or the other/],
    [
      [
        'exempt',
        '--account',
        '222222222222',
        '--user',
        'bob',
        '--days',
        '2',
        '--reason',
        'x\x1b[2Ky',
        '--enforce',
      ],
      /reason: no control characters/,
    ],
    [
      [
        'exempt',
        '--account',
        '222222222222',
        '--user',
        'bob',
        '--days',
        '2',
        '--reason',
        'SEC-\u202e321',
        '--enforce',
      ],
      /reason: no control characters, nor formatting ones/,
    ],
    [['audit', 'history', '--account', '222222222222', '--user-id', 'AIDANOPE'], /user-id: nothing recorded/],
    [
      ['--hub-function', 'no-such-function', 'sweep', '--plan'],
      /hub-function \(HUB_FUNCTION_NAME\): no function no-such-function in us-east-1; the hub stack's HubFunctionName output/,
    ],
    [
      ['exempt', '--account', '222222222222', '--user', 'bob', '--days', '2', '--enforce'],
      /exempt --enforce is recorded with why: give --reason TEXT/,
    ],
    [
      ['exemptions', 'revoke', '--account', '222222222222', '--user', 'bob', '--enforce'],
      /exemptions revoke --enforce is recorded with why/,
    ],
    [
      ['release', '--account', '222222222222', '--user', 'bob', '--service', 'ec2', '--enforce'],
      /release --enforce is recorded with why/,
    ],
    [
      ['sweep', '--slack-webhook-url', 'hooks.slack.com/x'],
      /slack-webhook-url \(SLACK_WEBHOOK_URL\): not an https URL; nothing was swept/,
    ],
    [
      ['restore', '--account', '222222222222', '--user', 'bob', '--reason', 'x'],
      /give --key ID, --password or --all/,
    ],
  ])('%j fails with a clear message', async (argv, message) => {
    const cli = await givenDemoOrg()
    const { code, stderr } = await cli(...argv)
    // A usage error (2), said in words: no class name before it.
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).not.toMatch(/(Config|LeastPrivilege)Error:/)
  })

  it("sweeps a pilot whose target OU holds only accounts far down the organization's list", async () => {
    // Twelve accounts the StackSet never reached come first; the pilot's one account is the last.
    const outside = Array.from({ length: 12 }, (_, i) => ({
      id: String(100_000_000_001 + i),
      users: [],
      spokeRole: false,
    }))
    const pilot = {
      id: '999999999999',
      users: [{ name: 'pia', createdDaysAgo: 400, policies: ['aws:AmazonS3FullAccess'] }],
    }
    await startDynamoHarness({ accounts: [...outside, pilot] }, {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() })
    const run = await cli('sweep', '--plan', '--json')
    expect(run.code).toBe(3) // completed, with the accounts outside the pilot unreachable
    const report = JSON.parse(run.stdout) as { accounts: { accountId: string; outcome: string }[] }
    expect(report.accounts).toContainEqual(expect.objectContaining({ accountId: pilot.id, outcome: 'swept' }))
  })

  it.each([
    ['a wrong ExternalId', { EXTERNAL_ID: 'not-the-stacksets' }],
    ['a wrong role name', { SPOKE_ROLE_NAME: 'NoSuchRole' }],
  ])('with %s, a sweep writes nothing and says what to check (exit 2)', async (_what, wrong) => {
    await startDynamoHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv(), ...wrong })
    const run = await cli('sweep', '--plan')
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(
      /no spoke role could be assumed in any of the \d+ accounts: check EXTERNAL_ID and SPOKE_ROLE_NAME/,
    )
    const audit = cliRunner({ ...process.env, ...hubTestEnv() })
    expect(JSON.parse((await audit('audit', 'sweeps', '--json')).stdout)).toEqual([])
    expect(JSON.parse((await audit('audit', 'accounts', '--json')).stdout)).toEqual([])
  })

  it('names the profile or the region to fix when the machine is not set up for AWS (exit 2)', async () => {
    // No credentials or region anywhere but what the command is given.
    testEnv({ AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' }, [
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_PROFILE',
    ])
    const cli = cliRunner({ PATH: process.env.PATH, TABLE_NAME: 'least-privilege-state', EXTERNAL_ID: 'xx' })
    const region = await cli('--profile', 'nosuch', 'audit', 'sweeps')
    expect(region.code).toBe(2)
    expect(region.stderr).toMatch(
      /region: none set: give --region or AWS_REGION, or a region in profile nosuch/,
    )
    const profile = await cli('--profile', 'nosuch', '--region', 'us-east-1', 'audit', 'sweeps')
    expect(profile.code).toBe(2)
    expect(profile.stderr).toMatch(/profile: no credentials from profile nosuch/)
  })

  it("a one-user plan counts in its header what its rows say, and fails when the user's report did", async () => {
    const cli = await givenDemoOrg()
    const plan = await cli('sweep', '--plan', '--account', DEMO_ACCOUNTS.production, '--user', 'bob')
    expect(plan.code).toBe(0)
    expect(plan.stdout).toMatch(/^bob in 222222222222: \d+ to deny \(planned; /)
    const failed = await cli('sweep', '--plan', '--account', DEMO_ACCOUNTS.production, '--user', 'frank')
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/error: no plan for frank: .*FAILED/)
  })

  it('honours LOG_LEVEL, and names it when it is not a level', async () => {
    await startDynamoHarness(demoOrg(), {}, 'test')
    const bad = await cliRunner({ ...process.env, ...hubTestEnv(), LOG_LEVEL: 'loud' })('audit', 'sweeps')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/LOG_LEVEL: loud is not one of fatal, error, warn/)
  })
})
