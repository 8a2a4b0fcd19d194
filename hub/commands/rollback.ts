import type { Command } from 'commander'
import { rollback } from '../rollback.js'
import { accountId, isoDate } from './args.js'
import type { CliContext } from './context.js'
import * as out from './output.js'

export function addRollbackCommand(program: Command, cli: CliContext): void {
  program
    .command('rollback')
    .description("remove the project's deny policies from a user or a whole account, and record it")
    .requiredOption('--account <id>', 'account id', accountId)
    .option('--user <name>', 'only this user')
    .option('--dry-run', 'show what would be removed')
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
        exemptUntil?: string
        json?: boolean
      }) => {
        const { config, deps } = cli.operator()
        const results = await rollback(deps, config, {
          accountId: o.account,
          ...(o.user ? { userName: o.user } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
          ...(o.exemptUntil ? { exemptUntil: o.exemptUntil } : {}),
        })
        cli.print(
          o.json,
          results,
          () =>
            `${o.dryRun ? 'Preview, nothing removed:\n' : ''}${out.rollbackTable(results)}\n${o.dryRun ? '' : `Each user is exempt ${o.exemptUntil ? `until ${o.exemptUntil}` : 'until lifted (least-privilege exemptions revoke)'}; then each service's clock restarts: it is denied again only after a full window without use.`}`,
        )
      },
    )
}
