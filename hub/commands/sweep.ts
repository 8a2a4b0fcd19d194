import { type Command, Option } from 'commander'
import { previewUser } from '../../shared/app/operator.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { ConfigError, IncompleteSweepError, LeastPrivilegeError } from '../../shared/errors.js'
import { webhookUrlFromSecret } from '../../shared/slack/webhook.js'
import { type OperatorRequest, sweepStarted } from '../event.js'
import { slackNotifier } from '../runtime.js'
import { accountIds, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'
import * as out from './output.js'
import { userPlanText } from './plan-output.js'
import { SweepBar } from './progress.js'

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
      userName,
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
      if (o.user !== undefined) return previewOne(cli, o, o.user)
      const config = cli.hubConfig()
      // A sweep writes denies and records: in a deployed organization, only the hub does, for an
      // operator AWS names.
      if (config.hubFunctionName) return startHubSweep(cli, o, config.hubFunctionName)
      return sweepHere(cli, o)
    })
}

async function previewOne(cli: CliContext, o: SweepFlags, userName: string): Promise<void> {
  if (o.enforce || o.confirmLargeChange || o.account?.length !== 1)
    throw new ConfigError('user: --user shows one plan: give it with --plan and exactly one --account')
  const { config, deps } = cli.operator()
  const decision = await previewUser(deps, config, o.account[0] ?? '', userName)
  cli.print(o.json, decision, () => userPlanText(decision))
  // A plan made without the user's report is no plan: said, and the exit code says it too.
  if (decision.status === 'error')
    throw new LeastPrivilegeError(`no plan for ${decision.userName}: ${decision.reason}`)
}

async function startHubSweep(cli: CliContext, o: SweepFlags, functionName: string): Promise<void> {
  const request: OperatorRequest = {
    action: 'sweep',
    mode: o.enforce ? 'enforce' : 'plan',
    ...(o.account ? { accounts: o.account } : {}),
    ...(o.confirmLargeChange ? { confirmLargeChange: true } : {}),
    ...(o.full ? { full: true } : {}),
  }
  // Answered once recorded (a refusal is said here); the hub then sweeps in invocations of its own.
  const { sweepId } = await inHub(cli, functionName, request, sweepStarted)
  cli.print(
    o.json,
    { started: true, sweepId, functionName },
    () =>
      `started sweep ${sweepId} in ${functionName}; follow it with: least-privilege audit sweep ${sweepId}`,
  )
}

async function sweepHere(cli: CliContext, o: SweepFlags): Promise<void> {
  const { config, runtime, deps } = cli.sweeper()
  // The CLI posts only to a webhook URL it is given: the hub's secret is the hub's to read. A URL that
  // is none is said before the sweep, not after it (never echoing it: it is the secret).
  const webhookUrl = o.slackWebhookUrl ?? cli.io.env.SLACK_WEBHOOK_URL
  if (webhookUrl) {
    try {
      webhookUrlFromSecret(webhookUrl)
    } catch {
      throw new ConfigError('slack-webhook-url (SLACK_WEBHOOK_URL): not an https URL; nothing was swept')
    }
  }
  const notifier = slackNotifier(runtime, { webhookUrl })
  const bar = cli.io.stderr.isTTY && !o.json ? new SweepBar(cli.io.stderr) : undefined
  if (bar) cli.screen.show(bar)
  const ctrlC = onCtrlC(cli)
  const report = await runSweep(
    deps({
      remainingMs: () => (ctrlC.pressed() ? 0 : Number.POSITIVE_INFINITY),
      interrupted: ctrlC.pressed,
      ...(notifier ? { notifier } : {}),
      ...(bar ? { progress: bar } : {}),
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
  ).finally(() => {
    ctrlC.stop()
    bar?.stop()
    cli.screen.hide()
  })
  cli.print(o.json, report, () => out.sweepTable(report))
  if (report.status === 'stalled')
    throw new LeastPrivilegeError(
      `sweep ${report.sweepId} ${ctrlC.pressed() ? 'interrupted' : 'stalled'}: ${report.deferred} account(s) not swept; the next sweep covers every account again`,
    )
  const s = report.summary
  const unclean = s ? s.accountsBraked + s.accountsUnreachable + s.accountsFailed : 0
  if (s && unclean > 0) {
    throw new IncompleteSweepError(
      `${unclean} account(s) not swept cleanly: ${s.accountsBraked} braked, ${s.accountsUnreachable} unreachable, ${s.accountsFailed} failed`,
    )
  }
}

/**
 * Ctrl-C during a sweep here: no new account or user starts, those in flight finish theirs and give the
 * locks back, and the sweep ends stalled ("interrupted"). A wrapper (npm run, tsx) may relay the same
 * press the terminal sent the whole process group: a second signal within a second is that one press;
 * a later one quits at once, as promised.
 */
function onCtrlC(cli: CliContext): { pressed: () => boolean; stop: () => void } {
  let firstAt: number | undefined
  const listener = () => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt > 1_000) process.exit(130)
      return
    }
    firstAt = Date.now()
    cli.screen.write(
      'interrupted: the users in flight finish, then the locks are given back (Ctrl-C again quits at once)\n',
    )
  }
  process.on('SIGINT', listener)
  return { pressed: () => firstAt !== undefined, stop: () => process.off('SIGINT', listener) }
}
