/**
 * One account, from lock to outcome, in one direction: take the lock; open the spoke session beside the
 * account's records; plan; read what the plan asked for; plan again; write under the budget, recording
 * each user right after its writes; record the account; return its outcome. Every run goes this way,
 * whatever it is for (its intent): a sweep's account, a preview, a release, a rollback.
 */
import { randomBytes } from 'node:crypto'
import type { HubConfig } from '../config.js'
import { marksByUser, quietUsers } from '../domain/credentials/quiet.js'
import type { CredentialReport } from '../domain/credentials/report.js'
import { refusedLegacy, resolveLegacy } from '../domain/legacy.js'
import type { Stray } from '../domain/ownership.js'
import { type AccountPlan, planAccount } from '../domain/plan/account-plan.js'
import { holderOf, type Intent, onlyLooks, runIdOf } from '../domain/plan/intent.js'
import type { JobDurations } from '../domain/poll-schedule.js'
import type { AccountOutcome, CredentialNotes } from '../domain/records.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../logger.js'
import type { AccountIam, AccountListing, AccountRecords, Budget, Spokes, StateStore } from '../ports.js'
import { passCredentials } from './account-credentials.js'
import {
  closeSession,
  type Gathered,
  gatherFacts,
  openSession,
  type Session,
  withLostAccountRow,
} from './account-facts.js'
import { holdLock } from './account-lock.js'
import { readReports } from './account-reads.js'
import { recordSweptAccount, sweepAccountFailed } from './account-record.js'
import type { Account, AccountRun, Run, Scope, UserProgress } from './account-run.js'
import { type Acted, actOn, logEvent, removeStrays } from './account-writes.js'
import { restoreIn } from './credential-restore.js'

export type { AccountRun } from './account-run.js'

export interface PipelineDeps {
  spokes: Spokes
  store: StateStore
  /** Carries the run's names (sweep id); the account's is added here. */
  log: Logger
  now: () => Date
  /** True once the invocation must wrap up (time is short); a lost lock is added here. */
  timeShort?: () => boolean
  /** Access Advisor job durations seen so far in the run, shared across its accounts. */
  durations?: JobDurations
  progress?: UserProgress
}

/** Carries one account through the run its intent describes; one account's failure is its outcome. */
export async function runAccount(
  deps: PipelineDeps,
  settings: HubConfig,
  accountId: string,
  intent: Intent,
): Promise<AccountRun> {
  const log = deps.log.child({ accountId })
  // Asked for before the lock, since a session changes nothing: its round trip overlaps the lock's.
  const session = openSession(deps.spokes, {
    accountId,
    runId: runIdOf(intent),
    ...(deps.durations ? { durations: deps.durations } : {}),
  })
  const scope = { settings, accountId, intent }
  const inAccount = async (lost: () => boolean) => {
    const budget: Budget = { stopping: () => deps.timeShort?.() === true || lost(), lost }
    try {
      return await underLock({ ...deps, log, budget }, scope, session)
    } finally {
      await closeSession(session)
    }
  }
  // A run that only looks writes nothing and records nothing: it needs no lock.
  if (onlyLooks(intent)) return inAccount(() => false)
  const lock = await holdLock(
    deps.store.locks,
    { accountId, holder: holderOf(intent), now: deps.now, leaseMs: settings.accountLeaseMs },
    inAccount,
  )
  if (lock.held) return lock.result
  await closeSession(session)
  return { kind: 'busy', heldBy: lock.heldBy, until: lock.until }
}

async function underLock(run: Run, scope: Scope, session: Promise<Session>): Promise<AccountRun> {
  const started = Date.now()
  const now = run.now()
  const gathered = withLostAccountRow(
    await gatherFacts(run.store, scope.accountId, scope.intent, session),
    scope.accountId,
    now,
  )
  if (gathered.kind === 'skipped') return gathered
  if (gathered.kind !== 'facts') return unreached(run, { ...scope, now, started }, gathered)
  run.progress?.listed(scope.accountId, gathered.listing.users.length)
  for (const row of gathered.records.unreadable)
    run.log.error(
      { event: 'alert.row-unreadable', key: row.key, reason: row.reason },
      'a row of the state table could not be read; it is left out and the rest of the account goes on',
    )
  try {
    const records = await resolveOldRows(run, scope, gathered)
    const iam = readingReportOnce(gathered.iam)
    const account: Account = { ...scope, ...gathered, iam, records, now, started }
    if (scope.intent.kind === 'restore') return await restoreIn(run, account, scope.intent)
    const plan = await planWithReads(run, account)
    if (plan.kind === 'refused') return plan
    if (plan.kind === 'needs-reads') {
      // Only a sweep's budget stops reads: it carries the account on; what was read is kept.
      if (scope.intent.kind !== 'sweep') return { kind: 'lost' }
      return await recordSweptAccount(
        run,
        { ...account, intent: scope.intent },
        { unread: plan.reads.length, read: plan.steps.length - plan.reads.length },
      )
    }
    for (const event of plan.events) logEvent(run.log, event)
    const acted = await act(run, account, plan)
    const credentials = await credentialsOf(run, account, plan, acted)
    // Awaited here, so that a record that fails is the account's failure too.
    return await record(run, account, plan, { ...acted, ...(credentials ? { credentials } : {}) })
  } catch (error) {
    // A reply or a record that failed mid-way: in a sweep, the account's failure, never the sweep's.
    if (scope.intent.kind !== 'sweep') throw error
    const failed = { ...scope, ...gathered, intent: scope.intent, now, started }
    return sweepAccountFailed(run, failed, { kind: 'failed', error })
  }
}

/**
 * Rows from before the UserId was kept (legacy.ts): a sweep resolves the account's old exemptions to
 * UserIds before it plans, and records the account resolved; from then on such rows are refused.
 */
async function resolveOldRows(
  run: Run,
  scope: Scope,
  gathered: { records: AccountRecords; listing: AccountListing },
): Promise<AccountRecords> {
  const { records } = gathered
  for (const row of refusedLegacy(records))
    run.log.error(
      {
        event: 'alert.row-unreadable',
        key: row,
        reason: 'names a user only by name, after the account resolved those',
      },
      'a row from before UserIds were kept is refused',
    )
  if (scope.intent.kind !== 'sweep' || records.account?.legacyResolvedAt) return records
  const { resolved, dropped } = resolveLegacy(records, gathered.listing.users)
  for (const exemption of resolved) await run.store.users.putExemption(exemption)
  for (const exemption of dropped) await run.store.users.deleteExemption(exemption)
  return { ...records, exemptions: [...records.exemptions.filter((e) => e.userId), ...resolved] }
}

/** The account could not be reached (its role is not there) or read: a sweep records it, an operator is told. */
function unreached(
  run: Run,
  account: Scope & { now: Date; started: number },
  gathered: Exclude<Gathered, { kind: 'facts' | 'skipped' }>,
): Promise<AccountRun> | AccountRun {
  const { intent } = account
  if (intent.kind === 'sweep') return sweepAccountFailed(run, { ...account, intent, ...gathered }, gathered)
  const outcome: AccountOutcome = {
    accountId: account.accountId,
    outcome: gathered.kind,
    reason: gathered.error instanceof Error ? gathered.error.message : String(gathered.error),
    users: 0,
    counts: {},
    writes: 0,
    durationMs: Date.now() - account.started,
  }
  return { kind: 'done', outcome, users: [], strays: [], error: gathered.error }
}

/** Plan; read what the plan asked for, unless the budget says stop; plan again with the reads. */
async function planWithReads(run: Run, account: Account): Promise<AccountPlan> {
  const { intent, settings } = account
  const request = {
    facts: {
      accountId: account.accountId,
      listing: account.listing,
      records: account.records,
      now: account.now,
      decidedEarlier: new Set(account.earlier?.userIds ?? []),
      nameSalt: randomBytes(16).toString('hex'),
    },
    settings,
    intent,
    reads: new Map(),
  }
  const first = planAccount(request)
  if (first.kind !== 'needs-reads') return first
  // Only a sweep keeps reports, and only a kept report can be proven current later.
  const report = intent.kind === 'sweep' ? await credentialReportOf(run, account) : undefined
  const users = account.listing.users
  const quiet = report
    ? quietUsers({ report, users, reports: account.records.reports, now: account.now })
    : new Set<string>()
  // Which reads a quiet user may go without is report-reuse.ts's to say: the users asked for are planned again.
  const facts = { ...request.facts, quiet }
  const second = first.reads.some((r) => quiet.has(r.user.id))
    ? planAccount({ ...request, facts, earlier: first.steps })
    : first
  const skipped = first.reads.length - (second.kind === 'needs-reads' ? second.reads.length : 0)
  if (skipped > 0)
    run.log.info({ event: 'reads.quiet', skipped }, 'refresh reads skipped: nothing used since')
  if (second.kind !== 'needs-reads') return second
  const reads = await readReports(
    { ...run, iam: account.iam },
    {
      accountId: account.accountId,
      sweepId: runIdOf(intent),
      users: second.reads.map((r) => r.user),
      concurrency: settings.userConcurrency,
      // A preview keeps nothing: the reports it reads are for its plan alone.
      keep: intent.kind === 'sweep',
      ...(report ? { credentials: marksByUser(report, users) } : {}),
    },
  )
  return planAccount({ ...request, facts, reads, earlier: second.steps })
}

/**
 * The account's credential report, read once in the run for the reads and the credential pass both; a
 * read that failed is tried again by the next that asks.
 */
function readingReportOnce(iam: AccountIam): AccountIam {
  let report: Promise<CredentialReport> | undefined
  const read = () => {
    const reading = iam.credentialReport()
    reading.catch(() => {
      if (report === reading) report = undefined
    })
    return reading
  }
  return { ...iam, credentialReport: () => (report ??= read()) }
}

/** The credential report, for proving stored reports current; one that cannot be read proves nothing. */
async function credentialReportOf(run: Run, account: Account): Promise<CredentialReport | undefined> {
  try {
    return await account.iam.credentialReport()
  } catch (error) {
    run.log.warn(
      { event: 'credential-report.unread', reason: errorMessage(error) },
      'credential report not read: reads due are made',
    )
    return undefined
  }
}

/** Each user's writes and record, then the policies no current user owns. */
async function act(
  run: Run,
  account: Account,
  plan: Extract<AccountPlan, { kind: 'ready' }>,
): Promise<Acted & { strays: Stray[]; unremoved: Stray[] }> {
  const acted = await actOn(
    { ...run, iam: account.iam },
    {
      accountId: account.accountId,
      intent: account.intent,
      records: account.records,
      names: new Set(account.listing.users.map((u) => u.name)),
      now: account.now,
      concurrency: account.settings.userConcurrency,
    },
    plan.users,
  )
  // An invocation that must stop (time, or a lost lock) leaves the stray policies to the next sweep.
  const strays = acted.unfinished || run.budget.stopping() ? [] : plan.strays
  const unremoved = await removeStrays({ iam: account.iam, log: run.log }, strays, plan.removeStrays)
  return { ...acted, strays, unremoved }
}

/** A sweep's credential pass, once every user's denies are done in this invocation. */
function credentialsOf(
  run: Run,
  account: Account,
  plan: Extract<AccountPlan, { kind: 'ready' }>,
  acted: Acted,
): Promise<CredentialNotes | undefined> | undefined {
  const { intent } = account
  if (intent.kind !== 'sweep' || acted.unfinished || run.budget.stopping()) return undefined
  return passCredentials(
    { ...run, iam: account.iam },
    {
      accountId: account.accountId,
      settings: account.settings,
      intent,
      listing: account.listing,
      onboarding: plan.onboarding,
    },
  )
}

/** A sweep records the account in its ledger; an operator's run returns what it did. */
async function record(
  run: Run,
  account: Account,
  plan: Extract<AccountPlan, { kind: 'ready' }>,
  acted: Acted & { strays: Stray[]; unremoved: Stray[]; credentials?: CredentialNotes },
): Promise<AccountRun> {
  if (account.intent.kind === 'sweep')
    return recordSweptAccount(run, { ...account, intent: account.intent }, { plan, acted })
  // Only users left undone say the lock was lost: work done and recorded before then stands.
  if (acted.unfinished) return { kind: 'lost' }
  const outcome: AccountOutcome = {
    accountId: account.accountId,
    outcome: 'swept',
    reason: '',
    users: acted.done.length,
    counts: {},
    writes: acted.done.reduce((n, d) => n + d.decision.writes, 0),
    durationMs: Date.now() - account.started,
  }
  return { kind: 'done', outcome, users: acted.done, strays: acted.strays, unremoved: acted.unremoved }
}
