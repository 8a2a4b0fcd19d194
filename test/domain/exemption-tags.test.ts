/** Which exemption tags exempt: the account's baseline, and the same tag on a user it exempted; never a later one. */
import { describe, expect, it } from 'vitest'
import { honoursTag } from '../../shared/domain/plan/standing.js'
import type { UserState } from '../../shared/domain/records.js'

const TAG = 'least-privilege-exempt=true'
const nothing = { denied: [], policyArns: [], policyDigests: [] }
const holding = { ...nothing, denied: ['ec2'] }

const recorded = (extra: Partial<UserState>): UserState => ({
  accountId: '111122223333',
  userName: 'ann',
  userId: 'AIDAANN',
  userArn: 'arn:aws:iam::111122223333:user/ann',
  status: 'unchanged',
  reason: '',
  denied: [],
  policyArns: [],
  policyDigests: [],
  sweepId: 's',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...extra,
})

describe('honoursTag', () => {
  it('honours a tag at the baseline on a user who holds nothing, and never on one who holds a deny or a schedule', () => {
    const baseline = { tagBaseline: true }
    expect(honoursTag(baseline, nothing, {}, TAG)).toBe(true)
    expect(honoursTag(baseline, holding, {}, TAG)).toBe(false)
    const scheduled = { scheduled: { ec2: { on: '2026-12-09', since: '2026-12-02T00:00:00.000Z' } } }
    expect(honoursTag(baseline, nothing, scheduled, TAG)).toBe(false)
  })

  it('takes any tag after the baseline as a request, even on a user who holds nothing', () => {
    const after = { tagBaseline: false }
    expect(honoursTag(after, nothing, {}, TAG)).toBe(false)
    // Released, or exempt for a while by an operator: holding nothing now makes no tag an exemption.
    expect(
      honoursTag(after, nothing, { recorded: recorded({ status: 'released', exemptTag: TAG }) }, TAG),
    ).toBe(false)
    expect(
      honoursTag(
        after,
        nothing,
        { recorded: recorded({ status: 'exempt', reason: 'exempt until 2027-01-01' }) },
        TAG,
      ),
    ).toBe(false)
  })

  it('keeps honouring the tag it honoured, and only that tag', () => {
    const after = { tagBaseline: false }
    const prior = { recorded: recorded({ status: 'exempt', honouredTag: TAG, exemptTag: TAG }) }
    expect(honoursTag(after, nothing, prior, TAG)).toBe(true)
    expect(honoursTag(after, nothing, prior, 'least-privilege-exempt=yes')).toBe(false)
  })

  it('reads a row from before honouredTag was kept: exempt by that very tag at the last sweep', () => {
    const after = { tagBaseline: false }
    const old = recorded({ status: 'exempt', reason: `exempt by tag ${TAG}`, exemptTag: TAG })
    expect(honoursTag(after, nothing, { recorded: old }, TAG)).toBe(true)
    expect(honoursTag(after, nothing, { recorded: { ...old, reason: 'exempt by tag other=1' } }, TAG)).toBe(
      false,
    )
  })
})
