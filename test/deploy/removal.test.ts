import { readFileSync } from 'node:fs'
import { AttachUserPolicyCommand, CreatePolicyCommand } from '@aws-sdk/client-iam'
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations'
import { describe, expect, it } from 'vitest'
import { createIamClient } from '../../shared/aws/clients.js'
import { credentialsFor } from '../emulator/server.js'
import { cliRunner } from '../support/cli-runner.js'
import { DEMO_ACCOUNTS, demoOrg, freshAccountId, must, PATH } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startDynamoHarness } from '../support/org-harness.js'

/** The README's removal loop, as an operator copies it: the account listing and the CLI command. */
function readmeRemovalLoop(): { query: string; command: string[] } {
  const readme = readFileSync('README.md', 'utf8')
  const section = must(/### Removal\n([\s\S]*?)\n## /.exec(readme)?.[1], 'the Removal section')
  const query = must(/--query '([^']+)'/.exec(section)?.[1], 'the list-accounts query')
  const line = must(/npm run -s cli -- (.*rollback.*?) \|\|/m.exec(section)?.[1], 'the rollback line')
  // The shell's words, with the loop variable and the region filled in as the shell would.
  const command = line
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/^"\$a"$/, '$a').replace(/^"\$AWS_REGION"$/, 'us-east-1'))
  return { query, command }
}

describe("the README's removal sequence", () => {
  it('leaves no policy of ours, attached or not, in any account', async () => {
    const h = await startDynamoHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() })
    const enforced = await cli('sweep', '--enforce', '--confirm-large-change')
    expect(enforced.code).toBe(3) // the sandbox account has no spoke role
    const ours = () =>
      [...h.emulator.state.accounts.values()].flatMap((account) => [
        ...[...account.policies.values()].filter((p) => p.path === PATH).map((p) => p.arn),
        ...[...account.users.values()].flatMap((u) => u.attached.filter((arn) => arn.includes(PATH))),
      ])
    expect(ours().length).toBeGreaterThan(10)
    // Someone planted a policy under the path, and a restricted user was deleted since the last sweep.
    const production = must(h.emulator.state.accounts.get(DEMO_ACCOUNTS.production), 'production')
    const admin = createIamClient({ credentials: credentialsFor(DEMO_ACCOUNTS.production), maxAttempts: 1 })
    const planted = await admin.send(
      new CreatePolicyCommand({
        PolicyName: 'backdoor',
        Path: PATH,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    )
    await admin.send(
      new AttachUserPolicyCommand({ UserName: 'carl', PolicyArn: must(planted.Policy?.Arn, 'planted ARN') }),
    )
    production.users.delete('bob')

    const { query, command } = readmeRemovalLoop()
    expect(query).toBe('Accounts[?State==`ACTIVE` || Status==`ACTIVE`].Id')
    const { Accounts = [] } = await new OrganizationsClient({}).send(new ListAccountsCommand({}))
    const active = Accounts.filter((a) => a.State === 'ACTIVE' || a.Status === 'ACTIVE').map((a) =>
      must(a.Id, 'account id'),
    )
    expect(active).not.toContain(DEMO_ACCOUNTS.suspended)
    for (const accountId of active) {
      const run = await cli(...command.map((word) => (word === '$a' ? accountId : word)))
      // Every account is done: the sandbox, outside the StackSet's reach with nothing of ours on record,
      // is not left for the loop to list "to roll back again" forever.
      expect(run.code, `${accountId}: ${run.stderr}`).toBe(0)
      if (accountId === DEMO_ACCOUNTS.sandbox)
        expect(run.stdout).toMatch(/nothing of the project's to remove/)
    }
    expect(ours()).toEqual([])
  })

  it('still fails, and says so, for an account a sweep reached whose spoke role now refuses', async () => {
    // Its denies may be stranded there (the role removed by hand): never "nothing to remove".
    const h = await startDynamoHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() })
    await cli('sweep', '--enforce', '--confirm-large-change', '--account', DEMO_ACCOUNTS.production)
    must(h.emulator.state.accounts.get(DEMO_ACCOUNTS.production), 'production').spokeRole = false
    const run = await cli(
      'rollback',
      '--account',
      DEMO_ACCOUNTS.production,
      '--reason',
      'uninstall',
      '--enforce',
      '--yes',
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/AccessDenied/)
  })

  it('still fails for an account a sweep reached with no user (a policy may be planted there), or one no sweep knows', async () => {
    const h = await startDynamoHarness(demoOrg(), {}, 'test')
    const cli = cliRunner({ ...process.env, ...hubTestEnv() })
    const empty = freshAccountId()
    const account = h.emulator.addAccount({ id: empty, users: [] })
    await cli('sweep', '--enforce', '--account', empty)
    account.spokeRole = false
    const rollback = (id: string) =>
      cli('rollback', '--account', id, '--reason', 'uninstall', '--enforce', '--yes')
    const reached = await rollback(empty)
    expect(reached.code, reached.stdout).toBe(1)
    expect(reached.stderr).toMatch(/AccessDenied/)
    // A mistyped id: no sweep ever targeted it, so nothing says it holds nothing of ours.
    const unknown = await rollback('999999999999')
    expect(unknown.code, unknown.stdout).not.toBe(0)
  })
})
