const statusIndex = { name: 'status-index', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const
/** Sparse: only user rows with a deny scheduled carry its keys, sorted by the earliest day. */
const scheduleIndex = { name: 'schedule-index', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' } as const

/**
 * The single DynamoDB table's shape: generic keys, a status index and a schedule index, TTL on
 * `expiresAt`. The hub template declares the same; a test checks they agree.
 */
export const STATE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  statusIndex,
  scheduleIndex,
  indexes: [statusIndex, scheduleIndex],
  ttlAttribute: 'expiresAt',
} as const

export const keys = {
  account: (accountId: string) => `ACCOUNT#${accountId}`,
  user: (userName: string) => `USER#${userName}`,
  accountRow: 'ACCOUNT',
  exemption: (owner: string, service?: string) => `EXEMPTION#${owner}#${service ?? '*'}`,
  /** History is kept under the UserId, so it follows a renamed user and a reused name starts afresh. */
  history: (accountId: string, userId: string) => `ACCOUNT#${accountId}#USERID#${userId}`,
  /** Rows written before the UserId was kept. */
  legacyHistory: (accountId: string, userName: string) => `ACCOUNT#${accountId}#USER#${userName}`,
  change: (at: string, sweepId: string, detail?: string) =>
    `CHANGE#${at}#${sweepId}${detail ? `#${detail}` : ''}`,
  sweep: (sweepId: string) => `SWEEP#${sweepId}`,
  summary: 'SUMMARY',
  sweepAccount: (accountId: string) => `ACCOUNT#${accountId}`,
  sweepProgress: (accountId: string) => `PROGRESS#${accountId}`,
  /** A plan sweep's user it would change; without the user, the prefix of the account's such rows. */
  sweepPlan: (accountId: string, userId = '') => `PLAN#${accountId}#${userId}`,
  sweepPlans: 'PLAN#',
  sweepTargets: (chunk: number) => `TARGETS#${String(chunk).padStart(4, '0')}`,
  /** A user's last Access Advisor report, beside the account's other rows. */
  report: (userId: string) => `REPORT#${userId}`,
  /** A credential of the project's, beside the account's other rows. */
  credential: (userId: string, credentialId: string) => `CREDENTIAL#${userId}#${credentialId}`,
  credentialStatus: (status: string) => `CREDENTIAL_STATUS#${status}`,
  userStatus: (status: string) => `USER_STATUS#${status}`,
  accountStatus: (status: string) => `ACCOUNT_STATUS#${status}`,
  sweeps: 'SWEEPS',
  scheduled: 'SCHEDULED',
  attempts: 'ATTEMPTS',
  exemptionRequests: 'EXEMPTION_REQUESTS',
  lock: (accountId: string) => `LOCK#${accountId}`,
  lockRow: 'LOCK',
}
