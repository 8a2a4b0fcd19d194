import { Command, Option } from 'commander'
import { asSeen } from '../../shared/app/sweep-close.js'
import { DECISION_STATUS_NAMES, type DecisionStatus } from '../../shared/domain/decision.js'
import { daysAfter, scheduledDenies } from '../../shared/domain/notice.js'
import { CREDENTIAL_STATUSES, type CredentialStatus } from '../../shared/domain/records.js'
import { ConfigError } from '../../shared/errors.js'
import { accountId, int, isoDate, userName } from './args.js'
import type { CliContext } from './context.js'
import * as out from './output.js'
import { planReview } from './plan-output.js'

/** The audit views: DynamoDB only, no other AWS call. */

/** How far back `audit plan` looks for the last plan sweep when none is named. */
const RECENT = 50
export function addAuditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('query the recorded state (no AWS call but DynamoDB)')
  auditUser(audit, cli)
  auditHistory(audit, cli)
  auditAttempts(audit, cli)
  auditRequests(audit, cli)
  auditScheduled(audit, cli)
  auditStatus(audit, cli)
  auditCredentials(audit, cli)
  auditAccounts(audit, cli)
  auditSweeps(audit, cli)
  auditSweep(audit, cli)
  auditPlan(audit, cli)
}

function auditPlan(audit: Command, cli: CliContext): void {
  audit
    .command('plan')
    .argument('[sweepId]', 'a plan sweep (default: the last plan sweep)')
    .description(
      'what a plan sweep would change, per user: denies now and on their day, releases, each service with its last use',
    )
    .option('--account <id>', 'only this account', accountId)
    .option('--json', 'JSON output')
    .action(async (sweepId: string | undefined, o: { account?: string; json?: boolean }) => {
      const sweeps = cli.store().sweeps
      const sweep = sweepId
        ? await sweeps.get(sweepId)
        : (await sweeps.recent(RECENT)).find((s) => s.mode === 'plan')
      if (!sweep)
        throw new ConfigError(
          sweepId
            ? `sweep: no sweep ${sweepId}`
            : `sweep: no plan sweep among the last ${RECENT} sweeps; give its id (audit sweeps --limit N lists more), or run least-privilege sweep --plan`,
        )
      if (sweep.mode !== 'plan')
        throw new ConfigError(
          `sweep: ${sweep.sweepId} is an enforce sweep; audit sweep ${sweep.sweepId} shows it`,
        )
      const [plans, accounts] = await Promise.all([
        sweeps.plans(sweep.sweepId, o.account),
        sweeps.accounts(sweep.sweepId),
      ])
      cli.print(o.json, plans, () => planReview(sweep, plans, accounts))
    })
}

function auditUser(audit: Command, cli: CliContext): void {
  audit
    .command('user')
    .description('current state of one user')
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user: string; json?: boolean }) => {
      const store = cli.store()
      const user = await store.audit.user(o.account, o.user)
      if (!user) throw new ConfigError(`user: no recorded state for ${o.user} in ${o.account}`)
      const report = user.userId ? await store.audit.report(o.account, user.userId) : undefined
      cli.print(o.json, { ...user, ...(report ? { report } : {}) }, () => {
        return `${out.usersTable([user])}\n${out.usageTable(user, report)}`
      })
    })
}

function auditHistory(audit: Command, cli: CliContext): void {
  audit
    .command('history')
    .description('change history of one user, newest first (it follows renames)')
    .requiredOption('--account <id>', 'account id', accountId)
    .addOption(new Option('--user <name>', 'IAM user name').argParser(userName).conflicts('userId'))
    .option('--user-id <id>', "the user's UserId (for a deleted user)")
    .option('--limit <n>', 'rows', int('limit', 1, 1000), 20)
    .option('--json', 'JSON output')
    .action(async (o: { account: string; user?: string; userId?: string; limit: number; json?: boolean }) => {
      const who = o.userId ? { id: o.userId } : o.user ? { name: o.user } : undefined
      if (!who) throw new ConfigError('user: give --user NAME or --user-id ID')
      const audit = cli.store().audit
      const history = await audit.history(o.account, who, o.limit)
      // Nothing recorded and no such user: a mistyped name or account, told as `audit user` tells it.
      if (history.length === 0 && 'name' in who && !(await audit.user(o.account, who.name)))
        throw new ConfigError(`user: no recorded state for ${who.name} in ${o.account}`)
      if (history.length === 0 && 'id' in who)
        throw new ConfigError(`user-id: nothing recorded for ${who.id} in ${o.account}`)
      cli.print(o.json, history, () => out.historyTable(history))
    })
}

function auditAttempts(audit: Command, cli: CliContext): void {
  audit
    .command('attempts')
    .description('attempts on denied services across the organization, oldest first')
    .option('--account <id>', 'only this account', accountId)
    .option('--since <date>', 'from this date on (default: 7 days ago)', isoDate)
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; since?: string; json?: boolean }) => {
      const since = o.since ?? new Date(Date.now() - 7 * 86_400_000).toISOString()
      const attempts = await cli.store().audit.attemptsSince(since, o.account)
      cli.print(o.json, attempts, () => out.attemptsTable(attempts))
    })
}

function auditRequests(audit: Command, cli: CliContext): void {
  audit
    .command('requests')
    .description(
      'exemption tags set on users who hold denies (requests: nothing lifted), oldest first, with the command that grants one',
    )
    .option('--account <id>', 'only this account', accountId)
    .option('--since <date>', 'from this date on (default: 30 days ago)', isoDate)
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; since?: string; json?: boolean }) => {
      const since = o.since ?? new Date(Date.now() - 30 * 86_400_000).toISOString()
      const requests = await cli.store().audit.requestsSince(since, o.account)
      cli.print(o.json, requests, () => out.requestsTable(requests))
    })
}

function auditScheduled(audit: Command, cli: CliContext): void {
  audit
    .command('scheduled')
    .description(
      'denies announced and not carried out yet, soonest first, with the commands that keep them off',
    )
    .option('--account <id>', 'only this account', accountId)
    .option(
      '--within <days>',
      'only denies due within this many days (default: every one)',
      int('within', 0, 3650),
    )
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; within?: number; json?: boolean }) => {
      const until = o.within === undefined ? undefined : daysAfter(new Date(), o.within)
      const due = scheduledDenies(await cli.store().audit.scheduled(until, o.account), until)
      cli.print(o.json, due, () => out.scheduledTable(due))
    })
}

function auditStatus(audit: Command, cli: CliContext): void {
  audit
    .command('status')
    .description('every user in a status across the organization')
    .addArgument(new Command().createArgument('<status>', 'user status').choices(DECISION_STATUS_NAMES))
    .option('--json', 'JSON output')
    .action(async (status: DecisionStatus, o: { json?: boolean }) => {
      const users = await cli.store().audit.usersByStatus(status)
      cli.print(o.json, users, () => out.usersTable(users))
    })
}

function auditCredentials(audit: Command, cli: CliContext): void {
  audit
    .command('credentials')
    .description(
      'access keys and passwords the project announced, deactivated, restarted or deleted, by account and user',
    )
    .option('--account <id>', 'only this account', accountId)
    .addOption(
      new Option('--status <status>', 'only this status (default: scheduled and deactivated)').choices(
        CREDENTIAL_STATUSES,
      ),
    )
    .option('--json', 'JSON output')
    .action(async (o: { account?: string; status?: CredentialStatus; json?: boolean }) => {
      const statuses: readonly CredentialStatus[] = o.status ? [o.status] : ['scheduled', 'deactivated']
      const audit = cli.store().audit
      const rows = (await Promise.all(statuses.map((s) => audit.credentials(s, o.account)))).flat()
      cli.print(o.json, rows, () => out.credentialsTable(rows, statuses))
    })
}

function auditAccounts(audit: Command, cli: CliContext): void {
  audit
    .command('accounts')
    .description('accounts by reachability (default: unreachable)')
    .addOption(
      new Option('--status <status>', 'account status')
        .choices(['unreachable', 'failed', 'reachable'])
        .default('unreachable'),
    )
    .option('--json', 'JSON output')
    .action(async (o: { status: 'unreachable' | 'failed' | 'reachable'; json?: boolean }) => {
      const accounts = await cli.store().audit.accountsByStatus(o.status)
      cli.print(o.json, accounts, () => out.accountsTable(accounts))
    })
}

function auditSweeps(audit: Command, cli: CliContext): void {
  audit
    .command('sweeps')
    .description('the last sweeps with their counts and durations')
    .option('--limit <n>', 'how many', int('limit', 1, 100), 10)
    .option('--json', 'JSON output')
    .action(async (o: { limit: number; json?: boolean }) => {
      // A sweep no invocation carries on any more shows as stalled; the hub marks (and alerts) it.
      const now = new Date()
      const lease = { accountLeaseMs: cli.storeConfig().accountLeaseMs }
      const sweeps = (await cli.store().sweeps.recent(o.limit)).map((s) => asSeen(s, now, lease))
      cli.print(o.json, sweeps, () => out.sweepsTable(sweeps))
    })
}

function auditSweep(audit: Command, cli: CliContext): void {
  audit
    .command('sweep')
    .description("one sweep: its summary and each account's outcome")
    .argument('<sweep-id>', 'as `audit sweeps` shows it')
    .option('--json', 'JSON output')
    .action(async (sweepId: string, o: { json?: boolean }) => {
      const store = cli.store()
      const sweep = await store.sweeps.get(sweepId)
      if (!sweep) throw new ConfigError(`sweep-id: no sweep ${sweepId} in the state table`)
      const accounts = await store.sweeps.accounts(sweepId)
      cli.print(o.json, { sweep, accounts }, () => out.sweepDetail(sweep, accounts))
    })
}
