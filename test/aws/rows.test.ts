import { describe, expect, it } from 'vitest'
import { parseRow } from '../../shared/aws/state/rows.js'
import { storedReport as storedReportRow, userState as userStateRow } from '../../shared/domain/records.js'

const user = {
  pk: 'ACCOUNT#222222222222',
  sk: 'USER#bob',
  accountId: '222222222222',
  userName: 'bob',
  userArn: 'arn:aws:iam::222222222222:user/bob',
  status: 'enforced',
  reason: '',
  denied: ['ec2'],
  policyArns: [],
  policyDigests: [],
  sweepId: 's',
  updatedAt: '2026-11-25T00:00:00Z',
}

describe('rows read back from the state table', () => {
  it('accept services and single actions only: a forged deny of "*" would render a deny of everything', () => {
    expect(parseRow(userStateRow, user)).toMatchObject({ denied: ['ec2'] })
    expect(parseRow(userStateRow, { ...user, denied: ['iam:CreateUser'] })).toMatchObject({
      denied: ['iam:CreateUser'],
    })
    for (const forged of ['iam:*', 'iam:Create*', '*:CreateUser'])
      expect(() => parseRow(userStateRow, { ...user, denied: [forged] })).toThrow(/denied.0/)
    expect(() => parseRow(userStateRow, { ...user, denied: ['*'] })).toThrow(
      /ACCOUNT#222222222222 \/ USER#bob is malformed: denied.0: a service such as s3, or an action/,
    )
    expect(() => parseRow(userStateRow, { ...user, deniedSince: { 's3:*': '2026-01-01' } })).toThrow(
      /deniedSince/,
    )
    const report = {
      pk: 'ACCOUNT#222222222222',
      sk: 'REPORT#AIDA',
      userId: 'AIDA',
      sweepId: 's',
      readAt: '2026-11-25T00:00:00Z',
    }
    expect(() => parseRow(storedReportRow, { ...report, services: [{ namespace: 'iam:*' }] })).toThrow(
      /services.0.namespace: a service namespace/,
    )
  })
})
