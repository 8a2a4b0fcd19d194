import { createMetricsLogger, Unit } from 'aws-embedded-metrics'
import { DECISION_STATUS_NAMES } from '../domain/decision.js'
import type { CompletedSweep } from '../domain/records.js'

/** CloudWatch namespace of the hub's metrics; the template's alert metric lives there too. */
export const METRICS_NAMESPACE = 'IamLeastPrivilege'

/**
 * A completed sweep's figures in CloudWatch embedded metric format: one log line that CloudWatch turns
 * into metrics, with no API call and no permission. Dimension `Mode` keeps plan and enforce apart.
 */
export async function publishSweepMetrics(summary: CompletedSweep): Promise<void> {
  const metrics = createMetricsLogger()
  metrics.setNamespace(METRICS_NAMESPACE)
  metrics.setDimensions({ Mode: summary.mode })
  metrics.setProperty('sweepId', summary.sweepId)
  for (const status of DECISION_STATUS_NAMES)
    metrics.putMetric(`Users.${status}`, summary.counts[status] ?? 0, Unit.Count)
  metrics.putMetric('Accounts.swept', summary.accountsSwept, Unit.Count)
  metrics.putMetric('Accounts.unreachable', summary.accountsUnreachable, Unit.Count)
  metrics.putMetric('Accounts.failed', summary.accountsFailed, Unit.Count)
  metrics.putMetric('Accounts.braked', summary.accountsBraked, Unit.Count)
  metrics.putMetric('IamCalls', summary.iamCalls ?? 0, Unit.Count)
  metrics.putMetric('IamThrottled', summary.iamThrottled ?? 0, Unit.Count)
  metrics.putMetric('ReadsSkipped', summary.readsSkipped ?? 0, Unit.Count)
  const credentials = summary.credentials
  metrics.putMetric('Credentials.scheduled', credentials?.scheduled ?? 0, Unit.Count)
  metrics.putMetric('Credentials.deactivated', credentials?.deactivated ?? 0, Unit.Count)
  metrics.putMetric('Credentials.reactivated', credentials?.reactivated ?? 0, Unit.Count)
  metrics.putMetric('Credentials.deleted', credentials?.deleted ?? 0, Unit.Count)
  metrics.putMetric('Credentials.accountsHeld', credentials?.accountsHeld ?? 0, Unit.Count)
  // One per completed sweep: the template's silence alarm fires when a day passes without one.
  metrics.putMetric('SweepsCompleted', 1, Unit.Count)
  metrics.putMetric('Invocations', summary.invocations, Unit.Count)
  metrics.putMetric('Duration', summary.durationMs, Unit.Milliseconds)
  await metrics.flush()
}
