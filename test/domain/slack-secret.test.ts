import { describe, expect, it } from 'vitest'
import { SlackError, webhookUrlFromSecret } from '../../shared/slack/webhook.js'

const URL = 'https://hooks.slack.com/services/T0/B0/xyz'

describe('webhookUrlFromSecret', () => {
  it.each([URL, ` ${URL}\n`, JSON.stringify({ url: URL }), JSON.stringify({ webhookUrl: URL })])(
    'reads %j',
    (secret) => {
      expect(webhookUrlFromSecret(secret)).toBe(URL)
    },
  )

  it.each([
    ['{not json', /not JSON/],
    [JSON.stringify({ link: URL }), /does not hold an https URL/],
    ['http://hooks.slack.com/services/T0/B0/xyz', /does not hold an https URL/],
    ['hooks.slack.com', /does not hold an https URL/],
  ])('rejects %j without repeating it', (secret, message) => {
    expect(() => webhookUrlFromSecret(secret)).toThrow(SlackError)
    expect(() => webhookUrlFromSecret(secret)).toThrow(message)
    expect(() => webhookUrlFromSecret(secret)).not.toThrow(/xyz/)
  })
})
