import { describe, expect, it } from 'vitest'
import { buildDigest } from '../../shared/domain/digest.js'
import type { DigestAccount, DigestInput } from '../../shared/domain/digest-section.js'
import { NOTABLE_LIMIT, notableOf } from '../../shared/domain/notable.js'
import type { UserDecision } from '../../shared/domain/records.js'
import { clampLines, SLACK_LIMITS } from '../../shared/domain/slack-message.js'

function decision(userName: string, status: UserDecision['status'], added: string[] = []): UserDecision {
  return {
    accountId: '111111111111',
    userName,
    userId: `AIDA${userName.toUpperCase()}`,
    userArn: `arn:aws:iam::111111111111:user/${userName}`,
    status,
    denied: added,
    added: added.map((namespace) => ({ namespace, reason: 'never-used' as const })),
    removed: [],
    reason: `${status} reason`,
    policyArns: [],
    policyDigests: [],
    writes: 0,
  }
}

describe('notableOf', () => {
  it('keeps short lists and the full counts', () => {
    const decisions = Array.from({ length: 60 }, (_, i) => decision(`u${i}`, 'enforced', ['s3']))
    const n = notableOf([...decisions, decision('q', 'quota-blocked'), decision('e', 'error')])
    expect(n.restricted).toHaveLength(NOTABLE_LIMIT)
    expect(n.totals).toEqual({
      scheduled: 0,
      restricted: 60,
      tampered: 0,
      quotaBlocked: 1,
      errors: 1,
      attempts: 0,
      newlyExempt: 0,
      exemptionRequests: 0,
    })
  })

  it('keeps at most 10 services per user, with the full count', () => {
    const many = Array.from({ length: 450 }, (_, i) => `svc${i}`)
    const [entry] = notableOf([decision('admin', 'enforced', many)]).restricted
    expect(entry?.added).toHaveLength(10)
    expect(entry?.addedCount).toBe(450)
  })
})

/** A digest of an enforce sweep with a week's notice, but for what a test sets. */
const digestOf = (input: Partial<DigestInput> & Pick<DigestInput, 'accounts'>) =>
  buildDigest({ noticeDays: 7, sweepId: 'x', mode: 'enforce', durationMs: 1, counts: {}, ...input })

describe('buildDigest', () => {
  it('fits Slack limits for a very large organization, saying how much was left out', () => {
    const services = Array.from({ length: 400 }, (_, i) => `service-${i}`)
    const accounts: DigestAccount[] = Array.from({ length: 2000 }, (_, a) => ({
      accountId: String(100000000000 + a),
      outcome: a % 50 === 0 ? 'unreachable' : 'swept',
      reason: a % 50 === 0 ? 'AccessDenied: '.repeat(30) : '',
      ...(a % 100 === 1 ? { brake: 'too much' } : {}),
      notable: notableOf(
        Array.from({ length: 40 }, (_, u) =>
          decision(`user-with-a-long-name-${u}`, u % 9 === 0 ? 'error' : 'enforced', services),
        ),
      ),
    }))
    const message = digestOf({ counts: { enforced: 72_000 }, accounts })
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks)
    let total = 0
    for (const block of message.blocks) {
      if (block.type === 'section') {
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText)
        total += block.text.text.length
      }
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText)
    }
    expect(total).toBeLessThanOrEqual(SLACK_LIMITS.totalText)
    expect(JSON.stringify(message)).toMatch(/…and \d+ more/)
    expect(JSON.stringify(message)).toMatch(/more sections/)
  })

  it('mentions only the owners it writes out: a user named @channel is text, not a mention', () => {
    const scheduled = { s3: { on: '2026-12-03', since: '2026-11-26T06:00:00.000Z' } }
    const notable = notableOf([
      { ...decision('@channel', 'unchanged'), scheduled },
      { ...decision('ann', 'unchanged'), scheduled, owner: { memberId: 'U0ANN1234' } },
    ])
    const message = digestOf({
      counts: { unchanged: 2 },
      accounts: [{ accountId: '111111111111', outcome: 'swept', reason: '', notable }],
    })
    for (const block of message.blocks)
      if (block.type === 'section') expect(block.text).toMatchObject({ type: 'mrkdwn', verbatim: true })
    const text = JSON.stringify(message.blocks)
    expect(text).toContain('111111111111 @channel: s3 on 2026-12-03')
    expect(text).toContain('111111111111 ann <@U0ANN1234>: s3 on 2026-12-03')
  })

  it("shows a service's scheduled actions as one entry, and never a keep command that names nothing", () => {
    const on = { on: '2026-12-03', since: '2026-11-26T06:00:00.000Z' }
    const actions = Object.fromEntries(
      ['CreateUser', 'CreateRole', 'AttachUserPolicy'].map((a) => [`iam:${a}`, on]),
    )
    const notable = notableOf([
      { ...decision('ada', 'enforced', ['iam:DeleteRole', 'iam:DeleteUser', 'ec2']), scheduled: actions },
      { ...decision('bo', 'unchanged'), scheduled: { ...actions, 'sts:GetFederationToken': on } },
    ])
    expect(notable.restricted[0]?.added).toEqual(['ec2', 'iam (2 actions)'])
    const text = JSON.stringify(
      digestOf({
        counts: { unchanged: 2 },
        accounts: [{ accountId: '111111111111', outcome: 'swept', reason: '', notable }],
      }).blocks,
    )
    expect(text).toContain('111111111111 ada: iam (3 actions) on 2026-12-03. Keep them: see')
    expect(text).not.toMatch(/exempt --account 111111111111 --user ada +--days/)
    expect(text).toContain('--action sts:GetFederationToken')
  })

  it('escapes every value it puts in a message: a path, a tag or an error cannot ping or link', () => {
    const path = '/<!channel>/'
    const notable = notableOf([
      {
        ...decision('eve', 'error'),
        reason: `AccessDenied: arn:aws:iam::111111111111:user${path}eve & <https://evil.example|Approve>`,
      },
      { ...decision('mallory', 'unchanged'), newlyExemptTag: 'team=<!here>' },
      {
        ...decision('ann', 'unchanged'),
        owner: { memberId: 'U0ANN1234' },
        scheduled: { s3: { on: '2026-12-03', since: '2026-11-26T06:00:00.000Z' } },
      },
    ])
    const message = digestOf({
      counts: { error: 1, unchanged: 2 },
      accounts: [
        { accountId: '111111111111', outcome: 'swept', reason: '', notable },
        { accountId: '222222222222', outcome: 'failed', reason: 'a reply <!everyone> gave' },
      ],
    })
    const text = message.blocks.map((b) => ('text' in b ? b.text.text : '')).join('\n')
    expect(text).not.toMatch(/<!|<https/)
    expect(text).toContain('user/&lt;!channel&gt;/eve &amp; &lt;https://evil.example|Approve&gt;')
    expect(text).toContain('tagged team=&lt;!here&gt;')
    expect(text).toContain('a reply &lt;!everyone&gt; gave')
    expect(text).toContain('ann <@U0ANN1234>') // the one mention written on purpose
  })

  it('says nothing of empty categories', () => {
    const message = digestOf({
      mode: 'plan',
      durationMs: 1500,
      counts: { unchanged: 3 },
      accounts: [{ accountId: '1', outcome: 'swept', reason: '' }],
    })
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'divider', 'context'])
    expect(message.text).toMatch(/unchanged 3/)
  })
})

describe('clampLines', () => {
  it.each([
    [['a', 'b', 'c'], 100, 'a\nb\nc'],
    [['aaaa', 'bbbb', 'cccc'], 20, 'aaaa\n…and 2 more'],
  ])('fits %j into %i characters', (lines, max, expected) => {
    const out = clampLines(lines, max)
    expect(out).toBe(expected)
    expect(out.length).toBeLessThanOrEqual(max)
  })
})
