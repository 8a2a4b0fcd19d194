import type { IAMClient } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { readServiceUsage } from '../../shared/aws/access-advisor.js'
import { JobDurations } from '../../shared/domain/poll-schedule.js'
import { AccessAdvisorError } from '../../shared/errors.js'

const POLL = { initialDelayMs: 10, maxDelayMs: 40, timeoutMs: 100 }
const ARN = { arn: 'arn:aws:iam::111111111111:user/bob', actionLevel: false }
const created = new Date('2026-11-25T10:00:00Z')
const done = new Date('2026-11-25T10:00:03Z')
const row = (ns: string, used?: Date) => ({
  ServiceName: ns,
  ServiceNamespace: ns,
  ...(used ? { LastAuthenticated: used } : {}),
})

/** An IAM client that answers Generate with a job id, then each Get with the next scripted page. */
function scripted(pages: object[]): IAMClient {
  const replies = [{ JobId: 'job-1' }, ...pages]
  return { send: async () => replies.shift() ?? { JobStatus: 'IN_PROGRESS' } } as unknown as IAMClient
}
const noSleep = async () => {}

describe('readServiceUsage: a partial or failed report is never evidence of non-use', () => {
  it.each([
    ['a FAILED job', [{ JobStatus: 'FAILED', Error: { Message: 'boom' } }], /FAILED: boom/],
    ['a job still running at the timeout', [], /still IN_PROGRESS/],
    ['an unknown status', [{ JobStatus: 'PAUSED' }], /unknown status PAUSED/],
    [
      'a truncated page without a marker',
      [{ JobStatus: 'COMPLETED', ServicesLastAccessed: [row('s3')], IsTruncated: true }],
      /truncated without a marker/,
    ],
    [
      'a job that changes status while paging',
      [
        { JobStatus: 'COMPLETED', ServicesLastAccessed: [row('s3')], IsTruncated: true, Marker: 'm' },
        { JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] },
      ],
      /changed to IN_PROGRESS while paging/,
    ],
    [
      'a report that serves the same page again',
      [
        { JobStatus: 'COMPLETED', ServicesLastAccessed: [row('s3')], IsTruncated: true, Marker: 'm' },
        { JobStatus: 'COMPLETED', ServicesLastAccessed: [row('ec2')], IsTruncated: true, Marker: 'm' },
        { JobStatus: 'COMPLETED', ServicesLastAccessed: [row('sqs')], IsTruncated: true, Marker: 'm' },
      ],
      /does not end/,
    ],
    [
      'a report of more pages than AWS has services',
      Array.from({ length: 12 }, (_, i) => ({
        JobStatus: 'COMPLETED',
        ServicesLastAccessed: [row(`s${i}`)],
        IsTruncated: true,
        Marker: `m${i}`,
      })),
      /does not end/,
    ],
    [
      'a row without a namespace',
      [{ JobStatus: 'COMPLETED', ServicesLastAccessed: [{ ServiceName: 'x' }] }],
      /without namespace/,
    ],
  ])('rejects %s', async (_name, pages, message) => {
    const read = readServiceUsage(scripted(pages), ARN, POLL, noSleep)
    await expect(read).rejects.toThrow(AccessAdvisorError)
    await expect(read).rejects.toThrow(message)
  })

  it('reads every page of a complete report and learns the job duration', async () => {
    const used = new Date('2026-11-01T00:00:00Z')
    const durations = new JobDurations()
    const usage = await readServiceUsage(
      scripted([
        { JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] },
        {
          JobStatus: 'COMPLETED',
          JobCreationDate: created,
          JobCompletionDate: done,
          ServicesLastAccessed: [row('s3', used)],
          IsTruncated: true,
          Marker: 'm',
        },
        { JobStatus: 'COMPLETED', ServicesLastAccessed: [row('ec2')], IsTruncated: false },
      ]),
      ARN,
      POLL,
      noSleep,
      durations,
    )
    expect(usage).toEqual([{ namespace: 's3', lastAuthenticated: used }, { namespace: 'ec2' }])
    expect(durations.snapshot()).toEqual([3000])
  })
})

describe('readServiceUsage at action level', () => {
  const used = new Date('2026-11-01T00:00:00Z')
  const atActionLevel = { ...ARN, actionLevel: true }

  it('asks for ACTION_LEVEL and keeps the attempted tracked actions of each service', async () => {
    const sent: object[] = []
    const replies: object[] = [
      { JobId: 'job-1' },
      {
        JobStatus: 'COMPLETED',
        JobType: 'ACTION_LEVEL',
        ServicesLastAccessed: [
          {
            ...row('iam', used),
            TrackedActionsLastAccessed: [
              { ActionName: 'GetUser', LastAccessedTime: used, LastAccessedRegion: 'us-east-1' },
              { ActionName: 'CreateUser' },
            ],
          },
          row('sns'),
        ],
      },
    ]
    const iam = {
      send: async (command: { input: object }) => {
        sent.push(command.input)
        return replies.shift()
      },
    } as unknown as IAMClient
    const usage = await readServiceUsage(iam, atActionLevel, POLL, noSleep)
    expect(sent[0]).toMatchObject({ Granularity: 'ACTION_LEVEL' })
    expect(usage).toEqual([
      {
        namespace: 'iam',
        lastAuthenticated: used,
        actions: [{ name: 'GetUser', lastAccessed: used, region: 'us-east-1' }],
      },
      { namespace: 'sns', actions: [] },
    ])
  })

  it('refuses a report that names an action that is not one', async () => {
    const bad = {
      ...row('iam', used),
      TrackedActionsLastAccessed: [{ ActionName: '*', LastAccessedTime: used }],
    }
    const read = readServiceUsage(
      scripted([{ JobStatus: 'COMPLETED', JobType: 'ACTION_LEVEL', ServicesLastAccessed: [bad] }]),
      atActionLevel,
      POLL,
      noSleep,
    )
    await expect(read).rejects.toThrow(/names action "\*" in iam/)
  })

  it('refuses a service-level report given for an action-level job: every action would look unused', async () => {
    const read = readServiceUsage(
      scripted([
        { JobStatus: 'COMPLETED', JobType: 'SERVICE_LEVEL', ServicesLastAccessed: [row('iam', used)] },
      ]),
      atActionLevel,
      POLL,
      noSleep,
    )
    await expect(read).rejects.toThrow(/SERVICE_LEVEL, not the ACTION_LEVEL report asked for/)
  })

  it('refuses a report that lists a service twice', async () => {
    const twice = [row('iam', used), row('iam')]
    const read = readServiceUsage(
      scripted([{ JobStatus: 'COMPLETED', JobType: 'ACTION_LEVEL', ServicesLastAccessed: twice }]),
      atActionLevel,
      POLL,
      noSleep,
    )
    await expect(read).rejects.toThrow(/lists iam twice/)
  })
})
