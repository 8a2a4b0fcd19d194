/** The credential adapter on the emulator: who a name names now, and what a reply must say. */
import type { IAMClient } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import {
  changeCredential,
  readCredentialReport,
  readLiveCredentials,
} from '../../shared/aws/credential-iam.js'
import { seededUserId } from '../emulator/seed.js'
import { freshAccountId } from '../support/fixtures.js'
import { startHarness } from '../support/harness.js'

const A = freshAccountId()
const h = await startHarness({
  accounts: [
    {
      id: A,
      users: [
        {
          name: 'ann',
          accessKeys: [{ lastUsedDaysAgo: 3 }, { createdDaysAgo: 200 }],
          password: { lastUsedDaysAgo: 1 },
        },
        { name: 'commas,in,name', path: '/team,a/', accessKeys: [{ createdDaysAgo: 100 }] },
      ],
    },
  ],
})
const iam = h.iamFor(A)

describe('credentials read from IAM', () => {
  it("gives each key's and the password's creation and last use, a never-used key without one", async () => {
    const live = await readLiveCredentials(iam, { name: 'ann', id: seededUserId(A, 'ann') })
    expect(live.map((c) => [c.kind, c.active, c.lastUsed !== undefined])).toEqual([
      ['access-key', true, true],
      ['access-key', true, false],
      ['password', true, true],
    ])
  })

  it('refuses a name that no longer names the user listed (renamed since, or another one)', async () => {
    await expect(readLiveCredentials(iam, { name: 'ann', id: 'AIDAOTHERUSER0000000' })).rejects.toThrow(
      /ann is now AIDA\w+, not AIDAOTHERUSER0000000: renamed since the listing/,
    )
  })

  it('reads the credential report as IAM made it, a user with commas in name and path matched whole', async () => {
    const report = await readCredentialReport(iam, async () => undefined)
    expect(Date.parse(report.generatedAt)).toBeGreaterThan(0)
    const odd = report.rows.find(
      (r) => r.head === `commas,in,name,arn:aws:iam::${A}:user/team,a/commas,in,name`,
    )
    expect(odd?.keys).toHaveLength(1)
  })

  it.each([
    ['no last-use record at all', undefined],
    ['no time, and not N/A either', { ServiceName: 's3', Region: 'us-east-1' }],
  ])("refuses a key's last use with %s: missing data is never 'never used'", async (_what, usage) => {
    // A reply as a broken or wrong server could give it: the rest of it well formed.
    const replies: Record<string, unknown> = {
      GetUserCommand: { User: { UserName: 'ann', UserId: 'AIDAANN' } },
      ListAccessKeysCommand: {
        AccessKeyMetadata: [
          { AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', Status: 'Active', CreateDate: new Date('2020-01-01') },
        ],
      },
      GetAccessKeyLastUsedCommand: { UserName: 'ann', ...(usage ? { AccessKeyLastUsed: usage } : {}) },
    }
    const fake = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name
        if (name === 'GetLoginProfileCommand')
          throw Object.assign(new Error('Login Profile for User ann cannot be found.'), {
            name: 'NoSuchEntity',
          })
        return replies[name]
      },
    } as unknown as IAMClient
    await expect(readLiveCredentials(fake, { name: 'ann', id: 'AIDAANN' })).rejects.toThrow(
      /the last use of key AKIAAAAAAAAAAAAAAAAA came back without a time or N\/A/,
    )
  })
})

describe('deleting a key', () => {
  /** A user of their own with one inactive key, last used 200 days ago, as the sweep read it. */
  const inactiveUser = () => {
    const account = h.emulator.addAccount({
      id: freshAccountId(),
      users: [{ name: 'kit', accessKeys: [{ createdDaysAgo: 300, lastUsedDaysAgo: 200 }] }],
    })
    const user = account.users.get('kit')
    const key = user?.accessKeys[0]
    if (!user || !key) throw new Error('no key seeded')
    key.status = 'Inactive'
    const op = { kind: 'delete-key' as const, id: key.id, lastUsed: key.lastUsed?.at.toISOString() ?? '' }
    return { iam: h.iamFor(account.id), user, key, op }
  }

  it('deletes it when IAM still shows it as read: inactive, with the same last use', async () => {
    const w = inactiveUser()
    await changeCredential(w.iam, 'kit', w.op)
    expect(w.user.accessKeys).toEqual([])
  })

  it.each([
    [
      'set Active again since the read',
      (k: { status: string }) => Object.assign(k, { status: 'Active' }),
      /is Active now: not deleted/,
    ],
    [
      'used since the read',
      (k: { lastUsed?: { at: Date } }) =>
        Object.assign(k, { lastUsed: { at: new Date(), region: 'us-east-1', service: 's3' } }),
      /was used since it was read: not deleted/,
    ],
  ])('refuses to delete a key %s, and changes nothing', async (_what, change, message) => {
    const w = inactiveUser()
    change(w.key as never)
    await expect(changeCredential(w.iam, 'kit', w.op)).rejects.toThrow(message)
    expect(w.user.accessKeys).toHaveLength(1)
  })

  it('refuses to delete on a last-use reply without a record: missing data is never "never used"', async () => {
    const w = inactiveUser()
    // The rest of IAM as it is; only the last-use reply comes back bare.
    const fake = {
      send: async (command: { constructor: { name: string } }) =>
        command.constructor.name === 'GetAccessKeyLastUsedCommand'
          ? { UserName: 'kit' }
          : w.iam.send(command as never),
    } as unknown as IAMClient
    await expect(changeCredential(fake, 'kit', { ...w.op, lastUsed: '' })).rejects.toThrow(/without a record/)
    expect(w.user.accessKeys).toHaveLength(1)
  })
})
