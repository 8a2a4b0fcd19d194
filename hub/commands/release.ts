import type { Command } from 'commander'
import { type ReleaseResult, releaseDeny } from '../../shared/app/operator.js'
import { ConfigError } from '../../shared/errors.js'
import { releaseReply } from '../event.js'
import { accountId, actions, namespaces, reasonFor, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'
import { releaseText } from './plan-output.js'

interface ReleaseFlags {
  account: string
  user: string
  service?: string[]
  action?: string[]
  scheduled?: boolean
  reason?: string
  enforce?: boolean
  json?: boolean
}

export function addReleaseCommand(program: Command, cli: CliContext): void {
  program
    .command('release')
    .description('lift a deny on purpose; the service is denied again only after a full window unused')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option(
      '--service <namespace>',
      'a denied service to release, with its action denies (repeatable)',
      namespaces,
    )
    .option(
      '--action <service:Action>',
      'a denied action to release, such as iam:CreateUser (repeatable)',
      actions,
    )
    .option('--scheduled', "every deny scheduled for the user: cancels the user's whole schedule")
    .option('--reason <text>', 'why, recorded with it (needed with --enforce)')
    .option('--enforce', 'apply it (default: show the plan only)')
    .option('--json', 'JSON output')
    .action(async (o: ReleaseFlags) => {
      const reason = reasonFor('release', o)
      const scheduled = o.scheduled ? await scheduledOf(cli, o.account, o.user) : []
      const services = [...new Set([...(o.service ?? []), ...(o.action ?? []), ...scheduled])]
      if (services.length === 0) throw new ConfigError('release: give --service, --action or --scheduled')
      const { config, deps } = cli.operator()
      const request = { accountId: o.account, userName: o.user, services, reason }
      // A deployed organization's denies are written by the hub alone: the release is its to carry out,
      // for the operator STS names from the request's signed proof.
      const result: ReleaseResult =
        config.hubFunctionName && o.enforce
          ? await inHub(cli, config.hubFunctionName, { action: 'release', ...request }, releaseReply)
          : await releaseDeny(deps, config, {
              ...request,
              enforce: o.enforce === true,
              actor: await cli.callerArn(),
            })
      cli.print(o.json, result, () => releaseText(result, cli.enforceLine()))
    })
}

/** The user's scheduled denies as recorded; none is bad input (a mistyped name, or nothing to cancel). */
async function scheduledOf(cli: CliContext, accountId: string, userName: string): Promise<string[]> {
  const state = await cli.store().audit.user(accountId, userName)
  const keys = Object.keys(state?.scheduled ?? {})
  if (keys.length === 0) throw new ConfigError(`scheduled: no deny scheduled for ${userName} in ${accountId}`)
  return keys
}
