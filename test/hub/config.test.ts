import { describe, expect, it } from 'vitest'
import { loadHubConfig, loadStoreConfig } from '../../hub/config.js'
import { parseHubEvent } from '../../hub/event.js'
import { parseEngineConfig } from '../../shared/config.js'
import { ConfigError } from '../../shared/errors.js'

const base = { TABLE_NAME: 'state', EXTERNAL_ID: 'abc-123' }

describe('configuration', () => {
  it('has documented defaults, plan mode first', () => {
    const config = loadHubConfig(base)
    expect(config).toMatchObject({
      mode: 'plan',
      windowDays: 90,
      policyPath: '/least-privilege/',
      spokeRoleName: 'LeastPrivilegeSpoke',
      accountConcurrency: 32,
    })
  })

  it("says what to set in an operator's words: a required setting missing, a number out of range", () => {
    expect(() => loadHubConfig({ TABLE_NAME: 'state' })).toThrow(
      /externalId \(EXTERNAL_ID\): not set, and required/,
    )
    expect(() => loadHubConfig({ ...base, WINDOW_DAYS: '0' })).toThrow(
      /windowDays \(WINDOW_DAYS\): must be 1 or more/,
    )
  })

  it('reads the brake thresholds into the engine settings', () => {
    expect(loadHubConfig({ ...base, BRAKE_MAX_USER_SHARE: '0.5' }).brake).toEqual({
      maxUserShare: 0.5,
      maxServiceShare: 0.3,
      maxLiftShare: 0.3,
      maxMissingShare: 0.3,
      minMissing: 3,
      minUsers: 3,
      minServices: 20,
      maxUserLiftShare: 0.5,
      minUserLift: 5,
      maxActionShare: 0.3,
      minActions: 20,
      maxCredentialShare: 0.3,
      minCredentials: 5,
    })
  })

  it('reads lists, numbers and JSON from the environment', () => {
    const config = loadHubConfig({
      ...base,
      SWEEP_MODE: 'enforce',
      WINDOW_DAYS: '30',
      NEVER_DENY: 'sts, signin',
      EXCLUDED_ACCOUNTS: '111111111111,222222222222',
      EXEMPT_TAGS: '[{"key":"breakglass"}]',
      CREDENTIAL_WINDOW_DAYS: '45',
      NEVER_DEACTIVATE_USERS: 'breakglass, ci-bot',
    })
    expect(config).toMatchObject({
      credentialWindowDays: 45,
      neverDeactivateUsers: ['breakglass', 'ci-bot'],
      mode: 'enforce',
      windowDays: 30,
      neverDeny: ['sts', 'signin'],
      excludedAccounts: ['111111111111', '222222222222'],
      exemptTags: [{ key: 'breakglass' }],
    })
  })

  it.each([
    [{ ...base, WINDOW_DAYS: 'ninety' }, 'windowDays (WINDOW_DAYS): not a number'],
    [{ ...base, WINDOW_DAYS: '401' }, 'windowDays (WINDOW_DAYS)'],
    [{ ...base, SWEEP_MODE: 'apply' }, 'mode (SWEEP_MODE)'],
    [{ EXTERNAL_ID: 'abc-123' }, 'tableName (TABLE_NAME)'],
    [{ TABLE_NAME: 'state' }, 'externalId (EXTERNAL_ID)'],
    [{ ...base, EXCLUDED_ACCOUNTS: '1234' }, 'excludedAccounts (EXCLUDED_ACCOUNTS).0'],
    [{ ...base, EXEMPT_TAGS: 'breakglass' }, 'exemptTags (EXEMPT_TAGS): not JSON'],
    [{ ...base, EXEMPT_TAGS: '[{"kee":"x"}]' }, 'exemptTags (EXEMPT_TAGS).0'],
    [{ ...base, POLICY_PATH: '/' }, 'policyPath (POLICY_PATH)'],
    [{ ...base, POLICY_PATH: 'least-privilege' }, 'policyPath (POLICY_PATH)'],
    [{ ...base, POLICY_NAME_PREFIX: 'has space' }, 'policyNamePrefix (POLICY_NAME_PREFIX)'],
    [{ ...base, NEVER_DENY: 'S3' }, 'neverDeny (NEVER_DENY).0'],
    [{ ...base, BRAKE_MAX_USER_SHARE: '1.5' }, 'brake.maxUserShare (BRAKE_MAX_USER_SHARE)'],
    [
      { ...base, BRAKE_MAX_SERVICE_SHARE: 'half' },
      'brake.maxServiceShare (BRAKE_MAX_SERVICE_SHARE): not a number',
    ],
    [
      { ...base, SLACK_WEBHOOK_SECRET_ARN: 'https://hooks.slack.com/x' },
      'slackWebhookSecretArn (SLACK_WEBHOOK_SECRET_ARN)',
    ],
    [
      { ...base, CREDENTIAL_DELETE_AFTER_DAYS: '7' },
      'credentialDeleteAfterDays (CREDENTIAL_DELETE_AFTER_DAYS): must be 30 or more',
    ],
    [
      { ...base, CREDENTIAL_DELETE_AFTER_DAYS: 'soon' },
      'credentialDeleteAfterDays (CREDENTIAL_DELETE_AFTER_DAYS): off, or a whole number',
    ],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadHubConfig(env)).toThrow(ConfigError)
    expect(() => loadHubConfig(env)).toThrow(message)
  })

  it('reads key deletion as off, or a number of days', () => {
    expect(loadHubConfig(base).credentialDeleteAfterDays).toBe('off')
    expect(loadHubConfig({ ...base, CREDENTIAL_DELETE_AFTER_DAYS: 'off' }).credentialDeleteAfterDays).toBe(
      'off',
    )
    expect(loadHubConfig({ ...base, CREDENTIAL_DELETE_AFTER_DAYS: '45' }).credentialDeleteAfterDays).toBe(45)
  })

  it('rejects unknown engine settings', () => {
    expect(() => parseEngineConfig({ windowDayz: 30 })).toThrow(/windowDayz/)
  })

  it('audit commands need only the table', () => {
    expect(loadStoreConfig({ TABLE_NAME: 'state' })).toMatchObject({ tableName: 'state', maxAttempts: 8 })
  })

  it('takes SWEEP_MODE=plan as a ceiling: no request starts an enforce sweep; lifts stay possible', () => {
    const plan = loadHubConfig(base)
    const issuedAt = new Date().toISOString()
    const asOperator = (request: Record<string, unknown>) => ({
      operator: { request, issuedAt, hub: 'least-privilege-hub', proof: { headers: {} } },
    })
    const enforceSweep = asOperator({ action: 'sweep', mode: 'enforce', confirmLargeChange: true })
    expect(() => parseHubEvent(enforceSweep, plan)).toThrow(
      /mode: enforce is refused, the hub runs with SWEEP_MODE=plan/,
    )
    expect(parseHubEvent(asOperator({ action: 'sweep', mode: 'plan' }), plan)).toMatchObject({
      kind: 'operator',
      request: { mode: 'plan' },
    })
    // A release, a rollback or an exemption only lifts: the README's removal rolls back in plan mode.
    const lifts = [
      { action: 'release', accountId: '222222222222', userName: 'bob', services: ['ec2'], reason: 'x' },
      { action: 'rollback', accountId: '222222222222', reason: 'x' },
      { action: 'exempt', accountId: '222222222222', userName: 'bob', days: 3, reason: 'x' },
      { action: 'restore', accountId: '222222222222', userName: 'bob', target: { all: true }, reason: 'x' },
    ]
    for (const lift of lifts)
      expect(parseHubEvent(asOperator(lift), plan)).toMatchObject({ request: { action: lift.action } })
    // A reason is words: a blank one, or one carrying escape sequences that would fake lines of an
    // audit in someone's terminal, is refused.
    for (const reason of [' ', 'ok\x1b[1A\x1b[2Kexempted by security-lead', 'line\r\nforged'])
      expect(() =>
        parseHubEvent(asOperator({ action: 'rollback', accountId: '222222222222', reason }), plan),
      ).toThrow(/reason/)
    const enforce = loadHubConfig({ ...base, SWEEP_MODE: 'enforce' })
    expect(parseHubEvent(enforceSweep, enforce)).toMatchObject({ request: { mode: 'enforce' } })
  })
})
