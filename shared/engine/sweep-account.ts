import type { IAMClient } from '@aws-sdk/client-iam'
import pLimit from 'p-limit'
import { readServiceUsage, realSleep, type Sleep } from '../aws/access-advisor.js'
import { readAccountSnapshot, readQuotas } from '../aws/iam-reader.js'
import { executeWrites } from '../aws/iam-writer.js'
import type { EngineConfig } from '../config.js'
import type { DecisionStatus, UserDecision } from '../domain/decision.js'
import { renderDenyPolicies } from '../domain/deny-policy.js'
import { exemptionFor, isTooYoung } from '../domain/exemption.js'
import { userPolicies } from '../domain/ownership.js'
import { type DenyPlan, planDenySet } from '../domain/planner.js'
import { policyArn, policyName } from '../domain/policy-naming.js'
import type { AccountQuotas, IamUser, ManagedPolicy } from '../domain/types.js'
import { currentServices, planWrites } from '../domain/write-plan.js'
import { errorMessage, LeastPrivilegeError } from '../errors.js'
import type { Logger } from '../logger.js'

/** What earlier sweeps and operators recorded about a user. */
export interface PriorUserState {
  /** Absent until a report has been read for the user (see planDenySet). */
  firstSeen?: Record<string, string>
  /** Services temporarily exempted for this user. */
  exemptServices?: readonly string[]
  /** The whole user is temporarily exempt until this ISO date. */
  exemptUntil?: string
}

export interface AccountSweepDeps {
  iam: IAMClient
  log: Logger
  now: Date
  sleep?: Sleep
  priorState?: (userName: string) => PriorUserState | undefined
}

export interface AccountResult {
  accountId: string
  quotas: AccountQuotas
  decisions: UserDecision[]
}

/**
 * Brings every IAM user of one account to its least-privilege deny set (or, in plan mode, reports what
 * that would take). One user's failure is recorded in its decision and never stops the others.
 */
export async function sweepAccount(
  deps: AccountSweepDeps,
  accountId: string,
  config: EngineConfig,
): Promise<AccountResult> {
  const [snapshot, quotas] = await Promise.all([
    readAccountSnapshot(deps.iam, config.policyNamePrefix),
    readQuotas(deps.iam),
  ])
  const limit = pLimit(config.userConcurrency)
  const decisions = await Promise.all(
    snapshot.users.map((user) =>
      limit(async () => {
        const log = deps.log.child({ userName: user.name })
        const decision = await decideUser(
          deps,
          log,
          accountId,
          config,
          quotas,
          user,
          snapshot.candidatePolicies,
        )
        log.info(
          {
            event: 'user.decision',
            status: decision.status,
            added: decision.added.map((c) => c.namespace),
            removed: decision.removed.map((c) => c.namespace),
            writes: decision.writes,
          },
          decision.reason,
        )
        return decision
      }),
    ),
  )
  return { accountId, quotas, decisions }
}

async function decideUser(
  deps: AccountSweepDeps,
  log: Logger,
  accountId: string,
  config: EngineConfig,
  quotas: AccountQuotas,
  user: IamUser,
  candidates: readonly ManagedPolicy[],
): Promise<UserDecision> {
  const { owned, foreign } = userPolicies(user, candidates, config.policyNamePrefix, config.policyPath)
  const currentlyDenied = new Set(owned.flatMap(currentServices))
  const base = {
    accountId,
    userName: user.name,
    userArn: user.arn,
    denied: [...currentlyDenied].sort(),
    added: [],
    removed: [],
    policyArns: owned.map((o) => o.policy.arn),
    writes: 0,
  }

  try {
    const prior = deps.priorState?.(user.name)
    const tag = exemptionFor(user, config.exemptTags)
    const exemptBy = tag ? `exempt by tag ${tag}` : prior?.exemptUntil && `exempt until ${prior.exemptUntil}`
    let plan: DenyPlan
    let status: DecisionStatus | undefined
    let reason: string | undefined
    if (exemptBy) {
      // An exemption lifts any deny of ours: the operator asked for this user to be left alone.
      plan = {
        deny: [],
        added: [],
        removed: base.denied.map((ns) => ({ namespace: ns, reason: 'exempt' })),
        firstSeen: {},
      }
      status = 'exempt'
      reason = exemptBy
    } else if (isTooYoung(user, deps.now, config.windowDays)) {
      return {
        ...base,
        status: 'too-young',
        reason: `created ${user.createDate.toISOString()}, within the window`,
      }
    } else {
      const report = await readServiceUsage(deps.iam, user.arn, config.accessAdvisor, deps.sleep ?? realSleep)
      plan = planDenySet({
        report,
        currentlyDenied,
        firstSeen: prior?.firstSeen,
        userCreateDate: user.createDate,
        now: deps.now,
        windowDays: config.windowDays,
        neverDeny: new Set(config.neverDeny),
        exemptServices: new Set(prior?.exemptServices ?? []),
      })
    }
    const withPlan = {
      ...base,
      added: plan.added,
      removed: plan.removed,
      ...(exemptBy ? {} : { firstSeen: plan.firstSeen }),
    }

    const desired = renderDenyPolicies(plan.deny, user.arn, quotas.policySize)
    const nameOf = (part: number) => {
      const name = policyName(config.policyNamePrefix, part, user.name)
      return { name, arn: policyArn(user.arn, config.policyPath, name) }
    }
    const taken = foreign.find((f) => desired.some((d) => d.part === f.part))
    if (taken) {
      return {
        ...withPlan,
        status: 'not-owned-conflict',
        reason: `policy ${taken.policy.arn} has the project's name but not its path ${config.policyPath}; left alone`,
      }
    }

    const writes = planWrites({
      desired,
      owned,
      attachedCount: user.attachedPolicyArns.length,
      quotas,
      nameOf,
    })
    if (writes.kind === 'quota-blocked') {
      return {
        ...withPlan,
        status: 'quota-blocked',
        reason: `needs ${writes.needed} more attached policies, the quota leaves ${writes.available}`,
      }
    }
    const after = { denied: plan.deny, policyArns: desired.map((d) => nameOf(d.part).arn) }
    if (writes.ops.length === 0) {
      return {
        ...withPlan,
        ...after,
        status: status ?? 'unchanged',
        reason: reason ?? 'deny set and policies up to date',
      }
    }
    if (config.mode === 'plan') {
      return {
        ...withPlan,
        status: status ?? 'planned',
        reason: reason ?? `${writes.ops.length} writes pending (plan mode)`,
      }
    }
    await executeWrites(deps.iam, user.name, config.policyPath, writes.ops)
    return {
      ...withPlan,
      ...after,
      writes: writes.ops.length,
      status: status ?? 'enforced',
      reason: reason ?? `applied ${writes.ops.map((o) => o.op).join(', ')}`,
    }
  } catch (error) {
    // Expected failures (a FAILED job, throttling after retries) need no stack trace; the rest keep one.
    const detail = error instanceof LeastPrivilegeError ? { reason: errorMessage(error) } : { err: error }
    log.warn({ event: 'user.error', ...detail }, 'user left unchanged')
    return { ...base, status: 'error', reason: `${errorMessage(error)}; nothing changed for this user` }
  }
}
