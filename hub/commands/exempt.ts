import type { Command } from 'commander'
import { addExemption } from '../exemptions.js'
import { accountId, int } from './args.js'
import type { CliContext } from './context.js'

export function addExemptCommand(program: Command, cli: CliContext): void {
  program
    .command('exempt')
    .description('exempt a user (or one service of a user) for some days; expires by itself')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name')
    .option('--service <namespace>', 'only this service (e.g. s3)')
    .requiredOption('--days <n>', 'how long', int('days', 1, 365))
    .option('--reason <text>', 'why, for the audit trail', 'not given')
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user: string
        service?: string
        days: number
        reason: string
        json?: boolean
      }) => {
        const exemption = await addExemption(cli.store(), {
          accountId: o.account,
          userName: o.user,
          ...(o.service ? { service: o.service } : {}),
          days: o.days,
          reason: o.reason,
          now: new Date(),
        })
        cli.print(
          o.json,
          exemption,
          () =>
            `exempted ${o.user}${o.service ? ` from denies of ${o.service}` : ''} in ${o.account} until ${exemption.until}`,
        )
      },
    )
}
