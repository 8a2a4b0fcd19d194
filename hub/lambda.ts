import { addExemption, revokeExemption } from '../shared/app/exemptions.js'
import {
  type ReleaseResult,
  type RestoreResult,
  type RollbackResult,
  releaseDeny,
  restoreCredentials,
  rollback,
} from '../shared/app/operator.js'
import { runSweep, type SweepReport, type SweepRequest } from '../shared/app/org-sweep.js'
import { startSweep } from '../shared/app/sweep-begin.js'
import { functionNameOf, matchesAny, OperatorAuthError, verifiedCaller } from '../shared/aws/caller.js'
import { startInHub } from '../shared/aws/hub-invoke.js'
import { publishSweepMetrics } from '../shared/aws/sweep-metrics.js'
import type { Exemption } from '../shared/domain/records.js'
import { ConfigError } from '../shared/errors.js'
import { createLogger } from '../shared/logger.js'
import { type HubConfig, loadHubConfig } from './config.js'
import {
  type ContinuationEvent,
  type HubRequest,
  type OperatorRequest,
  operatorSweep,
  parseHubEvent,
  type SweepStarted,
} from './event.js'
import { createRuntime, type Runtime, slackNotifier } from './runtime.js'

/** The part of Lambda's context object the hub uses. */
export interface LambdaContext {
  invokedFunctionArn: string
  /** The same on every retry of one asynchronous invocation. */
  awsRequestId: string
  getRemainingTimeInMillis(): number
}

let cached: { config: HubConfig; runtime: Runtime; notifier: ReturnType<typeof slackNotifier> } | undefined

/** Built once per cold start: configuration errors fail every invocation with the same clear message. */
function setup() {
  if (!cached) {
    const config = loadHubConfig(process.env)
    const runtime = createRuntime(config, createLogger())
    cached = {
      config,
      runtime,
      notifier: slackNotifier(runtime, { secretArn: config.slackWebhookSecretArn }),
    }
  }
  return cached
}

/** What the hub answers: a sweep's report, or what an operator's request did. */
export type HubReply =
  | SweepReport
  | SweepStarted
  | ReleaseResult
  | RestoreResult
  | Exemption[]
  | RollbackResult[]

/**
 * Scheduled and continuation events run a sweep; an operator's request (a sweep, a release) is carried
 * out once STS has named the operator who signed it.
 */
export async function handler(event: unknown, context: LambdaContext): Promise<HubReply> {
  const { config, runtime } = setup()
  const budget = context.getRemainingTimeInMillis()
  // A threshold not below the timeout would hand every sweep on before it swept anything, for ever.
  if (budget <= config.continuationThresholdMs) {
    throw new ConfigError(
      `CONTINUATION_THRESHOLD_MS (${config.continuationThresholdMs}) must be below the function's timeout (${Math.round(budget / 1000)} s left at the start)`,
    )
  }
  const request = parseHubEvent(event, config)
  if (request.kind === 'sweep') return sweep(context, request.sweep)
  const actor = await operatorOf(runtime, config, { ...request, functionArn: context.invokedFunctionArn })
  return carryOut(request.request, { actor, digest: request.digest }, context)
}

/** An operator's request, carried out for `actor` as AWS named them. */
async function carryOut(
  request: OperatorRequest,
  { actor, digest }: { actor: string; digest: string },
  context: LambdaContext,
) {
  const { config, runtime } = setup()
  const deps = runtime.operatorDeps()
  const now = deps.now()
  switch (request.action) {
    case 'sweep':
      // Answered once recorded; swept by continuations, which carry no proof (nor do Lambda's retries).
      return startSweep(sweepDeps(context), config, operatorSweep(request, actor, digest))
    case 'release': {
      const { action: _, ...release } = request
      return releaseDeny(deps, config, { ...release, enforce: true, actor })
    }
    case 'restore': {
      const { action: _, ...restore } = request
      return restoreCredentials(deps, config, { ...restore, enforce: true, actor })
    }
    case 'exempt': {
      const { action: _, services, ...grant } = request
      return addExemption(deps.store, { ...grant, ...(services ? { services } : {}), now, actor })
    }
    case 'revoke': {
      const { action: _, service, ...what } = request
      return revokeExemption(deps.store, { ...what, ...(service ? { service } : {}), now, actor })
    }
    case 'rollback': {
      const { action: _, userName, exemptUntil, accountId, reason } = request
      return rollback(deps, config, {
        accountId,
        actor,
        reason,
        ...(userName !== undefined ? { userName } : {}),
        ...(exemptUntil ? { exemptUntil } : {}),
      })
    }
  }
}

/** How long a signed request stands: its proof is one, however long STS would take the signature. */
const REQUEST_LIFETIME_MS = 5 * 60_000

/**
 * The operator behind a request, as STS names the signer of its proof; refused unless it was signed for
 * this hub within the last few minutes and OPERATOR_ARNS admits the signer. The proof holds a session
 * token: it is never logged.
 */
async function operatorOf(
  runtime: Runtime,
  config: HubConfig,
  request: Extract<HubRequest, { kind: 'operator' }> & { functionArn: string },
): Promise<string> {
  const self = functionNameOf(request.functionArn)
  if (request.hub !== self)
    throw new OperatorAuthError(`the request was signed for hub ${request.hub}, not ${self}`)
  const age = Date.now() - Date.parse(request.issuedAt)
  if (age > REQUEST_LIFETIME_MS || age < -60_000)
    throw new OperatorAuthError(`the request was signed at ${request.issuedAt}: too old, or from the future`)
  const arn = await verifiedCaller(runtime.clients.proofSts, request.proof, request.digest)
  if (!matchesAny(arn, config.operatorArns))
    throw new OperatorAuthError(`${arn} is not an operator of this hub (OPERATOR_ARNS)`)
  return arn
}

async function sweep(context: LambdaContext, request: SweepRequest): Promise<SweepReport> {
  return runSweep(sweepDeps(context), setup().config, request)
}

function sweepDeps(context: LambdaContext) {
  const { config, runtime, notifier } = setup()
  return runtime.sweepDeps({
    remainingMs: () => context.getRemainingTimeInMillis(),
    modeCeiling: config.mode,
    // Only in Lambda: the metric lines go to the function's log group, never to a CLI's stdout.
    publishMetrics: publishSweepMetrics,
    ...(notifier ? { notifier } : {}),
    continueWith: async (next) => {
      const payload: ContinuationEvent = { continuation: next }
      await startInHub(runtime.clients.lambda, context.invokedFunctionArn, payload)
    },
  })
}
