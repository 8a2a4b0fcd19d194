import { describe, expect, it } from 'vitest'
import { parseRow } from '../../shared/aws/state/rows.js'
import { type UserDecision, userState as userStateRow } from '../../shared/domain/records.js'
import { rowsForDecision } from '../../shared/domain/state-rows.js'
import { nextUserState } from '../../shared/domain/user-state.js'
import { UnexpectedReplyError } from '../../shared/errors.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const run = { sweepId: 's2', mode: 'enforce' as const, now: NOW }

function decision(overrides: Partial<UserDecision> = {}): UserDecision {
  return {
    accountId: '111111111111',
    userName: 'bob',
    userId: 'AIDABOB',
    userArn: 'arn:aws:iam::111111111111:user/bob',
    status: 'unchanged',
    denied: ['ec2'],
    added: [],
    removed: [],
    reason: 'deny set and policies up to date',
    policyArns: ['arn:p'],
    policyDigests: ['d'],
    writes: 0,
    ...overrides,
  }
}

describe('rowsForDecision', () => {
  const prev = nextUserState(undefined, decision({ status: 'enforced', reason: 'applied' }), 's1', NOW)

  it('plans nothing for a steady-state user', () => {
    expect(rowsForDecision(prev, decision(), run)).toEqual({ history: [] })
  })

  it('plans an attempt row, and keeps the standing', () => {
    const attempt = { namespace: 'ec2', at: '2026-05-31T10:00:00.000Z' }
    const rows = rowsForDecision(prev, decision({ attempts: [attempt] }), run)
    expect(rows.history).toEqual([expect.objectContaining({ status: 'attempt', attempt, userId: 'AIDABOB' })])
    expect(rows.state).toMatchObject({ status: 'enforced', lastAttempts: { ec2: attempt.at } })
  })

  it('plans the state row and one history row when the deny set changes, with the operator', () => {
    const released = decision({
      status: 'released',
      denied: [],
      removed: [{ namespace: 'ec2', reason: 'released' }],
      reason: 'released ec2',
    })
    const rows = rowsForDecision(prev, released, { ...run, actor: 'arn:aws:iam::1:user/op' })
    expect(rows.state).toMatchObject({ status: 'released', pastDenies: { ec2: { to: NOW.toISOString() } } })
    expect(rows.history).toEqual([
      expect.objectContaining({
        status: 'released',
        previousStatus: 'enforced',
        actor: 'arn:aws:iam::1:user/op',
      }),
    ])
  })
})

describe('rows read back from the table', () => {
  it('fail with the row key and the field when malformed', () => {
    const row = { pk: 'ACCOUNT#1', sk: 'USER#bob', ...prevRow(), denied: 'ec2' }
    expect(() => parseRow(userStateRow, row)).toThrow(UnexpectedReplyError)
    expect(() => parseRow(userStateRow, row)).toThrow(/ACCOUNT#1 \/ USER#bob is malformed: denied:/)
  })
})

function prevRow() {
  return nextUserState(undefined, decision({ status: 'enforced' }), 's1', NOW)
}
