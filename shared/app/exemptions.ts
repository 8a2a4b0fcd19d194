import { ACCOUNT_ID, IAM_USER_NAME } from '../config.js'
import { DENY_KEY, serviceOf } from '../domain/actions/keys.js'
import { isExemptionOf } from '../domain/exemption.js'
import { ACCOUNT_STATUSES, type Exemption, type UserState } from '../domain/records.js'
import { ConfigError } from '../errors.js'
import type { StateStore } from '../ports.js'

/** A temporary exemption asked for: of the whole user, or of some services or actions (one row each). */
export interface ExemptionGrant {
  accountId: string
  userName: string
  /** Absent or empty: the whole user. */
  services?: readonly string[]
  days: number
  reason: string
  now: Date
}

/**
 * The exemption rows a grant would record: what `exempt` previews, and what `addExemption` writes. It is
 * granted to the UserId the user's recorded state names, so it follows a rename and a reused name gets
 * nothing; each service must be one the user was granted at the last sweep, and all are checked before
 * any is written. Sweeps honour it until it expires, with no further step.
 */
export async function exemptionsFor(
  store: StateStore,
  input: ExemptionGrant,
): Promise<{ user: UserState; exemptions: Exemption[] }> {
  if (!ACCOUNT_ID.test(input.accountId))
    throw new ConfigError(`account: ${input.accountId} is not a 12-digit account id`)
  if (!IAM_USER_NAME.test(input.userName))
    throw new ConfigError(`user: ${input.userName} is not a valid IAM user name`)
  const services = input.services ?? []
  for (const service of services)
    if (!DENY_KEY.test(service))
      throw new ConfigError(
        `service: ${service} is not a service such as s3 or an action such as iam:CreateUser`,
      )
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > 365)
    throw new ConfigError('days: a whole number from 1 to 365')
  const user = await store.audit.user(input.accountId, input.userName)
  if (!user) {
    throw new ConfigError(
      `user: no recorded state for ${input.userName} in ${input.accountId}; sweep the account first (a plan sweep will do)`,
    )
  }
  checkGranted(user, services, input.userName)
  const until = new Date(input.now.getTime() + input.days * 86_400_000).toISOString()
  const exemptions: Exemption[] = (services.length > 0 ? services : [undefined]).map((service) => ({
    accountId: input.accountId,
    userName: user.userName,
    ...(user.userId ? { userId: user.userId } : {}),
    ...(service ? { service } : {}),
    until,
    reason: input.reason,
    createdAt: input.now.toISOString(),
  }))
  return { user, exemptions }
}

/** Records a grant (`exemptionsFor`), with its history row naming the operator. */
export async function addExemption(
  store: StateStore,
  /** `actor`: who grants it (sts:GetCallerIdentity), kept in the user's history. */
  input: ExemptionGrant & { actor: string },
): Promise<Exemption[]> {
  const { user, exemptions } = await exemptionsFor(store, input)
  const services = input.services ?? []
  const until = exemptions[0]?.until
  for (const exemption of exemptions) await store.users.putExemption(exemption)
  await store.users.appendHistory({
    ...historyBase(user, input.now, input.actor),
    status: 'exempted',
    reason: `exempt from ${services.length > 0 ? services.join(', ') : 'every deny'} until ${until}: ${input.reason}`,
  })
  return exemptions
}

/** Each service or action must be one the user was granted, and an action not inside a service denied whole. */
function checkGranted(user: UserState, services: readonly string[], userName: string): void {
  // An action is granted with its service: Access Advisor says which services a user holds, not actions.
  const granted = new Set([...Object.keys(user.firstSeen ?? {}), ...user.denied.map(serviceOf)])
  const unknown = services.filter((s) => !granted.has(serviceOf(s)))
  // An action's exemption cannot lift its service's deny: the user would stay as blocked as before.
  const inWhole = services.filter((s) => s !== serviceOf(s) && user.denied.includes(serviceOf(s)))
  if (inWhole.length > 0)
    throw new ConfigError(
      `service: ${inWhole.join(', ')} belongs to a service ${userName} is denied whole; exempt the service (--service ${serviceOf(inWhole[0] ?? '')})`,
    )
  if (unknown.length > 0)
    throw new ConfigError(`service: ${userName} was not granted ${unknown.join(', ')} at the last sweep`)
}

/** A history row for an operator's exemption change: it outlives the exemption row's TTL. */
function historyBase(user: UserState, now: Date, actor: string) {
  return {
    accountId: user.accountId,
    userName: user.userName,
    ...(user.userId ? { userId: user.userId } : {}),
    at: now.toISOString(),
    sweepId: 'operator',
    mode: 'enforce' as const,
    added: [],
    removed: [],
    denied: user.denied,
    actor,
  }
}

export interface Revocation {
  accountId: string
  userName: string
  /** Absent: the whole-user exemption. */
  service?: string
}

/**
 * The exemption rows a revocation would lift: the whole-user one, or one service's. The user is found as
 * IAM spells it or by the UserId its recorded state names, so a rename does not hide the exemption.
 * Fails, naming the user, when there is none to lift.
 */
export async function revocable(
  store: StateStore,
  input: Revocation,
): Promise<{ user: UserState | undefined; matches: Exemption[] }> {
  const past = await store.users.loadAccount(input.accountId)
  const name = input.userName.toLowerCase()
  const user = [...past.users.values()].find((u) => u.userName.toLowerCase() === name)
  const userId = user?.userId
  // A name-only row refused since the account's old rows were resolved still matches by name here: the
  // sweep alerts it every day, and revoking is how an operator clears it away.
  const matches = past.exemptions.filter(
    (e) => isExemptionOf(e, { name: input.userName, id: userId }) && e.service === input.service,
  )
  if (matches.length === 0) {
    const what = input.service ? ` from ${input.service}` : ' of the whole user'
    // The ones in force are named, so that the operator sees which to give.
    const held = past.exemptions
      .filter((e) => isExemptionOf(e, { name: input.userName, id: userId }))
      .map((e) => (e.service ? `--service ${e.service}` : 'the whole user (no --service)'))
    const hint = held.length > 0 ? `; in force: ${held.join(', ')}` : ''
    throw new ConfigError(`user: no exemption${what} for ${input.userName} in ${input.accountId}${hint}`)
  }
  return { user, matches }
}

/** Lifts a user's exemption before its end (`revocable`), recorded with the operator and why. */
export async function revokeExemption(
  store: StateStore,
  input: Revocation & { now: Date; actor: string; reason: string },
): Promise<Exemption[]> {
  const { user, matches } = await revocable(store, input)
  for (const exemption of matches) await store.users.deleteExemption(exemption)
  if (user) {
    await store.users.appendHistory({
      ...historyBase(user, input.now, input.actor),
      status: 'exemption-revoked',
      reason: `exemption from ${input.service ?? 'every deny'} revoked before ${matches[0]?.until}: ${input.reason}`,
    })
  }
  return matches
}

/**
 * The exemptions in force of an account, or of every account the sweeps recorded: not expired, and not a
 * name-only row the sweep refuses. By account, then soonest end first.
 */
export async function listExemptions(
  store: StateStore,
  accountId: string | undefined,
  now: Date,
): Promise<Exemption[]> {
  const accounts = accountId ? [accountId] : await recordedAccounts(store)
  const found: Exemption[] = []
  for (const id of accounts) {
    const { exemptions, account } = await store.audit.exemptions(id)
    const refused = (e: Exemption) => !e.userId && account?.legacyResolvedAt !== undefined
    found.push(
      ...exemptions
        .filter((e) => !refused(e) && Date.parse(e.until) > now.getTime())
        .sort((a, b) => a.until.localeCompare(b.until)),
    )
  }
  return found
}

async function recordedAccounts(store: StateStore): Promise<string[]> {
  const byStatus = await Promise.all(ACCOUNT_STATUSES.map((s) => store.audit.accountsByStatus(s)))
  return [...new Set(byStatus.flat().map((a) => a.accountId))].sort()
}
