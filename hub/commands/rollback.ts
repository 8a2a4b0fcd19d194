import type { Command } from 'commander'
import { rollback } from '../../shared/app/operator.js'
import { ConfigError } from '../../shared/errors.js'
import { rollbackReply } from '../event.js'
import { accountId, isoDate, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'
import * as out from './output.js'

export function addRollbackCommand(program: Command, cli: CliContext): void {
  program
    .command('rollback')
    .description("remove the project's deny policies from a user or a whole account, and record it")
    .requiredOption('--account <id>', 'account id', accountId)
    .option('--user <name>', 'only this user', userName)
    .option('--dry-run', 'show what would be removed (a preview: nothing is changed)')
    .option('--yes', 'roll back every user of the account without asking (needed off a terminal)')
    .option(
      '--exempt-until <date>',
      'the exemption recorded with it ends then (default: until lifted)',
      isoDate,
    )
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user?: string
        dryRun?: boolean
        yes?: boolean
        exemptUntil?: string
        json?: boolean
      }) => {
        if (o.user === undefined && !o.dryRun && !o.yes) {
          const question = `Remove every deny of every user of ${o.account} and exempt them? [y/N] `
          const confirmed = cli.io.confirm ? await cli.io.confirm(question) : undefined
          if (confirmed === undefined)
            throw new ConfigError(
              `yes: rolling back every user of ${o.account} needs --yes when not run from a terminal`,
            )
          if (!confirmed) throw new ConfigError('yes: not confirmed; nothing was changed')
        }
        const { config, deps } = cli.operator()
        const target = {
          accountId: o.account,
          ...(o.user !== undefined ? { userName: o.user } : {}),
          ...(o.exemptUntil ? { exemptUntil: o.exemptUntil } : {}),
        }
        // A preview writes nothing and runs here; a rollback records, so the hub carries it out.
        const hub = o.dryRun ? undefined : config.hubFunctionName
        const results = hub
          ? await inHub(cli, hub, { action: 'rollback', ...target }, rollbackReply)
          : await rollback(deps, config, {
              ...target,
              ...(o.dryRun ? { dryRun: true } : { actor: await cli.callerArn() }),
            })
        cli.print(
          o.json,
          { preview: o.dryRun === true, accountId: o.account, users: results },
          () =>
            `${o.dryRun ? 'Preview, nothing removed:\n' : ''}${out.rollbackTable(results)}\n${o.dryRun ? '' : `Each user is exempt ${o.exemptUntil ? `until ${o.exemptUntil}` : 'until lifted (least-privilege exemptions revoke)'}; then each service's clock restarts: it is denied again only after a full window without use.`}`,
        )
      },
    )
}
