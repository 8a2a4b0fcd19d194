import type { Command } from 'commander'
import {
  addExemption,
  exemptionsFor,
  listExemptions,
  revocable,
  revokeExemption,
} from '../../shared/app/exemptions.js'
import type { Exemption } from '../../shared/domain/records.js'
import { ConfigError } from '../../shared/errors.js'
import { exemptionsReply } from '../event.js'
import { accountId, actions, int, namespaces, reasonFor, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'
import * as out from './output.js'

interface ExemptFlags {
  account: string
  user: string
  service?: string[]
  action?: string[]
  days: number
  reason?: string
  enforce?: boolean
  json?: boolean
}

export function addExemptCommand(program: Command, cli: CliContext): void {
  program
    .command('exempt')
    .description(
      'exempt a user (or one service of a user) for some days; expires by itself (a preview unless --enforce)',
    )
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option('--service <namespace>', 'only this service, with its actions (e.g. s3; repeatable)', namespaces)
    .option('--action <service:Action>', 'only this action (e.g. iam:CreateUser; repeatable)', actions)
    .requiredOption('--days <n>', 'how long', int('days', 1, 365))
    .option('--reason <text>', 'why, recorded with it (needed with --enforce)')
    .option('--enforce', 'record it (default: show what would be recorded; nothing is changed)')
    .option('--json', 'JSON output')
    .action(async (o: ExemptFlags) => {
      const only = [...(o.service ?? []), ...(o.action ?? [])]
      const grant = {
        accountId: o.account,
        userName: o.user,
        ...(only.length > 0 ? { services: only } : {}),
        days: o.days,
        reason: reasonFor('exempt', o),
      }
      const what = `${o.user}${only.length > 0 ? ` from denies of ${only.join(', ')}` : ''} in ${o.account}`
      if (!o.enforce) {
        // Checked against the recorded state as the grant itself would be; nothing is written.
        const { exemptions } = await exemptionsFor(cli.store(), { ...grant, now: new Date() })
        return cli.print(o.json, { preview: true, exemptions }, () =>
          [
            `Preview, nothing recorded: would exempt ${what} until ${exemptions[0]?.until}`,
            `To record it, with why: ${cli.enforceLine()}`,
          ].join('\n'),
        )
      }
      const hub = cli.hubConfig().hubFunctionName
      const exemptions = hub
        ? await inHub(cli, hub, { action: 'exempt', ...grant }, exemptionsReply)
        : await addExemption(cli.store(), { ...grant, now: new Date(), actor: await cli.callerArn() })
      cli.print(
        o.json,
        exemptions,
        () =>
          `exempted ${what} until ${exemptions[0]?.until}\nThe next sweep lifts the denies; one that would lift most of a user's denies (5 or more) holds them until confirmed: least-privilege sweep --enforce --confirm-large-change --account ${o.account}`,
      )
    })
  addExemptionsCommands(program, cli)
}

function addExemptionsCommands(program: Command, cli: CliContext): void {
  const exemptions = program.command('exemptions').description('temporary exemptions in force')
  exemptions
    .command('list')
    .description('the exemptions in force, of one account or of every account swept')
    .option('--account <id>', 'only this account', accountId)
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; json?: boolean }) => {
      const rows = await listExemptions(cli.store(), o.account, new Date())
      cli.print(o.json, rows, () => out.exemptionsTable(rows))
    })
  exemptions
    .command('revoke')
    .description(
      'lift an exemption before its end; the next sweep applies the denies again (a preview unless --enforce)',
    )
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option(
      '--service <namespace>',
      'the service exemption to lift (default: the whole-user one)',
      (v: string) => namespaces(v)[0],
    )
    .option('--action <service:Action>', 'the action exemption to lift', (v: string) => actions(v)[0])
    .option('--reason <text>', 'why, recorded with it (needed with --enforce)')
    .option('--enforce', 'lift it (default: show what would be lifted; nothing is changed)')
    .option('--json', 'JSON output: the exemption rows lifted')
    .action(async (o: RevokeFlags) => {
      if (o.service && o.action)
        throw new ConfigError('exemptions revoke: give --service or --action, not both')
      const reason = reasonFor('exemptions revoke', o)
      const only = o.service ?? o.action
      const what = { accountId: o.account, userName: o.user, ...(only ? { service: only } : {}) }
      if (!o.enforce) {
        const { matches } = await revocable(cli.store(), what)
        return cli.print(o.json, { preview: true, exemptions: matches }, () =>
          [
            `Preview, nothing lifted:\n${out.exemptionsTable(matches)}`,
            `To lift it, with why: ${cli.enforceLine()}`,
          ].join('\n'),
        )
      }
      const hub = cli.hubConfig().hubFunctionName
      const revoked: Exemption[] = hub
        ? await inHub(cli, hub, { action: 'revoke', ...what, reason }, exemptionsReply)
        : await revokeExemption(cli.store(), {
            ...what,
            reason,
            now: new Date(),
            actor: await cli.callerArn(),
          })
      cli.print(
        o.json,
        revoked,
        () => `revoked the exemption of ${o.user}${only ? ` from ${only}` : ''} in ${o.account}`,
      )
    })
}

interface RevokeFlags {
  account: string
  user: string
  service?: string
  action?: string
  reason?: string
  enforce?: boolean
  json?: boolean
}
