/**
 * An account's credential pass, once its users' denies are done: read the credential report, look live
 * at the few users it points to, plan each credential, hold a mass deactivation for confirmation, carry
 * out and record each user's changes. A failure leaves the credentials as they are and is reported.
 */
import pLimit from 'p-limit'
import type { HubConfig } from '../config.js'
import { credentialBrake, credentialsExempt, survey, withServiceUse } from '../domain/credentials/account.js'
import { credentialLabel, type LiveCredential } from '../domain/credentials/judge.js'
import {
  type CredentialOp,
  type CredentialUserPlan,
  planUserCredentials,
} from '../domain/credentials/plan.js'
import { type CredentialReport, reportIsCurrent } from '../domain/credentials/report.js'
import type { SweepIntent } from '../domain/plan/intent.js'
import type { CredentialNotes } from '../domain/records.js'
import type { IamUser } from '../domain/types.js'
import { errorMessage } from '../errors.js'
import type { AccountIam, AccountListing, AccountRecords } from '../ports.js'
import type { Run } from './account-run.js'
import { notesOf } from './credential-notes.js'
import { opCredential, recordCredentialPlan } from './credential-record.js'

export interface CredentialPassInput {
  accountId: string
  settings: HubConfig
  intent: SweepIntent
  listing: AccountListing
  /** The account's first enforce sweep: what it announces is its onboarding. */
  onboarding: boolean
}

export async function passCredentials(
  run: Run & { iam: AccountIam },
  input: CredentialPassInput,
): Promise<CredentialNotes | undefined> {
  const { settings } = input
  if (settings.credentials === 'off') return undefined
  const now = run.now()
  try {
    const report = await run.iam.credentialReport()
    const epoch = input.intent.keyDeletionEpoch
    const deleteAfterDays = epoch ? deletionToday(run, settings, report, now) : undefined
    const deletion = { deleteAfterDays, epoch, noticeDays: settings.noticeDays }
    // Read again after the users' denies were recorded: the tags honoured today are in the rows.
    const records = await run.store.users.loadAccount(input.accountId)
    const surveyed = survey({
      report,
      users: input.listing.users,
      rows: records.credentials,
      reports: records.reports,
      sweepId: input.intent.sweepId,
      byService: settings.credentialsByService === 'on',
      windowDays: settings.credentialWindowDays,
      deletion,
      now,
    })
    const { plans, othersActive } = await planLooked(run, { ...input, deleteAfterDays }, records, surveyed)
    for (const plan of plans) logEvents(run, plan)
    const held = holdMassChange(run, input.intent, plans, surveyed.active + othersActive, settings)
    const made = input.intent.mode === 'enforce' ? await recordPlans(run, input, plans) : plans
    return notesOf({ plans: made, records, users: input.listing.users, settings, held, deletion }, surveyed)
  } catch (error) {
    const reason = errorMessage(error)
    run.log.error({ event: 'alert.credentials-failed', reason }, 'credentials left as they are')
    return {
      scheduled: [],
      deactivated: [],
      reactivated: [],
      deleted: [],
      deleting: [],
      unknown: 0,
      failed: reason,
      totals: zero(),
    }
  }
}

/**
 * Carries out each user's plan in turn. What the notes (digest, metrics) tell is what was made: a change
 * refused or left unconfirmed, and the users left when time ran short, are the next sweep's.
 */
async function recordPlans(
  run: Run & { iam: AccountIam },
  input: CredentialPassInput,
  plans: readonly CredentialUserPlan[],
): Promise<CredentialUserPlan[]> {
  const made: CredentialUserPlan[] = []
  for (const plan of plans) {
    // Time short or the lock lost: the users left are the next sweep's (nothing of theirs changed).
    if (run.budget.stopping()) break
    const { undone } = await recordCredentialPlan(run, input, plan)
    const kept = (id: string) => !undone.has(id)
    made.push({
      ...plan,
      put: plan.put.filter((r) => kept(r.credentialId)),
      drop: plan.drop.filter((r) => kept(r.credentialId)),
      history: plan.history.filter((h) => kept(h.credential.credentialId)),
    })
  }
  return made
}

const zero = () => ({ scheduled: 0, deactivated: 0, reactivated: 0, deleted: 0, deleting: 0 })

/**
 * CREDENTIAL_DELETE_AFTER_DAYS, if keys may be deleted today: only while the sweep's clock agrees with
 * the date AWS put on today's credential report. A deletion cannot be undone, so a wrong clock (which
 * would make every second period look run) deletes nothing.
 */
function deletionToday(
  run: Run,
  settings: HubConfig,
  report: CredentialReport,
  now: Date,
): number | undefined {
  if (settings.credentialDeleteAfterDays === 'off') return undefined
  if (reportIsCurrent(report, now)) return settings.credentialDeleteAfterDays
  run.log.error(
    { event: 'alert.clock', reportGeneratedAt: report.generatedAt, now: now.toISOString() },
    "no key is deleted today: the credential report's date and the sweep's clock disagree",
  )
  return undefined
}

/** Each credential's news, under the user's name; one put back outside the project is an alert. */
function logEvents(run: Run, plan: CredentialUserPlan): void {
  const log = run.log.child({ userName: plan.user.name })
  for (const { event, credential } of plan.history) {
    const fields = {
      credential: credentialLabel(credential),
      ...(credential.on ? { on: credential.on } : {}),
    }
    if (event === 'credential-reactivated')
      log.error(
        { event: 'alert.credential-reactivated', ...fields },
        'a credential the project deactivated is back in use',
      )
    else if (event !== 'credential-deactivated')
      log.info(
        { event: event.replace('credential-', 'credential.'), ...fields, reason: credential.detail },
        'credential',
      )
  }
}

/** Each looked-at user's credentials, live, and their plan; a user whose read fails is left as they are. */
async function planLooked(
  run: Run & { iam: AccountIam },
  input: CredentialPassInput & { deleteAfterDays: number | undefined },
  records: AccountRecords,
  surveyed: { lookAt: readonly IamUser[]; proxied: ReadonlySet<string> },
): Promise<{ plans: CredentialUserPlan[]; othersActive: number }> {
  const { settings } = input
  const now = run.now()
  const limit = pLimit(settings.userConcurrency)
  let othersActive = 0
  const plans = await Promise.all(
    surveyed.lookAt.map((user) =>
      limit(async () => {
        let live: LiveCredential[]
        try {
          const read = await run.iam.liveCredentials(user, surveyed.proxied.has(user.id))
          live = withServiceUse(read, records.reports.get(user.id), input.intent.sweepId)
          // The report counts no SSH key or service credential: the brake's measure gets those listed.
          othersActive += read.filter((c) => c.service !== undefined && c.active).length
        } catch (error) {
          const log = run.log.child({ userName: user.name })
          log.warn({ event: 'alert.user-error', reason: errorMessage(error) }, 'credentials left as they are')
          return undefined
        }
        // Credentials not listed today are not judged: their rows stay as they are.
        const listed = surveyed.proxied.has(user.id)
        const rows = records.credentials.filter((r) => r.userId === user.id && (listed || !r.service))
        const rules = { exemptTags: settings.exemptTags, neverDeactivate: settings.neverDeactivateUsers }
        return planUserCredentials(
          {
            accountId: input.accountId,
            user: { name: user.name, id: user.id, arn: user.arn },
            live,
            rows,
            exempt: credentialsExempt(user, records, rules, rows, now),
          },
          {
            windowDays: settings.credentialWindowDays,
            noticeDays: settings.noticeDays,
            mode: input.intent.mode,
            onboarding: input.onboarding,
            deleteAfterDays: input.deleteAfterDays,
            deletionEpoch: input.intent.keyDeletionEpoch,
          },
          { now, sweepId: input.intent.sweepId },
        )
      }),
    ),
  )
  return { plans: plans.filter((p): p is CredentialUserPlan => p !== undefined), othersActive }
}

/**
 * The brake on credentials: deactivations carried out as the account's onboarding were announced whole,
 * on purpose, and are not judged. Deletions always are: they cannot be undone. When it holds, every
 * deactivation and deletion of the pass waits (the schedules stand) and the operator is alerted.
 */
function holdMassChange(
  run: Run,
  intent: SweepIntent,
  plans: CredentialUserPlan[],
  active: number,
  settings: HubConfig,
): string | undefined {
  // What the pass changes in IAM, each change's row being the last written for its credential: a row
  // written without a change (a deletion's period started, one found made by an earlier run) takes
  // nothing away today.
  const result = (p: CredentialUserPlan, op: CredentialOp) =>
    p.put.findLast((r) => r.credentialId === opCredential(op))
  const deactivations = plans.reduce(
    (n, p) => n + p.ops.filter((o) => o.kind !== 'delete-key' && !result(p, o)?.onboarding).length,
    0,
  )
  const deletions = plans.reduce((n, p) => n + p.ops.filter((o) => o.kind === 'delete-key').length, 0)
  const held = intent.confirmLargeChange
    ? undefined
    : credentialBrake({ deactivations, deletions, active }, settings.brake)
  if (!held) return undefined
  run.log.error({ event: 'alert.credential-brake', reason: held }, 'credential deactivations held back')
  // Each change waits: its row and its news. A schedule made today stays announced, and a row written
  // before the change (a deletion not made, back to deactivated) stays as it is.
  for (const plan of plans) {
    const waiting = new Set(plan.ops.map((o) => result(plan, o)))
    const ids = new Set(plan.ops.map(opCredential))
    plan.ops = []
    plan.put = plan.put.filter((r) => !waiting.has(r))
    plan.history = plan.history.filter(
      (h) =>
        !(
          ids.has(h.credential.credentialId) &&
          (h.event === 'credential-deactivated' || h.event === 'credential-deleted')
        ),
    )
  }
  return held
}
