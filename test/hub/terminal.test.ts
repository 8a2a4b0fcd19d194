/**
 * The CLI as an operator sees it, through a real pseudo-terminal (util-linux `script`) 80 columns wide:
 * the progress bar, the warnings above it, and tables whose IDs are whole.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { DEMO_ACCOUNTS, demoOrg } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startDynamoHarness } from '../support/org-harness.js'

/** Runs the CLI's bin in a pseudo-terminal of 80 columns; everything it wrote, as the terminal got it. */
async function atTerminal(
  env: NodeJS.ProcessEnv,
  ...argv: string[]
): Promise<{ code: number; screen: string }> {
  const command = `stty cols 80 rows 40; node_modules/.bin/tsx hub/bin.ts ${argv.join(' ')}`
  try {
    const { stdout } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], {
      env,
      timeout: 60_000,
    })
    return { code: 0, screen: stdout }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string }
    return { code: failed.code ?? -1, screen: failed.stdout ?? '' }
  }
}

describe('at an 80-column terminal', () => {
  it('shows users done, accounts and an estimate, prints every warning whole above the bar, and cuts no ID', async () => {
    await startDynamoHarness(demoOrg(), {}, 'test')
    const env = { ...process.env, ...hubTestEnv(), LOG_LEVEL: 'warn' }
    const sweep = await atTerminal(env, 'sweep', '--enforce', '--confirm-large-change')
    expect(sweep.code, sweep.screen).toBe(3) // the sandbox account has no spoke role
    // The bar counts users (the demo organization's, listed account by account), then accounts, with an ETA.
    expect(sweep.screen).toMatch(/\d+\/\d+ users \| \d\/4 accounts \| \d+s \| ETA /)
    expect(sweep.screen).toMatch(/█+ (\d+)\/\1 users \| 4\/4 accounts/)
    // The terminal keeps wrapping: a log line longer than the line is whole on screen, never cut at its edge.
    expect(sweep.screen).not.toContain('\x1b[?7l')
    const warning = /alert: account unreachable \(account 444444444444\): [^\r\n]+/.exec(sweep.screen)?.[0]
    expect(warning?.length).toBeGreaterThan(80)
    // The result comes after the bar's last state, not over it.
    expect(sweep.screen.lastIndexOf('4/4 accounts')).toBeLessThan(sweep.screen.indexOf('│ account'))
    const { suspended: _, ...active } = DEMO_ACCOUNTS
    for (const id of Object.values(active)) expect(sweep.screen).toMatch(new RegExp(`│ ${id} +│`))

    const sweeps = await atTerminal(env, 'audit', 'sweeps')
    expect(sweeps.code, sweeps.screen).toBe(0)
    expect(sweeps.screen).toMatch(/│ \d{8}T\d{9}Z-[0-9a-f]{6} +│ enforce/)
    const sweepId = /\d{8}T\d{9}Z-[0-9a-f]{6}/.exec(sweeps.screen)?.[0] ?? ''
    const bob = ['--account', DEMO_ACCOUNTS.production, '--user', 'bob']
    // Every view fits the terminal: what cannot is left out (named under the table), or the rows become
    // records, a field a line; never a table wider than the terminal, wrapped through its IDs.
    const views = [
      ['audit', 'sweeps'],
      ['audit', 'sweep', sweepId],
      ['audit', 'user', ...bob],
      ['audit', 'history', ...bob],
      ['audit', 'accounts'],
      ['audit', 'credentials'],
    ]
    // Read-only views, run side by side: each is a process of its own.
    const screens = await Promise.all(
      views.map((argv) => (argv[1] === 'sweeps' ? sweeps : atTerminal(env, ...argv))),
    )
    for (const [i, argv] of views.entries()) {
      const view = screens[i] ?? { code: -1, screen: '' }
      expect(view.code, view.screen).toBe(0)
      const tableLines = view.screen.split('\r\n').filter((line) => /^[│┌├└]/.test(line))
      for (const line of tableLines) expect(line.length, `${argv.join(' ')}: ${line}`).toBeLessThanOrEqual(80)
    }
    // audit history of bob does not fit as a table (a sweep id, a time and prose side by side): records.
    const history = screens[3] ?? { screen: '' }
    expect(history.screen).toMatch(/^at: +\d{4}-\d{2}-\d{2}T[\d:.]+Z\r?$/m)
    expect(history.screen).toMatch(/^sweep: +\d{8}T\d{9}Z-[0-9a-f]{6}\r?$/m)
    // Eight processes through a pseudo-terminal: a loaded machine takes longer than the usual 30 s.
  }, 120_000)
})

describe('through a pipe', () => {
  it('ends quietly with exit 0 when the reader stops early (| head)', async () => {
    await startDynamoHarness(demoOrg(), {}, 'test')
    const env = { ...process.env, ...hubTestEnv(), LOG_LEVEL: 'silent' }
    const bin = 'node_modules/.bin/tsx hub/bin.ts'
    await promisify(execFile)(
      'bash',
      ['-c', `${bin} sweep --account ${DEMO_ACCOUNTS.production} >/dev/null`],
      {
        env,
      },
    )
    // alice's stored report holds hundreds of services: far more than a pipe's buffer.
    const user = `audit user --account ${DEMO_ACCOUNTS.production} --user alice --json`
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      ['-c', `${bin} ${user} | head -c 100 >/dev/null; echo "exit \${PIPESTATUS[0]}"`],
      { env },
    )
    expect(stdout.trim()).toBe('exit 0')
    expect(stderr).not.toMatch(/EPIPE|Error/)
  })
})
