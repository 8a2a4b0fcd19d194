import type { Command } from 'commander'
import { rollback } from '../rollback.js'
import { createRuntime } from '../runtime.js'
import { accountId } from './args.js'
import type { CliContext } from './context.js'
import * as out from './output.js'

export function addRollbackCommand(program: Command, cli: CliContext): void {
  program
    .command('rollback')
    .description("remove the project's deny policies from a user or a whole account, and record it")
    .requiredOption('--account <id>', 'account id', accountId)
    .option('--user <name>', 'only this user')
    .option('--dry-run', 'show what would be removed')
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user?: string; dryRun?: boolean; json?: boolean }) => {
      const config = cli.hubConfig()
      const runtime = createRuntime(config, cli.log())
      const results = await rollback(
        runtime.sweepDeps({ remainingMs: () => Number.POSITIVE_INFINITY }),
        config,
        {
          accountId: o.account,
          ...(o.user ? { userName: o.user } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
        },
      )
      cli.print(
        o.json,
        results,
        () =>
          `${out.rollbackTable(results)}\nEach released service's clock restarts: it is denied again only after a full window without use.`,
      )
    })
}
