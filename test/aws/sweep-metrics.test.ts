import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/** Runs the publisher in a process of its own, as Lambda loads it: the library picks its sink at load. */
async function publishedLine(): Promise<Record<string, unknown>> {
  const script = `
    const { publishSweepMetrics } = await import('./shared/aws/sweep-metrics.ts')
    await publishSweepMetrics({
      sweepId: 'sweep-1', mode: 'enforce', trigger: 'schedule', startedAt: '2026-11-25T06:00:00.000Z',
      accountCount: 3, invocations: 2, status: 'completed', finishedAt: '2026-11-25T06:10:00.000Z',
      durationMs: 600000, counts: { enforced: 4, unchanged: 10 }, accountsSwept: 2,
      accountsUnreachable: 1, accountsFailed: 0, accountsBraked: 0, iamCalls: 52, iamThrottled: 1,
      credentials: { scheduled: 3, deactivated: 2, reactivated: 1, accountsHeld: 0 },
    })`
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'least-privilege-hub' } },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
}

describe('sweep metrics', () => {
  it('are one CloudWatch embedded-metric line on stdout in Lambda: users by status, accounts, credentials, IAM calls, duration', async () => {
    const line = await publishedLine()
    expect(line).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'IamLeastPrivilege', Dimensions: [['Mode']] }] },
      Mode: 'enforce',
      sweepId: 'sweep-1',
      'Users.enforced': 4,
      'Users.unchanged': 10,
      'Users.error': 0,
      'Accounts.swept': 2,
      'Accounts.unreachable': 1,
      'Accounts.failed': 0,
      IamCalls: 52,
      IamThrottled: 1,
      'Credentials.scheduled': 3,
      'Credentials.deactivated': 2,
      'Credentials.reactivated': 1,
      'Credentials.accountsHeld': 0,
      SweepsCompleted: 1,
      Invocations: 2,
      Duration: 600000,
    })
  })
})
