import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { handler } from '../../hub/lambda.js'
import type { StateStore } from '../../shared/ports.js'
import { cliRunner, type Terminal } from '../support/cli-runner.js'
import { testEnv } from '../support/env.js'
import { DEMO_ACCOUNTS, demoOrg, must } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startOrgHarness } from '../support/org-harness.js'

// The hub's metric lines are Lambda's business (test/aws/sweep-metrics.test.ts).
vi.mock('../../shared/aws/sweep-metrics.js', () => ({ publishSweepMetrics: async () => undefined }))

/**
 * The demo organization, new for each test, and the CLI pointed at it (optionally on a terminal). Its
 * state is in memory, handed to the CLI, unless the test is about how the CLI and the hub reach the
 * table themselves: then dynalite, through the SDK's settings.
 */
async function givenDemoOrg(terminal?: Terminal, store: 'memory' | 'dynamo' = 'memory') {
  const h = await startOrgHarness(demoOrg(), {}, 'test', store)
  const env = { ...process.env, ...hubTestEnv() }
  return { h, env, cli: cliRunner(env, terminal, store === 'memory' ? { store: h.store } : {}) }
}

describe('the command-line tool, as operators expect', () => {
  it('with HUB_FUNCTION_NAME, the hub carries out enforce sweeps and releases, and the operator is named', async () => {
    const { h, env } = await givenDemoOrg(undefined, 'dynamo')
    // The CLI here signs with the management account's administrator keys: the hub's one operator.
    const operators = `arn:aws:iam::${DEMO_ACCOUNTS.management}:user/administrator`
    // The handler reads its configuration from the process, as in Lambda: for this test only.
    testEnv({ ...hubTestEnv(), LOG_LEVEL: 'silent', SWEEP_MODE: 'enforce', OPERATOR_ARNS: operators })
    const context = (awsRequestId: string) => ({
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:least-privilege-hub',
      awsRequestId,
      getRemainingTimeInMillis: () => 800_000,
    })
    h.emulator.functions.set('least-privilege-hub', (event, requestId) => handler(event, context(requestId)))
    const cli = cliRunner({ ...env, HUB_FUNCTION_NAME: 'least-privilege-hub' })

    const started = await cli(
      'sweep',
      '--enforce',
      '--confirm-large-change',
      '--account',
      DEMO_ACCOUNTS.production,
      '--json',
    )
    expect(started.code).toBe(0)
    const { sweepId } = JSON.parse(started.stdout) as { sweepId: string }
    // The hub recorded the sweep and answered; it carries it on by a continuation that holds no proof.
    const invocation = must(h.emulator.invocations.at(-1), 'the continuation')
    expect(invocation.payload).toEqual({ continuation: { sweepId, hop: 1 } })
    expect(sweepId).toMatch(/^manual-/)
    await handler(invocation.payload, context(invocation.requestId)) // what Lambda runs
    const sweep = JSON.parse((await cli('audit', 'sweep', sweepId, '--json')).stdout)
    expect(sweep).toMatchObject({
      sweep: { status: 'completed', accountsSwept: 1, trigger: 'operator', requestedBy: operators },
    })

    const released = await cli(
      'release',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'bob',
      '--service',
      'ec2',
      '--reason',
      'needs EC2',
      '--enforce',
      '--json',
    )
    expect(released.code).toBe(0)
    expect(JSON.parse(released.stdout)).toMatchObject({
      mode: 'enforce',
      actor: operators,
      decision: { status: 'released', removed: [expect.objectContaining({ namespace: 'ec2' })] },
    })
    const refused = await cli(
      'release',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'nobody',
      '--service',
      'ec2',
      '--reason',
      'ticket 9',
      '--enforce',
    )
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/least-privilege-hub: user: no IAM user nobody/)

    // Exemptions and rollbacks record: the hub carries them out too, for the operator STS names.
    const invokes = h.emulator.count({ action: 'Invoke' })
    const account = ['--account', DEMO_ACCOUNTS.production, '--user', 'bob']
    const exempted = await cli(
      'exempt',
      ...account,
      '--days',
      '2',
      '--reason',
      'incident 7',
      '--enforce',
      '--json',
    )
    expect(exempted.code).toBe(0)
    expect(JSON.parse(exempted.stdout)).toEqual([
      expect.objectContaining({ userName: 'bob', reason: 'incident 7' }),
    ])
    const changed = ['--reason', 'incident 7 over', '--enforce']
    expect((await cli('exemptions', 'revoke', ...account, ...changed)).code).toBe(0)
    const rolledBack = await cli('rollback', ...account, ...changed, '--json')
    expect(rolledBack.code).toBe(0)
    expect(JSON.parse(rolledBack.stdout)).toMatchObject({ users: [{ userName: 'bob' }] })
    expect(h.emulator.count({ action: 'Invoke' })).toBe(invokes + 3)
    const history = JSON.parse((await cli('audit', 'history', ...account, '--json')).stdout) as {
      status: string
      actor?: string
    }[]
    for (const status of ['exempted', 'exemption-revoked', 'rolled-back'])
      expect(history, status).toContainEqual(expect.objectContaining({ status, actor: operators }))
  })

  it('runs what only looks with read access alone, as the operator role has it', async () => {
    const { h, env, cli } = await givenDemoOrg()
    await cli('sweep', '--enforce', '--confirm-large-change', '--account', DEMO_ACCOUNTS.production)
    // Time passes with a sweep left running: the audit shows it stalled without marking it.
    await h.store.sweeps.start(
      {
        sweepId: 'left-running',
        mode: 'plan',
        trigger: 'test',
        startedAt: '2026-01-01T00:00:00.000Z',
        status: 'running',
        accountCount: 1,
        invocations: 1,
      },
      [DEMO_ACCOUNTS.production],
    )
    // Its own log level: the stderr it checks holds errors only, whatever another test left in the env.
    const readOnly = cliRunner({ ...env, LOG_LEVEL: 'silent' }, undefined, { store: refusingWrites(h.store) })
    const account = ['--account', DEMO_ACCOUNTS.production]
    for (const argv of [
      ['release', ...account, '--user', 'bob', '--service', 'ec2'],
      ['rollback', ...account, '--user', 'bob'],
      ['rollback', ...account],
      ['exempt', ...account, '--user', 'bob', '--days', '2'],
      ['sweep', '--plan', ...account, '--user', 'bob'],
      ['exemptions', 'list', ...account],
      ['exemptions', 'list'],
    ]) {
      const run = await readOnly(...argv, '--json')
      expect(run.stderr, argv.join(' ')).toBe('')
      expect(run.code, argv.join(' ')).toBe(0)
    }
    const sweeps = JSON.parse((await readOnly('audit', 'sweeps', '--json')).stdout) as {
      sweepId: string
      status: string
    }[]
    expect(sweeps.find((s) => s.sweepId === 'left-running')?.status).toBe('stalled')
    expect((await h.store.sweeps.get('left-running'))?.status).toBe('running')
  })

  it('names the table and the region it looked in when the table is not there', async () => {
    const { cli } = await givenDemoOrg(undefined, 'dynamo')
    const { code, stderr } = await cli('--region', 'eu-west-3', '--table', 'no-such-table', 'audit', 'sweeps')
    expect(code).toBe(2)
    expect(stderr).toMatch(/state table no-such-table not found in region eu-west-3/)
  })

  it('takes the region from the profile when AWS_REGION is unset, as the AWS CLI does', async () => {
    const { cli, env } = await givenDemoOrg(undefined, 'dynamo')
    const dir = mkdtempSync(join(tmpdir(), 'aws-config-'))
    writeFileSync(
      join(dir, 'config'),
      `[profile operator]\nregion = eu-north-1\naws_access_key_id = ${env.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${env.AWS_SECRET_ACCESS_KEY}\n`,
    )
    const saved = { region: process.env.AWS_REGION, config: process.env.AWS_CONFIG_FILE }
    process.env.AWS_CONFIG_FILE = join(dir, 'config')
    delete process.env.AWS_REGION
    onTestFinished(() => {
      process.env.AWS_REGION = saved.region
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE
      else process.env.AWS_CONFIG_FILE = saved.config
    })
    const withProfile = cliRunner({ ...env, AWS_REGION: undefined, AWS_CONFIG_FILE: join(dir, 'config') })
    const { stderr } = await withProfile(
      '--profile',
      'operator',
      '--table',
      'no-such-table',
      'audit',
      'sweeps',
    )
    expect(stderr).toMatch(/not found in region eu-north-1/)
    expect(cli).toBeDefined()
  })

  it('prints nothing but the JSON on stdout with `npm run -s cli -- ... --json`, so it pipes into jq', async () => {
    const { cli, env } = await givenDemoOrg(undefined, 'dynamo')
    await cli('sweep', '--account', DEMO_ACCOUNTS.production)
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '-s', 'cli', '--', 'audit', 'sweeps', '--json'],
      {
        env,
      },
    )
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ status: 'completed', accountCount: 1 })])
  })

  it('rolls back a whole account only with --yes off a terminal, and asks on one with the counts', async () => {
    const { cli, h } = await givenDemoOrg()
    await cli('sweep', '--enforce', '--confirm-large-change', '--account', DEMO_ACCOUNTS.production)
    const enforce = ['--reason', 'incident 12', '--enforce']
    const refused = await cli('rollback', '--account', DEMO_ACCOUNTS.production, ...enforce)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/needs --yes when not run from a terminal/)
    const idle = await cli('rollback', '--account', DEMO_ACCOUNTS.production, '--yes')
    expect(idle.code).toBe(2)
    expect(idle.stderr).toMatch(/--yes answers for a whole account with --enforce/)
    const preview = await cli('rollback', '--account', DEMO_ACCOUNTS.production)
    expect(preview.code).toBe(0)
    expect(preview.stdout).toMatch(/^Preview, nothing removed/)
    expect(preview.stdout).toMatch(/--reason "..." --enforce/)
    expect(preview.stdout).toContain(
      `least-privilege rollback --account ${DEMO_ACCOUNTS.production} --reason "..." --enforce`,
    )
    const unexplained = await cli('rollback', '--account', DEMO_ACCOUNTS.production, '--enforce', '--yes')
    expect(unexplained.code).toBe(2)
    expect(unexplained.stderr).toMatch(/give --reason TEXT/)
    expect((await h.store.audit.user(DEMO_ACCOUNTS.production, 'bob'))?.status).toBe('enforced')

    const wiring = { store: h.store }
    const declined = await cliRunner(
      { ...process.env, ...hubTestEnv() },
      { columns: 120, answers: ['n'] },
      wiring,
    )('rollback', '--account', DEMO_ACCOUNTS.production, ...enforce)
    expect(declined.code).toBe(2)
    expect(declined.stderr).toMatch(
      /Remove [1-9]\d* denies \([1-9]\d* policies\) from [1-9]\d* users of 222222222222, and exempt them\?[\s\S]*not confirmed/,
    )
    const confirmed = await cliRunner(
      { ...process.env, ...hubTestEnv() },
      { columns: 120, answers: ['y'] },
      wiring,
    )('rollback', '--account', DEMO_ACCOUNTS.production, ...enforce, '--json')
    expect(confirmed.code).toBe(0)
    expect(JSON.parse(confirmed.stdout)).toMatchObject({
      preview: false,
      accountId: DEMO_ACCOUNTS.production,
    })
  })

  it("shows why an account was braked, and one sweep's accounts with `audit sweep ID`", async () => {
    const { cli } = await givenDemoOrg()
    const sweep = await cli('sweep', '--enforce', '--account', DEMO_ACCOUNTS.development, '--json')
    expect(sweep.code).toBe(3)
    const report = JSON.parse(sweep.stdout) as { sweepId: string }
    const text = await cli('audit', 'sweep', report.sweepId)
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/completed in \d+ ms/)
    expect(text.stdout).toMatch(/1 of 1 accounts done/)
    expect(text.stdout).toMatch(/333333333333 .*braked.*brake: \d+ of \d+ users/)
    const json = JSON.parse((await cli('audit', 'sweep', report.sweepId, '--json')).stdout)
    expect(json).toMatchObject({
      sweep: { sweepId: report.sweepId, accountsBraked: 1 },
      accounts: [{ accountId: DEMO_ACCOUNTS.development, brake: expect.stringMatching(/would be newly/) }],
    })
    const missing = await cli('audit', 'sweep', 'no-such-sweep')
    expect(missing.stderr).toMatch(/no sweep no-such-sweep/)
  })

  it("shows one user's plan, service by service, and records nothing", async () => {
    const { cli, h } = await givenDemoOrg()
    const writes = h.store.writeCount
    const plan = await cli('sweep', '--plan', '--account', DEMO_ACCOUNTS.production, '--user', 'bob')
    expect(plan.code).toBe(0)
    expect(plan.stdout).toMatch(/bob in 222222222222: \d+ to deny \(planned; /)
    expect(plan.stdout).toMatch(/deny .*ec2 .*unused/)
    expect(h.store.writeCount).toBe(writes)
    expect(h.emulator.count({ writes: true })).toBe(0)
    const json = JSON.parse(
      (await cli('sweep', '--plan', '--account', DEMO_ACCOUNTS.production, '--user', 'bob', '--json')).stdout,
    )
    expect(json.added).toEqual(
      expect.arrayContaining([expect.objectContaining({ namespace: 'ec2', reason: 'unused' })]),
    )
    const misuse = await cli('sweep', '--enforce', '--account', DEMO_ACCOUNTS.production, '--user', 'bob')
    expect(misuse.code).toBe(2)
    expect(misuse.stderr).toMatch(/--user shows one plan/)
  })

  it("keeps an exemption's reason and operator in the user's history, past the exemption's own end", async () => {
    const { cli } = await givenDemoOrg()
    await cli('sweep', '--account', DEMO_ACCOUNTS.production)
    const exempt = await cli(
      'exempt',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'bob',
      '--days',
      '1',
      '--reason',
      'incident 42',
      '--enforce',
    )
    expect(exempt.code).toBe(0)
    await cli(
      'exemptions',
      'revoke',
      '--account',
      DEMO_ACCOUNTS.production,
      '--user',
      'bob',
      '--reason',
      'incident 42 closed',
      '--enforce',
    )
    const history = JSON.parse(
      (await cli('audit', 'history', '--account', DEMO_ACCOUNTS.production, '--user', 'bob', '--json'))
        .stdout,
    ) as { status: string; reason: string; actor?: string }[]
    const operator = `arn:aws:iam::${DEMO_ACCOUNTS.management}:user/administrator`
    expect(history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          status: 'exempted',
          reason: expect.stringMatching(/incident 42/),
          actor: operator,
        }),
        expect.objectContaining({
          status: 'exemption-revoked',
          actor: operator,
          reason: expect.stringMatching(/incident 42 closed/),
        }),
      ]),
    )
  })

  it('on a terminal, writes warnings as sentences and fits tables to its width', async () => {
    const { cli } = await givenDemoOrg({ columns: 90 })
    // The flag over LOG_LEVEL, whatever another test left in the environment.
    const sweep = await cli('--log-level', 'warn', 'sweep')
    expect(sweep.stderr).toMatch(/alert: account unreachable \(account 444444444444\): /)
    expect(sweep.stderr).not.toMatch(/"level"/)
    const tableLines = sweep.stdout.split('\n').filter((l) => /^[│┌└├]/.test(l))
    expect(tableLines.length).toBeGreaterThan(4)
    const widest = Math.max(...tableLines.map((l) => l.length))
    expect(widest).toBeLessThanOrEqual(90)
    const json = await cli('--log-level', 'warn', '--log-format', 'json', 'sweep')
    expect(json.stderr).toMatch(/"event":"alert.account-unreachable"/)
  })
})

describe('Ctrl-C', () => {
  it('stops the sweep at user boundaries, gives every lock back, and records it interrupted', async () => {
    // Slow Access Advisor jobs: the sweep is still at work when the operator presses Ctrl-C.
    const h = await startOrgHarness(demoOrg(), { accessAdvisorLatencyMs: 300 }, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() }, undefined, { store: h.store })
    const listeners = process.listenerCount('SIGINT')
    const running = cli('sweep', '--plan')
    await new Promise((resolve) => setTimeout(resolve, 800))
    process.emit('SIGINT')
    const run = await running
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/interrupted: the users in flight finish, then the locks are given back/)
    expect(run.stderr).toMatch(/sweep \S+ interrupted: \d+ account\(s\) not swept/)
    const [sweep] = await h.store.sweeps.recent(1)
    expect(sweep).toMatchObject({ status: 'stalled', reason: 'interrupted by the operator' })
    for (const id of Object.values(DEMO_ACCOUNTS)) expect(await h.store.locks.holderOf(id)).toBeUndefined()
    expect(process.listenerCount('SIGINT')).toBe(listeners)
  })
})

describe('output people can use', () => {
  it('never cuts an ID at 80 columns, and --output text gives whole records, tab-separated', async () => {
    const { cli } = await givenDemoOrg({ columns: 80 })
    await cli('sweep', '--account', DEMO_ACCOUNTS.production)
    const [sweep] = JSON.parse((await cli('audit', 'sweeps', '--output', 'json')).stdout) as {
      sweepId: string
    }[]
    const sweepId = must(sweep, 'a sweep').sweepId
    const table = await cli('audit', 'sweeps')
    expect(table.stdout).toContain(sweepId)
    const text = (await cli('audit', 'sweeps', '--output', 'text')).stdout.trim().split('\n')
    expect(text).toHaveLength(1)
    expect(text[0]?.split('\t').slice(0, 2)).toEqual([sweepId, 'plan'])
    // --json stays, as the records themselves.
    expect(JSON.parse((await cli('audit', 'sweeps', '--json')).stdout)[0]).toMatchObject({ sweepId })
  })
})

/** The store as the operator role reaches it: any write is refused, as the table's policy refuses it. */
function refusingWrites(store: StateStore): StateStore {
  const reads =
    /^(get|targets|isDone|progress|accounts|recent|loadAccount|holderOf|user|history|attemptsSince|requestsSince|scheduled|usersByStatus|accountsByStatus|credentials|exemptions|plans|written)$/
  const guard = <T extends object>(part: T): T =>
    new Proxy(part, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (typeof value !== 'function') return value
        // Bound to the store itself: its own helpers are not the operator's calls.
        if (reads.test(String(name)) || name === 'reportSink') return value.bind(target)
        return () => {
          throw new Error(`AccessDenied: ${String(name)} writes the table`)
        }
      },
    })
  return {
    sweeps: guard(store.sweeps),
    users: guard(store.users),
    locks: guard(store.locks),
    audit: guard(store.audit),
    writeCount: 0,
  }
}
