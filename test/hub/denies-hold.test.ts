/**
 * The rules that keep a deny in place against the users it restricts: attempts are reported, never
 * taken as use; only a person lifts a deny; identity is the UserId. Each test adds an account of its own.
 */
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam'
import { describe, expect, it } from 'vitest'
import type { HubConfig } from '../../hub/config.js'
import { slackNotifier } from '../../hub/runtime.js'
import { saveDecision } from '../../shared/app/account-writes.js'
import { addExemption } from '../../shared/app/exemptions.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import { createIamClient } from '../../shared/aws/clients.js'
import { StateConflictError } from '../../shared/errors.js'
import type { AccountSeed, UserSeed } from '../emulator/seed.js'
import { credentialsFor } from '../emulator/server.js'
import { cliRunner } from '../support/cli-runner.js'
import { ENFORCE, freshAccountId, must, ourPolicyArn, PATH, PREFIX } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { startOrgHarness } from '../support/org-harness.js'
import { startSlackStandIn } from '../support/slack-server.js'
import { use } from '../support/use.js'

const OPERATOR = 'arn:aws:iam::111111111111:role/least-privilege-operator'

const MGMT = '600000000001'
const h = await startOrgHarness({ managementAccountId: MGMT, accounts: [{ id: MGMT, users: [] }] })
const slack = await startSlackStandIn()
const notifier = must(slackNotifier(h.runtime, { webhookUrl: slack.url }), 'Slack notifier')
const cli = cliRunner({ ...process.env, ...hubTestEnv() }, undefined, { store: h.store })
const DAY = 86_400_000
const T0 = new Date()
const day = (n: number) => new Date(T0.getTime() + n * DAY)

/** A user who uses S3 daily and has not touched EC2 and the rest of EC2's policy for months. */
const s3User = (name: string, extra: Partial<UserSeed> = {}): UserSeed => ({
  name,
  policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
  lastUsedDaysAgo: { s3: 1, ec2: 200 },
  accessKeys: [{}],
  ...extra,
})

function givenAccount(users: UserSeed[], extra: Partial<AccountSeed> = {}) {
  const id = freshAccountId()
  const account = h.emulator.addAccount({ id, users, ...extra })
  const admin = createIamClient({ credentials: credentialsFor(id), maxAttempts: 1 })
  const user = (name: string) => must(account.users.get(name.toLowerCase()), `user ${name}`)
  return { id, account, admin, user }
}

/**
 * An enforce sweep of one account at a given time; the first large change is confirmed unless told.
 * Reports are read again after a day: these stories move day by day and need each day's activity.
 */
function enforce(
  accountId: string,
  now: Date,
  options: { confirm?: boolean; config?: Partial<HubConfig> } = {},
) {
  return runSweep(h.deps({ now: () => now, notifier }), h.config({ refreshDays: 1, ...options.config }), {
    kind: 'new',
    mode: 'enforce',
    trigger: 'test',
    accounts: [accountId],
    ...(options.confirm === false ? {} : { confirmLargeChange: true }),
  })
}

async function givenEnforced(users: UserSeed[], extra: Partial<AccountSeed> = {}) {
  const world = givenAccount(users, extra)
  await enforce(world.id, T0)
  return world
}

const lastDigest = () => JSON.stringify(slack.messages.at(-1)?.blocks ?? [])
const alerts = (event: string, accountId: string) =>
  h.logs.lines().filter((l) => l.event === event && l.accountId === accountId)
const defaultDocument = (
  account: { policies: Map<string, { versions: { IsDefaultVersion: boolean; Document: string }[] }> },
  arn: string,
) =>
  must(
    account.policies.get(arn)?.versions.find((v) => v.IsDefaultVersion)?.Document,
    `default version of ${arn}`,
  )

describe('denies that hold', () => {
  it('keeps a deny the user tries, and reports the attempt once: history, log, digest and audit', async () => {
    const { id, user } = await givenEnforced([s3User('mallory')])
    expect(await h.store.audit.user(id, 'mallory')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    const tried = new Date(T0.getTime() + 3_600_000) // a stolen key tries EC2 an hour after the deny
    use(user('mallory'), 'ec2', tried)

    h.emulator.resetCounts()
    await enforce(id, day(1))
    expect(h.emulator.count({ account: id, writes: true })).toBe(0)
    expect(await h.store.audit.user(id, 'mallory')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    const attempt = { namespace: 'ec2', at: tried.toISOString(), region: 'us-east-1' }
    expect(await h.store.audit.attemptsSince(T0.toISOString(), id)).toEqual([
      expect.objectContaining({ userName: 'mallory', status: 'attempt', attempt }),
    ])
    expect(alerts('alert.denied-attempt', id)).toEqual([
      expect.objectContaining({ userName: 'mallory', namespace: 'ec2', at: tried.toISOString() }),
    ])
    expect(lastDigest()).toMatch(/Tried denied services/)
    expect(lastDigest()).toContain(
      `least-privilege release --account ${id} --user mallory --service ec2 --reason \\"...\\" --enforce`,
    )

    await enforce(id, day(2)) // the same attempt is not news the next day
    expect(await h.store.audit.attemptsSince(T0.toISOString(), id)).toHaveLength(1)
    const audit = await cli('audit', 'attempts', '--account', id, '--since', T0.toISOString(), '--json')
    expect(audit.code).toBe(0)
    expect(JSON.parse(audit.stdout)).toEqual([expect.objectContaining({ userName: 'mallory', attempt })])
    const table = await cli('audit', 'attempts', '--account', id, '--since', T0.toISOString())
    expect(table.stdout).toMatch(/mallory.*ec2.*us-east-1/)
  })

  it('release lifts one deny on purpose, recorded with the operator; re-denied only after a full window unused', async () => {
    const { id } = await givenEnforced([s3User('rel')])
    h.emulator.resetCounts()
    const args = [
      'release',
      '--account',
      id,
      '--user',
      'rel',
      '--service',
      'ec2',
      '--reason',
      'migration',
      '--json',
    ]
    const plan = await cli(...args)
    expect(plan.code, plan.stderr).toBe(0)
    expect(JSON.parse(plan.stdout)).toMatchObject({
      mode: 'plan',
      decision: { status: 'planned', removed: [{ namespace: 'ec2', reason: 'released' }] },
    })
    expect(h.emulator.count({ account: id, writes: true })).toBe(0)

    const done = await cli(...args, '--enforce')
    expect(done.code, done.stderr).toBe(0)
    expect(done.stderr).toMatch(/"event":"alert.released"/) // a person's lift is told, as an alert
    const actor = `arn:aws:iam::${MGMT}:user/administrator`
    expect(JSON.parse(done.stdout)).toMatchObject({
      mode: 'enforce',
      actor,
      decision: { status: 'released' },
    })
    const state = await h.store.audit.user(id, 'rel')
    expect(state?.status).toBe('released')
    expect(state?.denied).not.toContain('ec2')
    expect(state?.denied.length).toBeGreaterThan(0)
    const [latest] = await h.store.audit.history(id, { name: 'rel' }, 1)
    expect(latest).toMatchObject({
      status: 'released',
      actor,
      removed: [{ namespace: 'ec2', reason: 'released' }],
    })
    expect(latest?.reason).toMatch(/migration/)

    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'rel')).toMatchObject({ status: 'enforced' })
    expect((await h.store.audit.user(id, 'rel'))?.denied).not.toContain('ec2')
    await enforce(id, day(89))
    expect((await h.store.audit.user(id, 'rel'))?.denied).not.toContain('ec2')
    await enforce(id, day(91))
    expect((await h.store.audit.user(id, 'rel'))?.denied).toContain('ec2')
  })

  it('release names what is wrong: a service that is not denied, an unknown user', async () => {
    const { id } = await givenEnforced([s3User('rel2')])
    const notDenied = await cli(
      'release',
      '--account',
      id,
      '--user',
      'rel2',
      '--service',
      's3',
      '--reason',
      'x',
      '--enforce',
    )
    expect(notDenied.code).toBe(2)
    expect(notDenied.stderr).toMatch(/service: s3 is neither denied nor scheduled for rel2/)
    const ghost = await cli('release', '--account', id, '--user', 'ghost', '--service', 'ec2')
    expect(ghost.code).toBe(2)
    expect(ghost.stderr).toMatch(/no IAM user ghost/)
    const bad = await cli('release', '--account', id, '--user', 'rel2', '--service', 'EC2!')
    expect(bad.code).toBe(2)
  })

  it('honours the tags an account carries when first enforced (its baseline), and the same tag after, told once', async () => {
    const exempt = { 'least-privilege-exempt': 'true' }
    const { id, admin } = givenAccount([s3User('baseline', { tags: exempt }), s3User('plain')])
    await enforce(id, T0)
    expect(await h.store.audit.user(id, 'baseline')).toMatchObject({ status: 'exempt', denied: [] })
    expect(alerts('alert.newly-exempt', id)).toEqual([
      expect.objectContaining({ userName: 'baseline', tag: 'least-privilege-exempt=true' }),
    ])
    expect(lastDigest()).toMatch(/Newly exempt by tag/)
    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'baseline')).toMatchObject({ status: 'exempt', denied: [] })
    expect(alerts('alert.newly-exempt', id)).toHaveLength(1)
    // Taken off and put back, it is no baseline any more: a request.
    await admin.send(new UntagUserCommand({ UserName: 'baseline', TagKeys: ['least-privilege-exempt'] }))
    await enforce(id, day(2))
    await admin.send(
      new TagUserCommand({ UserName: 'baseline', Tags: [{ Key: 'least-privilege-exempt', Value: 'true' }] }),
    )
    await enforce(id, day(3))
    expect(alerts('alert.exemption-requested', id)).toEqual([
      expect.objectContaining({ userName: 'baseline', tag: 'least-privilege-exempt=true' }),
    ])
    const asked = must(await h.store.audit.user(id, 'baseline'), "baseline's row")
    expect(asked.status).not.toBe('exempt')
    expect(asked.honouredTag).toBeUndefined()
  })

  it('takes a tag set after the baseline on a user who holds nothing as a request: it never becomes an exemption', async () => {
    // Young: nothing of theirs is denied yet, so the tag would have had nothing to lift.
    const { id, admin } = await givenEnforced([s3User('tagged', { createdDaysAgo: 10 })])
    await admin.send(
      new TagUserCommand({ UserName: 'tagged', Tags: [{ Key: 'least-privilege-exempt', Value: 'true' }] }),
    )
    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'tagged')).toMatchObject({ status: 'too-young' })
    expect(alerts('alert.newly-exempt', id)).toEqual([])
    expect(alerts('alert.exemption-requested', id)).toEqual([
      expect.objectContaining({ userName: 'tagged', tag: 'least-privilege-exempt=true' }),
    ])
    // Once of age, their unused services are denied like anyone's, the tag still on them.
    await enforce(id, day(90))
    expect(await h.store.audit.user(id, 'tagged')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    // A user created with the tag after the baseline asks the same way.
    await admin.send(
      new CreateUserCommand({ UserName: 'helper', Tags: [{ Key: 'least-privilege-exempt', Value: 'true' }] }),
    )
    await enforce(id, day(91))
    expect(alerts('alert.exemption-requested', id).map((l) => l.userName)).toEqual(['tagged', 'helper'])
    const helper = must(await h.store.audit.user(id, 'helper'), "helper's row")
    expect(helper.status).not.toBe('exempt')
    expect(helper.honouredTag).toBeUndefined()
  })

  it('takes an exemption tag set on a user who holds denies as a request: nothing lifted, told, listed, grantable', async () => {
    const { id, admin, user } = await givenEnforced([s3User('asker')])
    const policy = ourPolicyArn(id, 'asker')
    // Set by another principal (the user's own deny forbids them): a role they assumed, a helper user.
    await admin.send(
      new TagUserCommand({ UserName: 'asker', Tags: [{ Key: 'least-privilege-exempt', Value: 'true' }] }),
    )
    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'asker')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    expect(user('asker').attached).toContain(policy)
    expect(alerts('alert.newly-exempt', id)).toEqual([])
    expect(alerts('alert.exemption-requested', id)).toEqual([
      expect.objectContaining({ userName: 'asker', tag: 'least-privilege-exempt=true' }),
    ])
    expect(lastDigest()).toMatch(/requests, nothing lifted/)
    expect(lastDigest()).toContain(`least-privilege exempt --account ${id} --user asker --days 30`)
    const listed = await cli('audit', 'requests', '--account', id, '--since', T0.toISOString(), '--json')
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ userName: 'asker', status: 'exemption-requested' }),
    ])
    expect((await cli('audit', 'requests', '--account', id, '--since', T0.toISOString())).stdout).toContain(
      `least-privilege exempt --account ${id} --user asker --days 30`,
    )
    // Told once; the deny holds day after day while the tag stays.
    await enforce(id, day(2))
    expect(alerts('alert.exemption-requested', id)).toHaveLength(1)
    expect(user('asker').attached).toContain(policy)
    // An operator grants it by record: then the denies are lifted.
    await addExemption(h.store, {
      accountId: id,
      userName: 'asker',
      days: 5,
      reason: 'approved',
      now: day(2),
      actor: OPERATOR,
    })
    await enforce(id, day(3))
    expect(await h.store.audit.user(id, 'asker')).toMatchObject({ status: 'exempt', denied: [] })
  })

  it('follows a renamed user: same policies, nothing to re-render, history kept', async () => {
    const readsIam = { policies: ['aws:AmazonS3FullAccess', 'aws:ReadOnlyAccess'] }
    const { id, admin, account } = await givenEnforced([s3User('old-name', readsIam)])
    const policy = ourPolicyArn(id, 'old-name')
    // The self-service carve-out names the user by the variable IAM fills in: no name to go stale.
    const before = defaultDocument(account, policy)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's policy variable, not a template
    expect(before).toContain('user/${aws:username}')
    expect(before).not.toContain('old-name')
    await admin.send(new UpdateUserCommand({ UserName: 'old-name', NewUserName: 'new-name' }))

    await enforce(id, day(1))
    expect(account.users.get('new-name')?.attached).toContain(policy)
    expect(defaultDocument(account, policy)).toBe(before)
    expect(await h.store.audit.user(id, 'old-name')).toBeUndefined()
    expect(await h.store.audit.user(id, 'new-name')).toMatchObject({
      status: 'enforced',
      denied: expect.arrayContaining(['ec2']),
    })
    const history = await h.store.audit.history(id, { name: 'new-name' }, 10)
    expect(history.map((c) => c.status)).not.toContain('tampered')
    expect(history.at(-1)?.userName).toBe('old-name') // the first enforce, before the rename
    expect(history[0]?.reason).toMatch(/renamed from old-name/)
  })

  it("never lets a new user inherit a deleted user's policies, and deletes those orphans", async () => {
    const { id, admin, account, user } = await givenEnforced([s3User('reused')])
    const oldPolicy = ourPolicyArn(id, 'reused')
    const oldId = user('reused').id
    for (const arn of [...user('reused').attached])
      await admin.send(new DetachUserPolicyCommand({ UserName: 'reused', PolicyArn: arn }))
    await admin.send(new DeleteUserCommand({ UserName: 'reused' }))
    await admin.send(new CreateUserCommand({ UserName: 'reused' }))
    expect(user('reused').id).not.toBe(oldId)

    const report = await enforce(id, day(1))
    expect(account.policies.has(oldPolicy)).toBe(false)
    expect(user('reused').attached).toEqual([])
    expect(await h.store.audit.user(id, 'reused')).toMatchObject({ userId: user('reused').id, denied: [] })
    const rows = await h.store.sweeps.accounts(report.sweepId)
    expect(rows.find((r) => r.accountId === id)?.notable?.orphans).toBe(1)
  })

  it('moves a policy named after the user name to one named after the UserId, with no window', async () => {
    const legacyName = `${PREFIX}.1.legacy`
    const legacyArn = (id: string) => `arn:aws:iam::${id}:policy${PATH}${legacyName}`
    const deny = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyUnusedServices', Effect: 'Deny', Action: ['ec2:*'], Resource: '*' }],
    }
    const { id, account } = givenAccount(
      [s3User('legacy', { policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess', legacyName] })],
      {
        policies: [{ name: legacyName, path: PATH, document: deny }],
      },
    )
    h.emulator.resetCounts()
    await enforce(id, T0)
    const writes = h.emulator.requests.filter((r) => r.account === id && r.write).map((r) => r.action)
    expect(writes.indexOf('AttachUserPolicy')).toBeLessThan(writes.indexOf('DetachUserPolicy'))
    expect(account.policies.has(legacyArn(id))).toBe(false)
    expect(account.users.get('legacy')?.attached).toContain(ourPolicyArn(id, 'legacy'))
    expect((await h.store.audit.user(id, 'legacy'))?.denied).toContain('ec2')
  })

  it("never adopts another user's policy attached to a user: it is tampering, detached, not kept", async () => {
    const { id, admin, account, user } = await givenEnforced([
      s3User('mal'),
      s3User('vic', { lastUsedDaysAgo: { s3: 1, ec2: 1 } }),
    ])
    const malPolicy = ourPolicyArn(id, 'mal')
    await admin.send(new AttachUserPolicyCommand({ UserName: 'vic', PolicyArn: malPolicy }))
    await enforce(id, day(1))
    expect(user('vic').attached).not.toContain(malPolicy)
    expect(account.policies.has(malPolicy)).toBe(true) // still mal's
    expect(user('mal').attached).toContain(malPolicy)
    expect((await h.store.audit.user(id, 'vic'))?.denied).not.toContain('ec2')
    const history = await h.store.audit.history(id, { name: 'vic' }, 5)
    expect(history.find((c) => c.status === 'tampered')?.reason).toBe(`attached-elsewhere: ${malPolicy}`)
    expect(alerts('alert.tampered', id)).toEqual([expect.objectContaining({ userName: 'vic' })])
  })

  it("grants a temporary exemption to the UserId: taking the exempt user's name gets nothing", async () => {
    const { id, admin } = await givenEnforced([s3User('alice'), s3User('bob')])
    await addExemption(h.store, {
      accountId: id,
      userName: 'alice',
      days: 5,
      reason: 'incident',
      now: new Date(),
      actor: OPERATOR,
    })
    await admin.send(new UpdateUserCommand({ UserName: 'alice', NewUserName: 'alice-old' }))
    await admin.send(new UpdateUserCommand({ UserName: 'bob', NewUserName: 'alice' }))
    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'alice')).toMatchObject({ status: 'enforced' })
    expect((await h.store.audit.user(id, 'alice'))?.denied).toContain('ec2')
    expect(await h.store.audit.user(id, 'alice-old')).toMatchObject({ status: 'exempt', denied: [] })
  })

  it('exempt names what is wrong: an unknown user, a service the user was not granted', async () => {
    const { id } = await givenEnforced([s3User('known')])
    const ghost = await cli('exempt', '--account', id, '--user', 'ghost', '--days', '2')
    expect(ghost.code).toBe(2)
    expect(ghost.stderr).toMatch(/no recorded state for ghost/)
    const notGranted = await cli(
      'exempt',
      '--account',
      id,
      '--user',
      'known',
      '--service',
      'sagemaker',
      '--days',
      '2',
    )
    expect(notGranted.code).toBe(2)
    expect(notGranted.stderr).toMatch(/known was not granted sagemaker/)

    expect(
      (await cli('exempt', '--account', id, '--user', 'known', '--service', 'ec2', '--days', '2', ...ENFORCE))
        .code,
    ).toBe(0)
    const listed = await cli('exemptions', 'list', '--account', id, '--json')
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ userName: 'known', service: 'ec2' }),
    ])
    expect(
      (await cli('exemptions', 'revoke', '--account', id, '--user', 'known', '--service', 'ec2', ...ENFORCE))
        .code,
    ).toBe(0)
    expect(JSON.parse((await cli('exemptions', 'list', '--account', id, '--json')).stdout)).toEqual([])
  })

  it('uses another name when a look-alike of the project policy name was created first', async () => {
    const world = givenAccount([s3User('squatted')])
    const taken = `${PREFIX}.1.${world.user('squatted').id.toLowerCase()}`
    await world.admin.send(
      new CreatePolicyCommand({
        PolicyName: taken,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:Get*', Resource: '*' }],
        }),
      }),
    )
    await world.admin.send(
      new CreatePolicyCommand({
        PolicyName: `${PREFIX}.01.${world.user('squatted').id}`, // read as part 1 by a lenient parser
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:Get*', Resource: '*' }],
        }),
      }),
    )
    await enforce(world.id, T0)
    const state = await h.store.audit.user(world.id, 'squatted')
    expect(state).toMatchObject({ status: 'enforced', denied: expect.arrayContaining(['ec2']) })
    expect(state?.policyArns[0]).toContain(`${PATH}${PREFIX}.1.${world.user('squatted').id}.`)
    expect(world.user('squatted').attached).toContain(state?.policyArns[0])
    expect(alerts('alert.policy-name-taken', world.id)).toEqual([
      expect.objectContaining({ policyName: `${PREFIX}.1.${world.user('squatted').id}` }),
    ])
  })

  it('never overwrites a user row another writer changed since it was loaded', async () => {
    const { id } = await givenEnforced([s3User('raced')])
    const loaded = must(await h.store.audit.user(id, 'raced'), "raced's row")
    const decision = (reason: string) => ({
      ...loaded,
      userId: must(loaded.userId, 'UserId'),
      status: 'enforced' as const,
      reason,
      added: [],
      removed: [],
      writes: 0,
    })
    const run = { sweepId: 'writer', mode: 'enforce' as const, now: new Date() }
    const known = { prev: loaded, current: loaded }
    await saveDecision(h.store, known, decision('first writer'), run)
    await expect(saveDecision(h.store, known, decision('second writer'), run)).rejects.toThrow(
      StateConflictError,
    )
    expect(await h.store.audit.user(id, 'raced')).toMatchObject({ reason: 'first writer', version: 2 })
  })

  it('holds an account when a sweep would lift a large share of its denies', async () => {
    const names = ['u1', 'u2', 'u3', 'u4']
    const { id } = await givenEnforced(names.map((n) => s3User(n)))
    const denied = must((await h.store.audit.user(id, 'u1'))?.denied, 'u1 denies')
    h.emulator.resetCounts()
    const config = { neverDeny: denied }
    const held = await enforce(id, day(1), { confirm: false, config })
    expect(h.emulator.count({ account: id, writes: true })).toBe(0)
    expect(held.accounts[0]?.brake).toMatch(/active denies .* would be lifted/)
    expect(await h.store.audit.user(id, 'u1')).toMatchObject({ status: 'braked', denied })

    await enforce(id, day(1), { config })
    expect(await h.store.audit.user(id, 'u1')).toMatchObject({ denied: [] })
  })

  it("holds a lift of most of one user's denies until confirmed; the rest of the account goes on", async () => {
    // A wide grant, mostly unused: many denies, so lifting them all at once is a large change for one user.
    const wide = { policies: ['aws:PowerUserAccess'], lastUsedDaysAgo: { s3: 1 } }
    const { id, user } = await givenEnforced([s3User('wide', wide), s3User('next')])
    const denied = must((await h.store.audit.user(id, 'wide'))?.denied, 'wide denies')
    expect(denied.length).toBeGreaterThanOrEqual(5)
    // A whole-user exemption: an operator's, or a row someone forged.
    await addExemption(h.store, {
      accountId: id,
      userName: 'wide',
      days: 5,
      reason: 'incident',
      now: day(1),
      actor: OPERATOR,
    })
    user('next').lastUsed.ec2 = new Date(0) // nothing else changes in the account
    const held = await enforce(id, day(1), { confirm: false })
    expect(held.accounts[0]?.brake).toBeUndefined() // the account is not held, only that lift
    expect(await h.store.audit.user(id, 'wide')).toMatchObject({ status: 'braked', denied })
    expect((await h.store.audit.user(id, 'wide'))?.reason).toMatch(
      /of the user's \d+ denies \(100%\) would be lifted at once/,
    )
    expect(alerts('alert.brake-tripped', id)).toContainEqual(
      expect.objectContaining({ userName: 'wide', scope: 'user' }),
    )
    expect(user('wide').attached).toContain(ourPolicyArn(id, 'wide'))
    // Confirmed, as the brake always is: lifted.
    await enforce(id, day(1))
    expect(await h.store.audit.user(id, 'wide')).toMatchObject({ status: 'exempt', denied: [] })
  })
})
