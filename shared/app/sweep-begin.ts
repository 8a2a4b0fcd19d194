/** How a sweep begins: recorded with its accounts, resumed when the same trigger comes again, handed on. */
import { randomBytes } from 'node:crypto'
import { awsErrorKind } from '../aws/aws-errors.js'
import type { HubConfig } from '../config.js'
import type { RunningSweep, SweepSummary } from '../domain/records.js'
import { ConfigError, errorMessage, LeastPrivilegeError } from '../errors.js'
import type { SweepDeps, SweepRequest } from './org-sweep.js'
import { detectStalled, stall } from './sweep-close.js'

export function newSweepId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`
}

/**
 * Records a new sweep and hands it on to an invocation of its own (`continueWith`, hop 1): an operator is
 * answered at once, a refusal included. A sweep that cannot be handed on is said stalled there and then,
 * not left running for anyone to resume.
 */
export async function startSweep(
  deps: SweepDeps,
  config: HubConfig,
  request: Extract<SweepRequest, { kind: 'new' }>,
): Promise<{ started: true; sweepId: string }> {
  if (!deps.continueWith) throw new LeastPrivilegeError('this runner cannot hand a sweep on')
  const started = await beginSweep(deps, config, request)
  try {
    await deps.continueWith({ sweepId: started.sweepId, hop: 1 })
  } catch (error) {
    const log = deps.log.child({ sweepId: started.sweepId })
    await stall(deps, started, `it could not be handed on: ${errorMessage(error)}`, started.accountCount, log)
    throw error
  }
  return { started: true, sweepId: started.sweepId }
}

/**
 * Records a new sweep and its target accounts without sweeping any: the hub answers an operator at once,
 * then carries the sweep on in invocations of its own. An unknown account fails here, naming it.
 */
export async function beginSweep(
  deps: SweepDeps,
  config: HubConfig,
  request: Extract<SweepRequest, { kind: 'new' }>,
): Promise<SweepSummary> {
  await detectStalled(deps, config)
  const active = (await deps.organization.accounts())
    .filter((a) => a.state === 'ACTIVE' && !config.excludedAccounts.includes(a.id))
    .map((a) => a.id)
  const unknown = (request.accounts ?? []).filter((id) => !active.includes(id))
  if (unknown.length > 0)
    throw new ConfigError(
      `accounts: ${unknown.join(', ')} not an active, non-excluded account of the organization`,
    )
  const accounts = request.accounts ? [...new Set(request.accounts)] : active
  accounts.sort()
  const now = deps.now()
  const sweepId = request.sweepId ?? newSweepId(now)
  const keyDeletionEpoch = await keyDeletionStretch(deps, config, sweepId)
  const summary: RunningSweep = {
    sweepId,
    mode: request.mode,
    trigger: request.trigger,
    ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    startedAt: now.toISOString(),
    status: 'running',
    accountCount: accounts.length,
    invocations: 1,
    heartbeatAt: now.toISOString(),
    ...(request.confirmLargeChange ? { confirmLargeChange: true } : {}),
    ...(request.fullReads ? { fullReads: true } : {}),
    ...(keyDeletionEpoch ? { keyDeletionEpoch } : {}),
  }
  await reachSomeSpoke(deps, config, accounts, summary.sweepId)
  if (await deps.store.sweeps.start(summary, accounts)) return summary
  // The same trigger delivered twice: carry on with the sweep already recorded.
  return resume(deps, { sweepId: summary.sweepId })
}

/**
 * Key deletion's stretch: the last sweep's, while deletion stays on; a new one (this sweep's id) when it
 * was off then. A sweep with deletion off, whatever it reached, ends the stretch for every account.
 */
async function keyDeletionStretch(
  deps: SweepDeps,
  config: HubConfig,
  sweepId: string,
): Promise<string | undefined> {
  if (config.credentials === 'off' || config.credentialDeleteAfterDays === 'off') return undefined
  const [last] = await deps.store.sweeps.recent(1)
  return last?.keyDeletionEpoch ?? sweepId
}

/** Accounts tried at once while looking for one whose spoke role answers. */
const SPOKE_PROBES = 10

/**
 * A wrong ExternalId or role name makes every AssumeRole refused, and a sweep would mark every account
 * unreachable in the shared table. So before anything is recorded, the spoke role is assumed until one
 * account answers: one a sweep reached before first, then the others, ten at a time, as far as every
 * account (a pilot's target OU may hold only a few, anywhere in the list). If every one refuses, the
 * sweep stops, naming the likely cause. Any other failure is the sweep's to meet and record.
 */
async function reachSomeSpoke(
  deps: SweepDeps,
  config: HubConfig,
  accounts: readonly string[],
  runId: string,
): Promise<void> {
  const reached = new Set((await deps.store.audit.accountsByStatus('reachable')).map((a) => a.accountId))
  const order = [...accounts.filter((a) => reached.has(a)), ...accounts.filter((a) => !reached.has(a))]
  const answers = async (accountId: string) => {
    try {
      ;(await deps.spokes.open({ accountId, runId })).close()
      return true
    } catch (error) {
      return awsErrorKind(error) !== 'access-denied'
    }
  }
  // One first (nearly always the answer: an account reached before), then ten at a time.
  const rest = order.slice(1)
  const rounds = [order.slice(0, 1)]
  for (let i = 0; i < rest.length; i += SPOKE_PROBES) rounds.push(rest.slice(i, i + SPOKE_PROBES))
  for (const round of rounds) {
    const replies = await Promise.all(round.map(answers))
    if (replies.some(Boolean)) return
  }
  if (order.length === 0) return
  const which = order.length > 1 ? `any of the ${order.length} accounts` : `account ${order.join(', ')}`
  throw new ConfigError(
    `externalId (EXTERNAL_ID) or spokeRoleName (SPOKE_ROLE_NAME): no spoke role could be assumed in ${which}: check EXTERNAL_ID and SPOKE_ROLE_NAME (${config.spokeRoleName}) against the StackSet's, and that the StackSet reached them; nothing was recorded`,
  )
}

export async function resume(deps: SweepDeps, request: { sweepId: string }): Promise<SweepSummary> {
  const sweep = await deps.store.sweeps.get(request.sweepId)
  if (!sweep) throw new ConfigError(`continuation.sweepId: no sweep ${request.sweepId} in the state table`)
  return sweep
}
