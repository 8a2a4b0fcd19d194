import { type ReleaseResult, releaseDeny } from '../shared/app/operator.js'
import { runSweep, type SweepReport } from '../shared/app/org-sweep.js'
import { startInHub } from '../shared/aws/hub-invoke.js'
import { publishSweepMetrics } from '../shared/aws/sweep-metrics.js'
import { ConfigError } from '../shared/errors.js'
import { createLogger } from '../shared/logger.js'
import { type HubConfig, loadHubConfig } from './config.js'
import { type ContinuationEvent, parseHubEvent } from './event.js'
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

/** Scheduled, manual and continuation events run the same sweep; an operator's release is carried out. */
export async function handler(event: unknown, context: LambdaContext): Promise<SweepReport | ReleaseResult> {
  const { config, runtime, notifier } = setup()
  const budget = context.getRemainingTimeInMillis()
  // A threshold not below the timeout would hand every sweep on before it swept anything, for ever.
  if (budget <= config.continuationThresholdMs) {
    throw new ConfigError(
      `CONTINUATION_THRESHOLD_MS (${config.continuationThresholdMs}) must be below the function's timeout (${Math.round(budget / 1000)} s left at the start)`,
    )
  }
  const request = parseHubEvent(event, config, context.awsRequestId)
  if (request.kind === 'release') {
    const { requestedBy, ...rest } = request.release
    // Through the hub, the caller is the hub's role: the operator who asked is named, and the hub beside.
    const actor = `${requestedBy} (through ${await runtime.caller()})`
    return releaseDeny(runtime.operatorDeps(), config, { ...rest, enforce: true, actor })
  }
  const deps = runtime.sweepDeps({
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
  return runSweep(deps, config, request.sweep)
}
