/**
 * Rows from before the UserId was kept are read by name once, resolved to the UserId, then refused: a
 * rename onto an old exemption's name must not inherit it.
 */
import { UpdateUserCommand } from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import { listExemptions, revokeExemption } from '../../shared/app/exemptions.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import type { UserSeed } from '../emulator/seed.js'
import { credentialsFor } from '../emulator/server.js'
import { freshAccountId } from '../support/fixtures.js'
import { startOrgHarness } from '../support/org-harness.js'

const h = await startOrgHarness({ accounts: [{ id: freshAccountId(), users: [] }] })

const s3User = (name: string): UserSeed => ({
  name,
  policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
  lastUsedDaysAgo: { s3: 1, ec2: 200 },
})

const enforce = (accountId: string) =>
  runSweep(h.deps(), h.config(), {
    kind: 'new',
    mode: 'enforce',
    trigger: 'test',
    accounts: [accountId],
    confirmLargeChange: true,
  })

/** An exemption as versions before UserIds wrote it: by name only. */
const oldExemption = (accountId: string, userName: string) => ({
  accountId,
  userName,
  until: new Date(Date.now() + 5 * 86_400_000).toISOString(),
  reason: 'written by an older version',
  createdAt: new Date().toISOString(),
})

describe('rows from before the UserId was kept', () => {
  it('are resolved to the UserId once; a rename onto the old name then inherits nothing', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('alice'), s3User('bob')] })
    const admin = createIamClient({ credentials: credentialsFor(id), maxAttempts: 1 })
    await h.store.users.putExemption(oldExemption(id, 'alice'))
    await enforce(id)
    const aliceId = h.emulator.state.accounts.get(id)?.users.get('alice')?.id
    const { exemptions, account } = await h.store.users.loadAccount(id)
    expect(exemptions).toEqual([expect.objectContaining({ userName: 'alice', userId: aliceId })])
    expect(account?.legacyResolvedAt).toBeDefined()
    expect(await h.store.audit.user(id, 'alice')).toMatchObject({ status: 'exempt' })

    await admin.send(new UpdateUserCommand({ UserName: 'alice', NewUserName: 'alice-old' }))
    await admin.send(new UpdateUserCommand({ UserName: 'bob', NewUserName: 'alice' }))
    await enforce(id)
    expect(await h.store.audit.user(id, 'alice-old')).toMatchObject({ status: 'exempt' })
    expect(await h.store.audit.user(id, 'alice')).toMatchObject({ status: 'enforced' })
  })

  it('are refused once the account is resolved, and told', async () => {
    const id = freshAccountId()
    h.emulator.addAccount({ id, users: [s3User('carol')] })
    await enforce(id)
    await h.store.users.putExemption(oldExemption(id, 'carol'))
    await enforce(id)
    expect(await h.store.audit.user(id, 'carol')).toMatchObject({ status: 'enforced' })
    expect(
      h.logs.lines().filter((l) => l.event === 'alert.row-unreadable' && l.accountId === id),
    ).toContainEqual(expect.objectContaining({ key: 'exemption of carol (*)' }))
    // Not listed as in force; an operator clears it away by revoking it.
    expect(await listExemptions(h.store, id, new Date())).toEqual([])
    const revoked = await revokeExemption(h.store, {
      accountId: id,
      userName: 'carol',
      now: new Date(),
      actor: 'arn:aws:iam::111111111111:role/least-privilege-operator',
      reason: 'the old row is refused',
    })
    expect(revoked).toHaveLength(1)
    expect((await h.store.users.loadAccount(id)).exemptions).toEqual([])
  })
})
