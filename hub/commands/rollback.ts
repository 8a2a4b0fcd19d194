import type { Command } from 'commander'
import { NO_CURRENT_USER, type RollbackResult, rollback } from '../../shared/app/operator.js'
import { ConfigError } from '../../shared/errors.js'
import { rollbackReply } from '../event.js'
import { accountId, isoDate, reasonFor, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'
import { rollbackTable } from './plan-output.js'

interface RollbackFlags {
  account: string
  user?: string
  reason?: string
  enforce?: boolean
  yes?: boolean
  exemptUntil?: string
  json?: boolean
}

export function addRollbackCommand(program: Command, cli: CliContext): void {
  program
    .command('rollback')
    .description(
      "remove the project's deny policies from a user or a whole account, and record it (a preview unless --enforce)",
    )
    .requiredOption('--account <id>', 'account id', accountId)
    .option('--user <name>', 'only this user', userName)
    .option('--reason <text>', 'why, recorded with it (needed with --enforce)')
    .option('--enforce', 'remove them (default: show what would be removed; nothing is changed)')
    .option(
      '--yes',
      'with --enforce: roll back every user of the account without asking (needed off a terminal)',
    )
    .option(
      '--exempt-until <date>',
      'the exemption recorded with it ends then (default: until lifted)',
      isoDate,
    )
    .option('--json', 'JSON output')
    .action(async (o: RollbackFlags) => {
      const reason = reasonFor('rollback', o)
      if (o.yes && (!o.enforce || o.user !== undefined))
        throw new ConfigError(
          'yes: --yes answers for a whole account with --enforce; without both it means nothing',
        )
      const asks = o.enforce && o.user === undefined && !o.yes
      // Off a terminal nobody can answer: said before the preview reads every user of the account.
      if (asks && !cli.io.confirm) throw new ConfigError(noAnswer(o.account))
      const target = {
        accountId: o.account,
        ...(o.user !== undefined ? { userName: o.user } : {}),
        ...(o.exemptUntil ? { exemptUntil: o.exemptUntil } : {}),
      }
      const { config, deps } = cli.operator()
      // A preview writes nothing and runs here, through the operator's read-only spoke role.
      const preview = () => rollback(deps, config, { ...target, dryRun: true })
      if (!o.enforce) return show(cli, o, await preview())
      if (asks) await confirmWhole(cli, o.account, await preview())
      // A rollback records, so the hub carries it out when there is one.
      const hub = config.hubFunctionName
      const results = hub
        ? await inHub(cli, hub, { action: 'rollback', ...target, reason }, rollbackReply)
        : await rollback(deps, config, { ...target, reason, actor: await cli.callerArn() })
      show(cli, o, results)
    })
}

/** What a whole account's rollback would lift, asked about before it is: the counts, then yes or no. */
async function confirmWhole(cli: CliContext, account: string, preview: RollbackResult[]): Promise<void> {
  const users = preview.filter((r) => r.userName !== NO_CURRENT_USER)
  const denies = preview.reduce((n, r) => n + r.released.length + r.cancelled.length, 0)
  const policies = preview.reduce((n, r) => n + r.removedPolicies.length, 0)
  const question = `Remove ${denies} denies (${policies} policies) from ${users.length} users of ${account}, and exempt them? [y/N] `
  const confirmed = cli.io.confirm ? await cli.io.confirm(question) : undefined
  if (confirmed === undefined) throw new ConfigError(noAnswer(account))
  if (!confirmed) throw new ConfigError('yes: not confirmed; nothing was changed')
}

const noAnswer = (account: string) =>
  `yes: rolling back every user of ${account} needs --yes when not run from a terminal`

function show(cli: CliContext, o: RollbackFlags, results: RollbackResult[]): void {
  const until = o.exemptUntil ? `until ${o.exemptUntil}` : 'until lifted (least-privilege exemptions revoke)'
  cli.print(o.json, { preview: !o.enforce, accountId: o.account, users: results }, () =>
    results.length === 0
      ? `nothing of the project's to remove in ${o.account}${o.user ? ` for ${o.user}` : ''}`
      : o.enforce
        ? `${rollbackTable(results)}\nEach user is exempt ${until}; then each service's clock restarts: it is denied again only after a full window without use.`
        : `Preview, nothing removed:\n${rollbackTable(results)}\nTo remove them, recorded with why: ${cli.enforceLine()}`,
  )
}
