/**
 * What a run knows of an account before it plans: its spoke session and IAM listing, and its records
 * (and, in a sweep, what earlier invocations did there). Reads only, so they go at once.
 */
import { awsErrorKind } from '../aws/aws-errors.js'
import type { Intent } from '../domain/plan/intent.js'
import type { AccountProgress } from '../domain/records.js'
import type { AccountIam, AccountListing, AccountRecords, SpokeSessionRequest, Spokes } from '../ports.js'

/** The account's spoke session, or why it could not be had. */
export type Session = { iam: AccountIam } | { error: unknown }

/**
 * Asks for the spoke session at once: it changes nothing, so it is asked for before the lock and the two
 * round trips overlap. Never rejects: a failure is the session's.
 */
export function openSession(spokes: Spokes, request: SpokeSessionRequest): Promise<Session> {
  return spokes.open(request).then(
    (iam): Session => ({ iam }),
    (error: unknown): Session => ({ error }),
  )
}

/** Closes the session's client, if one was opened: sockets and memory stay flat across accounts. */
export async function closeSession(session: Promise<Session>): Promise<void> {
  const opened = await session
  if ('iam' in opened) opened.iam.close()
}

export type Gathered =
  | {
      kind: 'facts'
      iam: AccountIam
      listing: AccountListing
      records: AccountRecords
      earlier?: AccountProgress
    }
  /** Another invocation of this sweep finished the account meanwhile. */
  | { kind: 'skipped' }
  | {
      kind: 'unreachable' | 'failed'
      error: unknown
      /**
       * Absent when the records could not be read: nothing about the account is written but its outcome,
       * and that only if no other invocation recorded one.
       */
      records?: AccountRecords
      earlier?: AccountProgress
    }

export async function gatherFacts(
  store: { users: { loadAccount(id: string): Promise<AccountRecords> }; sweeps: SweepProgressReads },
  accountId: string,
  intent: Intent,
  session: Promise<Session>,
): Promise<Gathered> {
  const sweep = intent.kind === 'sweep' ? intent.sweepId : undefined
  // Under the lock, the listing starts as soon as the session is in hand, beside the records' reads.
  const listing = session.then((s) => ('iam' in s ? s.iam.listing() : undefined))
  listing.catch(() => undefined) // awaited below; failing before then is not an unhandled rejection
  const [done, loaded, progress] = await Promise.allSettled([
    // Listed as pending before the lock was taken: another invocation may have finished it since.
    sweep ? store.sweeps.isDone(sweep, accountId) : false,
    store.users.loadAccount(accountId),
    // What earlier invocations of this sweep did here stays in the outcome, whatever happens now.
    sweep ? store.sweeps.progress(sweep, accountId) : undefined,
  ])
  const earlier = progress.status === 'fulfilled' ? progress.value : undefined
  // The account's records could not be read: it fails, keeping what is known of earlier invocations.
  const unread = [done, loaded, progress].find((r) => r.status === 'rejected')
  if (unread || loaded.status !== 'fulfilled' || done.status !== 'fulfilled')
    return { kind: 'failed', error: unread?.reason, ...(earlier ? { earlier } : {}) }
  if (done.value) return { kind: 'skipped' }
  const known = { records: loaded.value, ...(earlier ? { earlier } : {}) }
  const opened = await session
  // AccessDenied here nearly always means the spoke role is not deployed (yet) or was removed.
  if ('error' in opened)
    return {
      kind: awsErrorKind(opened.error) === 'access-denied' ? 'unreachable' : 'failed',
      error: opened.error,
      ...known,
    }
  try {
    const listed = await listing
    if (!listed) throw new Error('the listing was not started')
    return { kind: 'facts', iam: opened.iam, listing: listed, ...known }
  } catch (error) {
    return { kind: 'failed', error, ...known }
  }
}

interface SweepProgressReads {
  isDone(sweepId: string, accountId: string): Promise<boolean>
  progress(sweepId: string, accountId: string): Promise<AccountProgress | undefined>
}

/**
 * An account row that could not be read stands in as an account already onboarded and with its old rows
 * already resolved. Read as absent, it would make the next enforce sweep an onboarding (tags present
 * honoured as a baseline) and read name-only rows by name again, a rename's way into an exemption. The
 * row is written anew with this run's time.
 */
export function withLostAccountRow(gathered: Gathered, accountId: string, now: Date): Gathered {
  if (!('records' in gathered) || !gathered.records) return gathered
  const { records } = gathered
  if (records.account || !records.unreadable.some((row) => row.accountRow)) return gathered
  const at = now.toISOString()
  const account = {
    accountId,
    name: accountId,
    status: 'failed' as const,
    reason: 'its row could not be read',
    sweepId: '',
    updatedAt: at,
    enforcedSince: at,
    legacyResolvedAt: at,
  }
  return { ...gathered, records: { ...records, account } }
}
