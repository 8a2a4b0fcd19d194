/**
 * The state store in memory: the same port as the DynamoDB adapter, with the same conditions (a sweep
 * starts and ends once, a user row is written only if it is as it was loaded, a lock is held by one
 * holder until its lease lapses). `test/store/contract.test.ts` runs one set of cases against both, so
 * this one cannot drift. Records go in and come out as copies, as they would through a table.
 */
import type {
  AccountOutcome,
  AccountProgress,
  AccountState,
  ChangeRecord,
  CompletedSweep,
  CredentialState,
  CredentialStatus,
  Exemption,
  PlannedUser,
  RunningSweep,
  StalledSweep,
  StoredReport,
  SweepAccountRow,
  SweepSummary,
  UserState,
} from '../../shared/domain/records.js'
import type {
  AccountLocks,
  AccountRecords,
  AccountStore,
  AuditViews,
  LockAttempt,
  ReportSink,
  RowVersion,
  StateStore,
  SweepLedger,
  SweepRef,
} from '../../shared/ports.js'

/** Through JSON, as through a table: no shared references, and undefined fields dropped. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

class Counter {
  writes = 0
}

class MemoryLedger implements SweepLedger {
  private readonly summaries = new Map<string, SweepSummary>()
  private readonly targetLists = new Map<string, string[]>()
  private readonly outcomes = new Map<string, Map<string, SweepAccountRow>>()
  private readonly progresses = new Map<string, AccountProgress>()
  private readonly planned = new Map<string, PlannedUser>()

  constructor(private readonly counter: Counter) {}

  async start(summary: RunningSweep, targets: readonly string[]): Promise<boolean> {
    if (this.summaries.has(summary.sweepId)) return false
    this.counter.writes += 1 + Math.ceil(targets.length / 2_000)
    this.targetLists.set(summary.sweepId, [...targets])
    this.summaries.set(summary.sweepId, copy(summary))
    return true
  }

  async get(sweepId: string): Promise<SweepSummary | undefined> {
    const summary = this.summaries.get(sweepId)
    return summary && copy(summary)
  }

  async targets(sweepId: string): Promise<string[]> {
    return [...(this.targetLists.get(sweepId) ?? [])]
  }

  async completeAccount(sweep: SweepRef, outcome: AccountOutcome, at: Date, ifAbsent = false): Promise<void> {
    this.counter.writes++
    const rows = this.outcomes.get(sweep.sweepId) ?? new Map<string, SweepAccountRow>()
    this.outcomes.set(sweep.sweepId, rows)
    if (ifAbsent && rows.has(outcome.accountId)) return
    rows.set(outcome.accountId, copy({ doneAt: at.toISOString(), ...outcome }))
  }

  async isDone(sweepId: string, accountId: string): Promise<boolean> {
    return this.outcomes.get(sweepId)?.has(accountId) === true
  }

  async progress(sweepId: string, accountId: string): Promise<AccountProgress | undefined> {
    const progress = this.progresses.get(`${sweepId}/${accountId}`)
    return progress && copy(progress)
  }

  async saveProgress(sweep: SweepRef, accountId: string, progress: AccountProgress): Promise<void> {
    this.counter.writes++
    this.progresses.set(`${sweep.sweepId}/${accountId}`, copy(progress))
  }

  async accounts(sweepId: string): Promise<SweepAccountRow[]> {
    return [...(this.outcomes.get(sweepId)?.values() ?? [])]
      .sort((a, b) => a.accountId.localeCompare(b.accountId))
      .map(copy)
  }

  async heartbeat(sweepId: string, at: Date, handedOn = false): Promise<boolean> {
    this.counter.writes++
    const summary = this.summaries.get(sweepId)
    if (summary?.status !== 'running') return false
    summary.heartbeatAt = at.toISOString()
    if (handedOn) summary.invocations++
    return true
  }

  async keepPlans(sweep: SweepRef, plans: readonly PlannedUser[]): Promise<void> {
    this.counter.writes += Math.ceil(plans.length / 25)
    for (const p of plans) this.planned.set(`${sweep.sweepId}/${p.accountId}/${p.userId}`, copy(p))
  }

  async plans(sweepId: string, accountId?: string): Promise<PlannedUser[]> {
    const prefix = `${sweepId}/${accountId ?? ''}`
    return [...this.planned]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, p]) => copy(p))
  }

  async recordDurations(sweepId: string, jobDurationsMs: number[]): Promise<void> {
    this.counter.writes++
    const summary = this.summaries.get(sweepId)
    if (summary) summary.jobDurationsMs = [...jobDurationsMs]
  }

  finish(summary: CompletedSweep): Promise<boolean> {
    return this.endRunning(summary)
  }

  markStalled(summary: StalledSweep): Promise<boolean> {
    return this.endRunning(summary)
  }

  async recent(limit: number): Promise<SweepSummary[]> {
    const key = (s: SweepSummary) => `${s.startedAt}#${s.sweepId}`
    return [...this.summaries.values()]
      .sort((a, b) => key(b).localeCompare(key(a)))
      .slice(0, limit)
      .map(copy)
  }

  private async endRunning(summary: SweepSummary): Promise<boolean> {
    this.counter.writes++
    if (this.summaries.get(summary.sweepId)?.status !== 'running') return false
    this.summaries.set(summary.sweepId, copy(summary))
    return true
  }
}

/** One account's rows. */
interface AccountRows {
  users: Map<string, UserState>
  exemptions: Map<string, Exemption>
  reports: Map<string, StoredReport>
  credentials: Map<string, CredentialState>
  account?: AccountState
}

class MemoryAccounts implements AccountStore {
  readonly accounts = new Map<string, AccountRows>()
  /** History rows by history key (UserId, or user name for rows from before it was kept), then row key. */
  readonly history = new Map<string, Map<string, ChangeRecord>>()

  constructor(private readonly counter: Counter) {}

  rows(accountId: string): AccountRows {
    let rows = this.accounts.get(accountId)
    if (!rows) {
      rows = { users: new Map(), exemptions: new Map(), reports: new Map(), credentials: new Map() }
      this.accounts.set(accountId, rows)
    }
    return rows
  }

  async loadAccount(accountId: string): Promise<AccountRecords> {
    const rows = this.rows(accountId)
    const users = new Map([...rows.users].map(([name, user]) => [name, copy(user)]))
    const usersById = new Map<string, UserState>()
    for (const user of users.values()) if (user.userId) usersById.set(user.userId, user)
    return {
      users,
      usersById,
      exemptions: [...rows.exemptions.values()].map(copy),
      reports: new Map([...rows.reports].map(([id, report]) => [id, copy(report)])),
      credentials: [...rows.credentials.values()].map(copy),
      unreadable: [],
      ...(rows.account ? { account: copy(rows.account) } : {}),
    }
  }

  async saveUser(next: UserState, expected: RowVersion): Promise<boolean> {
    this.counter.writes++
    const rows = this.rows(next.accountId)
    const current = rows.users.get(next.userName)
    const holds = !expected
      ? current === undefined
      : expected.version === undefined
        ? current !== undefined && current.version === undefined
        : current?.version === expected.version
    if (!holds) return false
    const version = (typeof expected?.version === 'number' ? expected.version : 0) + 1
    rows.users.set(next.userName, copy({ ...next, version }))
    return true
  }

  async appendHistory(change: ChangeRecord): Promise<void> {
    this.counter.writes++
    const key = historyKey(
      change.accountId,
      change.userId ? { id: change.userId } : { name: change.userName },
    )
    const rows = this.history.get(key) ?? new Map<string, ChangeRecord>()
    this.history.set(key, rows)
    rows.set(`${change.at}#${change.sweepId}#${historyDetail(change)}`, copy(change))
  }

  async forgetUser(accountId: string, userName: string): Promise<void> {
    this.counter.writes++
    this.rows(accountId).users.delete(userName)
  }

  reportSink(accountId: string): ReportSink {
    return {
      keep: (report) => {
        this.counter.writes++
        this.rows(accountId).reports.set(report.userId, copy(report))
      },
      written: async () => [],
    }
  }

  async forgetReport(accountId: string, userId: string): Promise<void> {
    this.counter.writes++
    this.rows(accountId).reports.delete(userId)
  }

  async saveAccountState(state: AccountState): Promise<void> {
    this.counter.writes++
    this.rows(state.accountId).account = copy(state)
  }

  async saveCredential(row: CredentialState): Promise<void> {
    this.counter.writes++
    this.rows(row.accountId).credentials.set(`${row.userId}#${row.credentialId}`, copy(row))
  }

  async forgetCredential(row: Pick<CredentialState, 'accountId' | 'userId' | 'credentialId'>): Promise<void> {
    this.counter.writes++
    this.rows(row.accountId).credentials.delete(`${row.userId}#${row.credentialId}`)
  }

  async putExemption(exemption: Exemption): Promise<void> {
    this.counter.writes++
    this.rows(exemption.accountId).exemptions.set(exemptionKey(exemption), copy(exemption))
  }

  async deleteExemption(exemption: Exemption): Promise<boolean> {
    this.counter.writes++
    return this.rows(exemption.accountId).exemptions.delete(exemptionKey(exemption))
  }
}

class MemoryLocks implements AccountLocks {
  private readonly held = new Map<string, { holder: string; leaseExpiresAt: number }>()

  constructor(private readonly counter: Counter) {}

  async acquire(accountId: string, holder: string, now: Date, leaseMs: number): Promise<LockAttempt> {
    this.counter.writes++
    const current = this.held.get(accountId)
    if (!current || current.leaseExpiresAt < now.getTime() || current.holder === holder) {
      this.held.set(accountId, { holder, leaseExpiresAt: now.getTime() + leaseMs })
      return { acquired: true }
    }
    return { acquired: false, heldBy: current.holder, until: new Date(current.leaseExpiresAt).toISOString() }
  }

  async renew(accountId: string, holder: string, now: Date, leaseMs: number): Promise<boolean> {
    this.counter.writes++
    const current = this.held.get(accountId)
    if (current?.holder !== holder) return false
    current.leaseExpiresAt = now.getTime() + leaseMs
    return true
  }

  async release(accountId: string, holder: string): Promise<void> {
    this.counter.writes++
    if (this.held.get(accountId)?.holder === holder) this.held.delete(accountId)
  }

  async holderOf(accountId: string): Promise<string | undefined> {
    return this.held.get(accountId)?.holder
  }
}

class MemoryAudit implements AuditViews {
  constructor(private readonly accounts: MemoryAccounts) {}

  async user(accountId: string, userName: string): Promise<UserState | undefined> {
    const user = this.accounts.accounts.get(accountId)?.users.get(userName)
    return user && copy(user)
  }

  async exemptions(accountId: string): Promise<{ exemptions: Exemption[]; account?: AccountState }> {
    const rows = this.accounts.accounts.get(accountId)
    return {
      exemptions: [...(rows?.exemptions.values() ?? [])].map(copy),
      ...(rows?.account ? { account: copy(rows.account) } : {}),
    }
  }

  async report(accountId: string, userId: string): Promise<StoredReport | undefined> {
    const report = this.accounts.accounts.get(accountId)?.reports.get(userId)
    return report && copy(report)
  }

  async history(
    accountId: string,
    who: { name: string } | { id: string },
    limit: number,
  ): Promise<ChangeRecord[]> {
    let key: string
    if ('id' in who) key = historyKey(accountId, who)
    else {
      const row = await this.user(accountId, who.name)
      key = historyKey(accountId, row?.userId ? { id: row.userId } : { name: who.name })
    }
    const rows = this.accounts.history.get(key) ?? new Map<string, ChangeRecord>()
    return [...rows.entries()]
      .sort(([a], [b]) => b.localeCompare(a))
      .slice(0, limit)
      .map(([, change]) => copy(change))
  }

  async attemptsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    const key = (c: ChangeRecord) => `${c.attempt?.at}#${c.accountId}#${c.userName}#${c.attempt?.namespace}`
    return [...this.accounts.history.values()]
      .flatMap((rows) => [...rows.values()])
      .filter((c) => c.attempt && key(c) >= since && (!accountId || c.accountId === accountId))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .map(copy)
  }

  async requestsSince(since: string, accountId?: string): Promise<ChangeRecord[]> {
    const key = (c: ChangeRecord) => `${c.at}#${c.accountId}#${c.userName}`
    return [...this.accounts.history.values()]
      .flatMap((rows) => [...rows.values()])
      .filter(
        (c) =>
          c.status === 'exemption-requested' && key(c) >= since && (!accountId || c.accountId === accountId),
      )
      .sort((a, b) => key(a).localeCompare(key(b)))
      .map(copy)
  }

  async scheduled(until: string | undefined, accountId?: string): Promise<UserState[]> {
    const key = (u: UserState) => `${u.nextScheduled}#${u.accountId}#${u.userName}`
    return this.users()
      .filter(
        (u) =>
          u.nextScheduled && (!until || key(u) < `${until}$`) && (!accountId || u.accountId === accountId),
      )
      .sort((a, b) => key(a).localeCompare(key(b)))
  }

  async usersByStatus(status: UserState['status']): Promise<UserState[]> {
    const key = (u: UserState) => `${u.accountId}#${u.userName}`
    return this.users()
      .filter((u) => u.status === status)
      .sort((a, b) => key(a).localeCompare(key(b)))
  }

  async credentials(status: CredentialStatus, accountId?: string): Promise<CredentialState[]> {
    const key = (c: CredentialState) => `${c.accountId}#${c.userName}#${c.credentialId}`
    return [...this.accounts.accounts.values()]
      .flatMap((rows) => [...rows.credentials.values()])
      .filter((c) => c.status === status && (!accountId || c.accountId === accountId))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .map(copy)
  }

  async accountsByStatus(status: AccountState['status']): Promise<AccountState[]> {
    return [...this.accounts.accounts.values()]
      .flatMap((rows) => (rows.account?.status === status ? [copy(rows.account)] : []))
      .sort((a, b) => a.accountId.localeCompare(b.accountId))
  }

  private users(): UserState[] {
    return [...this.accounts.accounts.values()].flatMap((rows) => [...rows.users.values()].map(copy))
  }
}

function historyKey(accountId: string, who: { name: string } | { id: string }): string {
  return 'id' in who ? `${accountId}#USERID#${who.id}` : `${accountId}#USER#${who.name}`
}

function historyDetail(change: ChangeRecord): string {
  if (change.attempt) return `attempt#${change.attempt.namespace}`
  if (change.credential) return `${change.status}#${change.credential.credentialId}`
  if (['scheduled', 'schedule-cancelled', 'exemption-requested'].includes(change.status)) return change.status
  return ''
}

function exemptionKey(exemption: Exemption): string {
  return `${exemption.userId ?? exemption.userName}#${exemption.service ?? '*'}`
}

export class MemoryStateStore implements StateStore {
  private readonly counter = new Counter()
  readonly sweeps = new MemoryLedger(this.counter)
  readonly users = new MemoryAccounts(this.counter)
  readonly locks = new MemoryLocks(this.counter)
  readonly audit = new MemoryAudit(this.users)

  get writeCount(): number {
    return this.counter.writes
  }
}
