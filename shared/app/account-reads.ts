import pLimit from 'p-limit'
import type { UsageRead } from '../domain/plan/user-plan.js'
import { storedServices, usedAhead } from '../domain/report-reuse.js'
import type { IamUser } from '../domain/types.js'
import { AccessAdvisorError, errorMessage } from '../errors.js'
import type { Logger } from '../logger.js'
import type { AccountIam, Budget, StateStore } from '../ports.js'
import type { UserProgress } from './account-run.js'
import { logFailure } from './account-writes.js'

/**
 * Reads the Access Advisor reports a plan asked for, `concurrency` at a time. None is started once the
 * budget says stop: reads in flight finish, and the users left are read by the invocation that carries
 * the account on. Every report read is kept before the account is planned again, so that invocation
 * finds it (and an account split across invocations is read once).
 */
export async function readReports(
  run: {
    iam: AccountIam
    store: StateStore
    log: Logger
    now: () => Date
    budget: Budget
    progress?: UserProgress
  },
  read: {
    accountId: string
    sweepId: string
    users: readonly IamUser[]
    concurrency: number
    /** A preview keeps nothing: the reports it reads are for its plan alone. */
    keep: boolean
    /** What each user could sign with, by the credential report (credentials/quiet.ts), kept with the report. */
    credentials?: ReadonlyMap<string, string[]>
  },
): Promise<Map<string, UsageRead>> {
  const limit = pLimit(read.concurrency)
  const reads = new Map<string, UsageRead>()
  const sink = read.keep ? run.store.users.reportSink(read.accountId) : undefined
  await Promise.all(
    read.users.map((user) =>
      limit(async () => {
        if (run.budget.stopping()) return
        // The report is as of its job's start, not its end: dated then, it never looks fresher than it is.
        const readAt = run.now().toISOString()
        try {
          const services = await run.iam.usage(user)
          const ahead = usedAhead(services, run.now())
          if (ahead) throw new AccessAdvisorError(`report for ${user.arn} dates a use of ${ahead} after now`)
          reads.set(user.id, { kind: 'read', services })
          sink?.keep({
            userId: user.id,
            sweepId: read.sweepId,
            readAt,
            grantsDigest: user.grantsDigest,
            ...(read.credentials?.has(user.id) ? { credentials: read.credentials.get(user.id) } : {}),
            services: storedServices(services),
          })
        } catch (error) {
          // Missing data never means "unused": the user is left as they are, in error.
          logFailure(run.log.child({ userName: user.name }), error)
          reads.set(user.id, { kind: 'failed', reason: errorMessage(error) })
        }
        run.progress?.read(read.accountId)
      }),
    ),
  )
  // Only costs a read again, later: this run plans with the reports in hand.
  const notKept = (await sink?.written()) ?? []
  if (notKept.length > 0)
    run.log.warn({ event: 'report.not-kept', userIds: notKept }, 'reports could not be kept')
  return reads
}
