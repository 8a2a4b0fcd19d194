import { describe, expect, it, vi } from 'vitest'
import type { ContinuationEvent, OperatorRequest } from '../../hub/event.js'
import { handler as lambdaHandler } from '../../hub/lambda.js'
import type { SweepReport } from '../../shared/app/org-sweep.js'
import type { CompletedSweep } from '../../shared/domain/records.js'
import { DEMO_ACCOUNTS, demoOrg } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { operatorArn, operatorEvent } from '../support/operator.js'
import { startDynamoHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'

const slack = await startSlackStandIn()
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:least-privilege/slack-AbCdEf'
const h = await startDynamoHarness({
  ...demoOrg(),
  secrets: { [SECRET_ARN]: JSON.stringify({ url: slack.url }) },
})
Object.assign(process.env, {
  ...hubTestEnv(),
  // Enforce, so that manual enforce sweeps are allowed (plan is a ceiling: test/hub/config.test.ts).
  SWEEP_MODE: 'enforce',
  OPERATOR_ARNS: operatorArn(DEMO_ACCOUNTS.management, '*'),
  ACCOUNT_CONCURRENCY: '1',
  CONTINUATION_THRESHOLD_MS: '60000',
  ACCESS_ADVISOR_TIMEOUT_MS: '5000',
  LOG_LEVEL: 'silent',
  SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN,
})
// The metric lines themselves are checked in test/aws/sweep-metrics.test.ts; here, what is published.
const published = vi.hoisted(() => [] as CompletedSweep[])
vi.mock('../../shared/aws/sweep-metrics.js', () => ({
  publishSweepMetrics: async (summary: CompletedSweep) => void published.push(summary),
}))
/**
 * The handler on a sweep event, and its answer as a sweep report. An operator's sweep is answered at
 * once and carried on by the continuation the hub sends itself: that one is run here as Lambda would.
 */
async function handler(event: unknown, ctx: Parameters<typeof lambdaHandler>[1]): Promise<SweepReport> {
  const answer = await lambdaHandler(event, ctx)
  if (!('sweepId' in answer)) throw new Error('a sweep event was answered as a release')
  if (!('started' in answer)) return answer
  const next = h.emulator.invocations.at(-1)?.payload as ContinuationEvent | undefined
  if (next?.continuation.sweepId !== answer.sweepId) throw new Error('no continuation for the sweep')
  return handler(next, ctx)
}
/** An operator's sweep request, signed as the CLI signs it. */
const operatorSweep = (request: Omit<Extract<OperatorRequest, { action: 'sweep' }>, 'action'>) =>
  operatorEvent(h.emulator, { action: 'sweep', ...request })
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111111111111:function:least-privilege-hub'
let requests = 0
/**
 * A Lambda context with plenty of time until `accounts` spoke sessions have been taken, then too
 * little; each invocation has its own request id unless one is given (a retry keeps its id).
 */
function context(accounts = Number.POSITIVE_INFINITY, awsRequestId = `request-${++requests}`) {
  const base = h.emulator.count({ action: 'AssumeRole' })
  return {
    invokedFunctionArn: FUNCTION_ARN,
    awsRequestId,
    getRemainingTimeInMillis: () =>
      h.emulator.count({ action: 'AssumeRole' }) - base <= accounts ? 800_000 : 5_000,
  }
}

describe('the Lambda handler', () => {
  it("runs an operator's plan sweep of chosen accounts, recording who asked as STS names them", async () => {
    const event = await operatorSweep({ mode: 'plan', accounts: [DEMO_ACCOUNTS.production] })
    const report = await handler(event, context())
    expect(report).toMatchObject({
      mode: 'plan',
      status: 'completed',
      summary: { accountsSwept: 1 },
      digest: 'sent',
    })
    // The webhook URL came from Secrets Manager.
    expect(JSON.stringify(slack.messages.at(-1))).toContain(report.sweepId)
    expect(await h.store.sweeps.get(report.sweepId)).toMatchObject({
      trigger: 'operator',
      requestedBy: operatorArn(DEMO_ACCOUNTS.management),
    })
  })

  it("publishes each completed sweep's metrics once, with the IAM calls it made", async () => {
    const event = await operatorSweep({ mode: 'plan', accounts: [DEMO_ACCOUNTS.production] })
    const report = await handler(event, context())
    const mine = published.filter((s) => s.sweepId === report.sweepId)
    expect(mine).toEqual([report.summary])
    expect(mine[0]?.iamCalls).toBeGreaterThan(0)
    expect(mine[0]?.iamThrottled).toBe(0)
  })

  it('lets an operator confirm a large change with "confirmLargeChange": true, as the digest says', async () => {
    const request = { mode: 'enforce' as const, accounts: [DEMO_ACCOUNTS.development] }
    const held = await handler(await operatorSweep(request), context())
    expect(held.accounts[0]?.brake).toMatch(/would be newly/)
    const confirmed = await handler(await operatorSweep({ ...request, confirmLargeChange: true }), context())
    expect(confirmed.accounts[0]).toMatchObject({
      outcome: 'swept',
      counts: { enforced: expect.any(Number) },
    })
    expect(confirmed.accounts[0]?.brake).toBeUndefined()
  })

  it('continues in a fresh asynchronous invocation when time runs short', async () => {
    // Time runs short inside the second account: it stops at a user boundary and is carried on. (The
    // first AssumeRole is the sweep's check, before it is recorded, that a spoke role answers.)
    const first = await handler(await operatorSweep({ mode: 'plan' }), context(2))
    expect(first.status).toBe('continued')
    expect(first.accounts).toHaveLength(1)
    expect(first.deferred).toBe(3)
    const invocation = h.emulator.invocations.at(-1)
    expect(invocation?.functionName).toBe(FUNCTION_ARN)
    // The operator's request started hop 1 (the hub answered at once); hop 2 carries on.
    expect(invocation?.payload).toEqual({ continuation: { sweepId: first.sweepId, hop: 2 } })
    const second = await handler(invocation?.payload, context())
    expect(second).toMatchObject({
      sweepId: first.sweepId,
      status: 'completed',
      summary: { accountsSwept: 3, accountsUnreachable: 1 },
    })
  })

  it('turns a scheduled event into one sweep, even when EventBridge delivers it twice', async () => {
    const event = {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      id: 'a1b2c3d4-0000-4000-8000-000000000000',
      time: '2026-11-25T06:00:00Z',
      detail: {},
    }
    const first = await handler(event, context())
    const again = await handler(event, context())
    expect(first.sweepId).toBe('sched-20261125T060000Z-a1b2c3d4')
    expect(first.mode).toBe('enforce') // the configured mode
    expect(again).toMatchObject({ sweepId: first.sweepId, accounts: [], status: 'completed' })
  })

  it("is the same sweep when an operator's request comes again (a retry, a replay): never a second one", async () => {
    const event = await operatorSweep({ mode: 'plan', accounts: [DEMO_ACCOUNTS.production] })
    const first = await handler(event, context(Number.POSITIVE_INFINITY, 'first-request'))
    const again = await handler(event, context(Number.POSITIVE_INFINITY, 'another-request'))
    expect(first.sweepId).toMatch(/^manual-[0-9a-f]{40}$/)
    expect(again).toMatchObject({ sweepId: first.sweepId, accounts: [], status: 'completed' })
  })

  it('never carries on a sweep nobody carried on for a while, whoever sends its continuation', async () => {
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString()
    const sweepId = `forgotten-${requests}`
    await h.store.sweeps.start(
      {
        sweepId,
        mode: 'enforce',
        trigger: 'operator',
        startedAt: old,
        heartbeatAt: old,
        status: 'running',
        accountCount: 1,
        invocations: 1,
        confirmLargeChange: true,
      },
      [DEMO_ACCOUNTS.development],
    )
    const writes = h.emulator.count({ writes: true })
    const report = await handler({ continuation: { sweepId, hop: 1 } }, context())
    expect(report).toMatchObject({ status: 'stalled', accounts: [] })
    expect(h.emulator.count({ writes: true })).toBe(writes)
    expect(await h.store.sweeps.get(sweepId)).toMatchObject({ status: 'stalled' })
  })

  it('refuses a CONTINUATION_THRESHOLD_MS not below the time the invocation has', async () => {
    const ctx = { ...context(), getRemainingTimeInMillis: () => 50_000 }
    await expect(handler(await operatorSweep({ mode: 'plan' }), ctx)).rejects.toThrow(
      /CONTINUATION_THRESHOLD_MS \(60000\) must be below the function's timeout/,
    )
  })

  it.each([
    [{ mode: 'plan' }, /event: not one the hub accepts/],
    [
      { release: { accountId: '222222222222', userName: 'bob', services: ['ec2'] } },
      /not one the hub accepts/,
    ],
    [asRequest({ action: 'sweep', mode: 'apply' }), /operator.request.mode/],
    [
      asRequest({ action: 'sweep', mode: 'plan', accounts: ['12345'] }),
      /accounts\.0: a 12-digit AWS account id/,
    ],
    [asRequest({ action: 'sweep', mode: 'plan', accounts: [] }), /accounts/],
    [asRequest({ action: 'sweep', mode: 'plan', force: true }), /force/],
    [asRequest({ action: 'sweep', mode: 'enforce', confirmLargeChange: 'yes' }), /confirmLargeChange/],
    [
      asRequest({ action: 'release', accountId: '222222222222', userName: 'bob' }),
      /operator.request.services/,
    ],
    [
      asRequest({
        action: 'restore',
        accountId: '222222222222',
        userName: 'bob',
        target: { keys: ['not-a-key'], password: false },
        reason: 'x',
      }),
      /operator.request.target.keys.0: an access key ID/,
    ],
    [
      asRequest({
        action: 'restore',
        accountId: '222222222222',
        userName: 'bob',
        target: { all: true },
        reason: '',
      }),
      /operator.request.reason/,
    ],
    // Who asked is what STS says, never what the request declares.
    [
      asRequest({
        action: 'release',
        accountId: '222222222222',
        userName: 'bob',
        services: ['ec2'],
        reason: '',
        requestedBy: 'arn:aws:iam::111111111111:user/someone-else',
      }),
      /Unrecognized key/,
    ],
    [
      { operator: { request: { action: 'sweep', mode: 'plan' } } },
      /operator.issuedAt.*operator.hub.*operator.proof/,
    ],
    [{ source: 'aws.events', 'detail-type': 'Scheduled Event' }, /scheduled event: id/],
    [
      {
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        id: 'old-sweep',
        time: '2026-11-25T06:00:00Z',
      },
      /scheduled event: id: an EventBridge event id/,
    ],
    [
      {
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        id: 'a1b2c3d4-0000-4000-8000-000000000000',
        time: '2026-11-25T06:00:00+01:00',
      },
      /scheduled event: time: an ISO time/,
    ],
    [{ continuation: { sweepId: 'x' } }, /continuation.hop/],
    [{ continuation: { sweepId: 'x', hop: 1, accounts: ['111111111111'] } }, /accounts/],
    [{ continuation: { sweepId: 'nope', hop: 1 } }, /no sweep nope/],
  ])('rejects %j naming what is wrong', async (event, message) => {
    await expect(handler(event, context())).rejects.toThrow(message)
  })

  it('rejects a request for an account outside the organization, once the operator is known', async () => {
    const event = await operatorSweep({ mode: 'plan', accounts: ['999999999999'] })
    await expect(handler(event, context())).rejects.toThrow(/999999999999 not an active/)
  })

  it('carries out nothing for a caller who is no operator, whatever they can invoke', async () => {
    const restricted = `arn:aws:iam::${DEMO_ACCOUNTS.management}:user/mallory`
    const event = await operatorEvent(h.emulator, { action: 'sweep', mode: 'plan' }, restricted)
    const sweeps = (await h.store.sweeps.recent(50)).length
    await expect(handler(event, context())).rejects.toThrow(
      `${restricted} is not an operator of this hub (OPERATOR_ARNS)`,
    )
    expect((await h.store.sweeps.recent(50)).length).toBe(sweeps)
  })

  it('refuses a request signed for another hub, or too long ago', async () => {
    const request = { action: 'sweep', mode: 'plan' } as const
    const operator = operatorArn(DEMO_ACCOUNTS.management)
    const elsewhere = await operatorEvent(h.emulator, request, operator, { hub: 'another-hub' })
    await expect(handler(elsewhere, context())).rejects.toThrow(
      /signed for hub another-hub, not least-privilege-hub/,
    )
    const old = new Date(Date.now() - 10 * 60_000).toISOString()
    const stale = await operatorEvent(h.emulator, request, operator, { issuedAt: old })
    await expect(handler(stale, context())).rejects.toThrow(/too old, or from the future/)
  })

  it("refuses an operator's proof carried over to another request", async () => {
    const signed = await operatorSweep({ mode: 'plan', accounts: [DEMO_ACCOUNTS.production] })
    const widened = {
      operator: {
        ...signed.operator,
        request: { action: 'sweep', mode: 'enforce', confirmLargeChange: true },
      },
    }
    await expect(handler(widened, context())).rejects.toThrow(/not signed for this request/)
  })
})

/** An operator event around `request`, with a proof that is never checked (the request fails first). */
function asRequest(request: Record<string, unknown>) {
  const issuedAt = new Date().toISOString()
  return { operator: { request, issuedAt, hub: 'least-privilege-hub', proof: { headers: {} } } }
}
