import type { Command } from 'commander'
import { addExemption, listExemptions, revokeExemption } from '../../shared/app/exemptions.js'
import { ConfigError } from '../../shared/errors.js'
import { exemptionsReply } from '../event.js'
import { accountId, actions, int, namespaces, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'

export function addExemptCommand(program: Command, cli: CliContext): void {
  program
    .command('exempt')
    .description('exempt a user (or one service of a user) for some days; expires by itself')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option('--service <namespace>', 'only this service, with its actions (e.g. s3; repeatable)', namespaces)
    .option('--action <service:Action>', 'only this action (e.g. iam:CreateUser; repeatable)', actions)
    .requiredOption('--days <n>', 'how long', int('days', 1, 365))
    .option('--reason <text>', 'why, for the audit trail', 'not given')
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user: string
        service?: string[]
        action?: string[]
        days: number
        reason: string
        json?: boolean
      }) => {
        const only = [...(o.service ?? []), ...(o.action ?? [])]
        const grant = {
          accountId: o.account,
          userName: o.user,
          ...(only.length > 0 ? { services: only } : {}),
          days: o.days,
          reason: o.reason,
        }
        const hub = cli.hubConfig().hubFunctionName
        const exemptions = hub
          ? await inHub(cli, hub, { action: 'exempt', ...grant }, exemptionsReply)
          : await addExemption(cli.store(), { ...grant, now: new Date(), actor: await cli.callerArn() })
        cli.print(
          o.json,
          exemptions,
          () =>
            `exempted ${o.user}${only.length > 0 ? ` from denies of ${only.join(', ')}` : ''} in ${o.account} until ${exemptions[0]?.until}\nThe next sweep lifts the denies; one that would lift most of a user's denies (5 or more) holds them until confirmed: least-privilege sweep --enforce --confirm-large-change --account ${o.account}`,
        )
      },
    )
  addExemptionsCommands(program, cli)
}

function addExemptionsCommands(program: Command, cli: CliContext): void {
  const exemptions = program.command('exemptions').description('temporary exemptions in force')
  exemptions
    .command('list')
    .description("an account's exemptions")
    .requiredOption('--account <id>', 'account id', accountId)
    .option('--json', 'JSON output')
    .action(async (o: { account: string; json?: boolean }) => {
      const rows = await listExemptions(cli.store(), o.account, new Date())
      cli.print(o.json, rows, () =>
        rows
          .map((e) => `${e.userName}${e.service ? ` ${e.service}` : ''} until ${e.until}: ${e.reason}`)
          .join('\n'),
      )
    })
  exemptions
    .command('revoke')
    .description('lift an exemption before its end (the next sweep applies the denies again)')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option('--service <namespace>', 'the service exemption to lift (default: the whole-user one)')
    .option('--action <service:Action>', 'the action exemption to lift', (v: string) => actions(v)[0])
    .option('--json', 'JSON output: the exemption rows lifted')
    .action(
      async (o: { account: string; user: string; service?: string; action?: string; json?: boolean }) => {
        if (o.service && o.action)
          throw new ConfigError('exemptions revoke: give --service or --action, not both')
        const only = o.service ?? o.action
        const what = { accountId: o.account, userName: o.user, ...(only ? { service: only } : {}) }
        const hub = cli.hubConfig().hubFunctionName
        const revoked = hub
          ? await inHub(cli, hub, { action: 'revoke', ...what }, exemptionsReply)
          : await revokeExemption(cli.store(), { ...what, now: new Date(), actor: await cli.callerArn() })
        cli.print(
          o.json,
          revoked,
          () => `revoked the exemption of ${o.user}${only ? ` from ${only}` : ''} in ${o.account}`,
        )
      },
    )
}
