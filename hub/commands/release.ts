import type { Command } from 'commander'
import { askHub } from '../../shared/aws/hub-invoke.js'
import { type ReleaseResult, releaseDeny } from '../release.js'
import { accountId, namespaces } from './args.js'
import type { CliContext } from './context.js'
import * as out from './output.js'

export function addReleaseCommand(program: Command, cli: CliContext): void {
  program
    .command('release')
    .description('lift a deny on purpose; the service is denied again only after a full window unused')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name')
    .requiredOption('--service <namespace>', 'the denied service to release (repeatable)', namespaces)
    .option('--reason <text>', 'why, for the audit trail', 'not given')
    .option('--enforce', 'apply it (default: show the plan only)')
    .option('--json', 'JSON output')
    .action(
      async (o: {
        account: string
        user: string
        service: string[]
        reason: string
        enforce?: boolean
        json?: boolean
      }) => {
        const { config, deps } = cli.operator()
        const request = { accountId: o.account, userName: o.user, services: o.service, reason: o.reason }
        // A deployed organization's denies are written by the hub alone: the release is its to carry out.
        const result =
          config.hubFunctionName && o.enforce
            ? ((await askHub(cli.lambda(), config.hubFunctionName, {
                release: { ...request, requestedBy: await cli.callerArn() },
              })) as ReleaseResult)
            : await releaseDeny(deps, config, { ...request, enforce: o.enforce === true })
        cli.print(o.json, result, () => out.releaseText(result))
      },
    )
}
