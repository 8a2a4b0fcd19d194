/**
 * The README's first-deployment commands, as an operator copies them, run against the emulated
 * organization with the defaults the stack leaves (NOTICE_DAYS 7): a plan, its review, then the first
 * enforce sweep, which announces and denies nothing yet. (The same commands through the hub function,
 * with the operator's proof, are in test/hub/cli-operations.test.ts.)
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cliRunner } from '../support/cli-runner.js'
import { DEMO_ACCOUNTS, demoOrg, must, PATH } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startDynamoHarness } from '../support/org-harness.js'

/** Each `npm run -s cli -- ...` line of the section, as the shell would pass its words. */
function readmeCommands(): string[][] {
  const readme = readFileSync('README.md', 'utf8')
  const section = must(
    /### First deployment\n([\s\S]*?)\n### /.exec(readme)?.[1],
    'the First deployment section',
  )
  return [...section.matchAll(/^npm run -s cli -- (.+?)(?:\s+#.*)?$/gm)].map((m) =>
    (m[1] ?? '')
      .trim()
      .split(/\s+/)
      .map((word) => (word === '"$AWS_REGION"' ? 'us-east-1' : word)),
  )
}

describe("the README's first deployment", () => {
  it('plans, reviews the plan, then announces every deny a week ahead and denies nothing', async () => {
    const h = await startDynamoHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv(), NOTICE_DAYS: '7' })
    const commands = readmeCommands()
    expect(commands.map((c) => c.slice(2, 4).join(' '))).toEqual([
      'sweep --plan',
      'audit sweeps',
      'audit sweep',
      'audit plan',
      'audit accounts',
      'sweep --enforce',
    ])
    let sweepId = ''
    const outputs: string[] = []
    for (const command of commands) {
      const run = await cli(...command.map((word) => (word === 'SWEEP_ID' ? sweepId : word)))
      // 3: a sweep that left the sandbox, which has no spoke role, unreachable; a read of the audit is 0.
      const expected = command[2] === 'sweep' ? [0, 3] : [0]
      expect(expected, `${command.join(' ')}: ${run.stderr}`).toContain(run.code)
      sweepId ||= must(/sweep (\d{8}T\d{9}Z-[0-9a-f]{6})/.exec(run.stdout)?.[1], 'the sweep id')
      outputs.push(run.stdout)
    }
    const [, sweeps, sweep, plan, accounts, enforce] = outputs
    expect(sweeps).toContain(sweepId)
    expect(sweep).toMatch(new RegExp(`sweep ${sweepId} \\(plan`))
    expect(plan).toMatch(/\d+ users would change/)
    expect(plan).toMatch(new RegExp(`${DEMO_ACCOUNTS.production} .*deny on \\d{4}-\\d{2}-\\d{2}`))
    expect(accounts).toMatch(new RegExp(`${DEMO_ACCOUNTS.sandbox} .*unreachable`))
    expect(enforce).toMatch(/\(enforce\): completed/)
    // The first enforce sweep schedules; it attaches nothing of ours anywhere.
    const attached = [...h.emulator.state.accounts.values()].flatMap((a) =>
      [...a.users.values()].flatMap((u) => u.attached.filter((arn) => arn.includes(PATH))),
    )
    expect(attached).toEqual([])
    expect((await cli('audit', 'scheduled', '--json')).stdout).toMatch(/"on": "\d{4}-\d{2}-\d{2}"/)
  })
})
