/** What a plan sweep keeps for `audit plan`: the users it would change, each notice with its day. */
import { describe, expect, it } from 'vitest'
import { plannedUsers } from '../../shared/domain/plan/review.js'
import { plannedUser, type UserDecision } from '../../shared/domain/records.js'

const decision = (userName: string, extra: Partial<UserDecision> = {}): UserDecision => ({
  accountId: '111111111111',
  userName,
  userId: `AIDA${userName.toUpperCase()}`,
  userArn: `arn:aws:iam::111111111111:user/${userName}`,
  status: 'planned',
  denied: [],
  added: [],
  removed: [],
  reason: 'plan',
  policyArns: [],
  policyDigests: [],
  writes: 0,
  ...extra,
})

describe('the users a plan sweep keeps for review', () => {
  it('are those it would change, each announced deny with its day and last use, as the schema takes them', () => {
    const rows = plannedUsers([
      decision('idle'),
      decision('ann', {
        added: [{ namespace: 'ec2', reason: 'never-used' }],
        newlyScheduled: ['s3'],
        scheduled: {
          s3: { on: '2026-12-10', since: '2026-12-03T06:00:00.000Z', lastUsed: '2026-09-01T00:00:00.000Z' },
        },
      }),
    ])
    expect(rows.map((r) => r.userName)).toEqual(['ann'])
    expect(rows[0]?.scheduled).toEqual([
      { key: 's3', on: '2026-12-10', lastUsed: '2026-09-01T00:00:00.000Z' },
    ])
    for (const row of rows) expect(plannedUser.parse(row)).toEqual(row)
  })

  it('refuses a deny announced with no notice, instead of keeping a row that fails the whole review', () => {
    expect(() => plannedUsers([decision('bob', { newlyScheduled: ['s3'] })])).toThrow(
      /s3 is announced with no notice on record/,
    )
  })
})
