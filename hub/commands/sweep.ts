import { Bar, Presets } from 'cli-progress'
import { type Command, Option } from 'commander'
import { startInHub } from '../../shared/aws/hub-invoke.js'
import { ConfigError, IncompleteSweepError } from '../../shared/errors.js'
import { manualSweepId } from '../event.js'
import { createRuntime, slackNotifier } from '../runtime.js'
import { runSweep } from '../sweep.js'
import { planOneUser } from '../user-plan.js'
import { accountIds } from './args.js'
import type { CliContext } from './context.js'
import * as out from './output.js'

interface SweepFlags {
  plan?: boolean
  enforce?: boolean
  account?: string[]
  user?: string
  confirmLargeChange?: boolean
  full?: boolean
  slackWebhookUrl?: string
  json?: boolean
}

export function addSweepCommand(program: Command, cli: CliContext): void {
  program
    .command('sweep')
    .description('sweep the organization (or some accounts) now')
    .addOption(new Option('--plan', 'report only (default)').conflicts('enforce'))
    .addOption(new Option('--enforce', 'apply the deny policies'))
    .option('--account <id>', 'sweep only this account (repeatable)', accountIds)
    .option(
      '--user <name>',
      "with --plan and one --account: that user's plan, service by service; nothing is recorded",
    )
    .option('--confirm-large-change', 'let an intended large change through the blast-radius brake')
    .option(
      '--full',
      "read every user's Access Advisor report afresh (default: only where a stored one may not serve)",
    )
    .option(
      '--slack-webhook-url <url>',
      'post the digest here (SLACK_WEBHOOK_URL; else SLACK_WEBHOOK_SECRET_ARN)',
    )
    .option('--json', 'print the sweep report as JSON')
    .action(async (o: SweepFlags) => {
      if (o.user) {
        if (o.enforce || o.confirmLargeChange || o.account?.length !== 1)
          throw new ConfigError('user: --user shows one plan: give it with --plan and exactly one --account')
        const { config, deps } = cli.operator()
        const decision = await planOneUser(deps, config, o.account[0] ?? '', o.user)
        cli.print(o.json, decision, () => out.userPlanText(decision))
        return
      }
      const config = cli.hubConfig()
      if (config.hubFunctionName && o.enforce) {
        // An enforce sweep writes denies: in a deployed organization, only the hub does.
        const event = {
          mode: 'enforce',
          ...(o.account ? { accounts: o.account } : {}),
          ...(o.confirmLargeChange ? { confirmLargeChange: true } : {}),
          ...(o.full ? { full: true } : {}),
        }
        const requestId = await startInHub(cli.lambda(), config.hubFunctionName, event)
        const sweepId = manualSweepId(requestId)
        cli.print(
          o.json,
          { started: true, sweepId, functionName: config.hubFunctionName },
          () =>
            `started sweep ${sweepId} in ${config.hubFunctionName}; follow it with: least-privilege audit sweep ${sweepId}`,
        )
        return
      }
      const runtime = createRuntime(config, cli.log(), cli.aws())
      // The CLI posts only to a webhook URL it is given: the hub's secret is the hub's to read.
      const webhookUrl = o.slackWebhookUrl ?? cli.io.env.SLACK_WEBHOOK_URL
      const notify = slackNotifier(runtime, { webhookUrl })
      const bar =
        cli.io.stderr.isTTY && !o.json
          ? new Bar(
              { format: 'accounts {bar} {value}/{total}', stream: cli.io.stderr },
              Presets.shades_classic,
            )
          : undefined
      const report = await runSweep(
        runtime.sweepDeps({
          remainingMs: () => Number.POSITIVE_INFINITY,
          ...(notify ? { notify } : {}),
          onSweepStart: (total) => bar?.start(total, 0),
          onAccountDone: () => bar?.increment(),
        }),
        config,
        {
          kind: 'new',
          mode: o.enforce ? 'enforce' : 'plan',
          trigger: 'cli',
          ...(o.account ? { accounts: o.account } : {}),
          ...(o.confirmLargeChange ? { confirmLargeChange: true } : {}),
          ...(o.full ? { fullReads: true } : {}),
        },
      )
      bar?.stop()
      cli.print(o.json, report, () => out.sweepTable(report))
      const s = report.summary
      const unclean = s ? s.accountsBraked + s.accountsUnreachable + s.accountsFailed : 0
      if (s && unclean > 0) {
        throw new IncompleteSweepError(
          `${unclean} account(s) not swept cleanly: ${s.accountsBraked} braked, ${s.accountsUnreachable} unreachable, ${s.accountsFailed} failed`,
        )
      }
    })
}
