import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook'
import type { SlackMessage } from '../domain/slack-message.js'
import { LeastPrivilegeError } from '../errors.js'

export class SlackError extends LeastPrivilegeError {
  override name = 'SlackError'
}

export interface SlackOptions {
  /** Retries after a 429 answer, each after Slack's Retry-After. */
  maxRetries?: number
  /** Longest Retry-After honoured; a longer one gives up rather than hold the sweep. */
  maxWaitMs?: number
  sleep?: (ms: number) => Promise<void>
}

/**
 * Posts a message to an incoming webhook. Slack answers 429 with Retry-After when rate limited; the
 * client's fetch waits that long and tries again. Errors never carry the URL: it is the secret.
 */
export async function postToSlack(
  webhookUrl: string,
  message: SlackMessage,
  options: SlackOptions = {},
): Promise<void> {
  const {
    maxRetries = 3,
    maxWaitMs = 30_000,
    sleep = (ms) => new Promise<void>((r) => setTimeout(r, ms)),
  } = options
  const fetchHonouringRetryAfter: typeof fetch = async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(input, init)
      if (response.status !== 429 || attempt >= maxRetries) return response
      const seconds = Number(response.headers.get('retry-after') ?? '1')
      const wait = (Number.isFinite(seconds) && seconds >= 0 ? seconds : 1) * 1000
      if (wait > maxWaitMs) return response
      await response.body?.cancel()
      await sleep(wait)
    }
  }
  const webhook = new IncomingWebhook(webhookUrl, { fetch: fetchHonouringRetryAfter, timeout: 10_000 })
  try {
    await webhook.send(message)
  } catch (error) {
    if (error instanceof IncomingWebhookHTTPError) {
      throw new SlackError(`Slack answered HTTP ${error.statusCode}: ${error.body.slice(0, 200)}`)
    }
    if (error instanceof IncomingWebhookRequestError) {
      const code = (error.original.cause as { code?: string } | undefined)?.code ?? error.original.name
      throw new SlackError(`request to Slack failed (${code})`)
    }
    throw new SlackError('posting to Slack failed')
  }
}

/** Accepts the secret as the bare URL or as JSON with a `url` or `webhookUrl` field. */
export function webhookUrlFromSecret(secret: string): string {
  let value = secret.trim()
  if (value.startsWith('{')) {
    let parsed: { url?: unknown; webhookUrl?: unknown }
    try {
      parsed = JSON.parse(value) as typeof parsed
    } catch {
      throw new SlackError('the Slack webhook secret starts with { but is not JSON')
    }
    value = String(parsed.url ?? parsed.webhookUrl ?? '')
  }
  try {
    const url = new URL(value)
    if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1') throw new Error('not https')
  } catch {
    throw new SlackError('the Slack webhook secret does not hold an https URL')
  }
  return value
}
