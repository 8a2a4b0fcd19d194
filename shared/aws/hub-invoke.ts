import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import type { z } from 'zod'
import { ConfigError, LeastPrivilegeError, UnexpectedReplyError } from '../errors.js'
import { awsErrorKind } from './aws-errors.js'

/**
 * Starts an asynchronous invocation of the hub function (a continuation, or a sweep an operator starts).
 * Returns Lambda's request id: the hub derives the sweep id of a manual sweep from it.
 */
export async function startInHub(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
): Promise<string> {
  const reply = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  )
  if (reply.StatusCode !== 202)
    throw new UnexpectedReplyError(`async Invoke of ${functionName} answered ${reply.StatusCode}`)
  return reply.$metadata.requestId ?? ''
}

/** The hub refused or failed an operator's request; its message says why. */
export class HubError extends LeastPrivilegeError {
  override readonly name = 'HubError'
}

/** Asks the hub function to carry out one request and waits for its answer, parsed with `reply`. */
export async function askHub<S extends z.ZodType>(
  lambda: LambdaClient,
  request: { functionName: string; event: unknown; reply: S },
): Promise<z.output<S>> {
  const { functionName, event } = request
  const reply = await lambda
    .send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    )
    .catch(async (error: unknown) => {
      // A name that is no function is bad input, said in the setting's words, not Lambda's.
      if (awsErrorKind(error) === 'not-found')
        throw new ConfigError(
          `hub-function (HUB_FUNCTION_NAME): no function ${functionName} in ${await lambda.config.region()}; the hub stack's HubFunctionName output names it`,
        )
      throw error
    })
  const text = reply.Payload ? new TextDecoder().decode(reply.Payload) : ''
  let payload: unknown
  try {
    payload = text ? JSON.parse(text) : undefined
  } catch {
    throw new UnexpectedReplyError(`${functionName} answered with a payload that is not JSON`)
  }
  if (reply.FunctionError) {
    const message = (payload as { errorMessage?: unknown } | undefined)?.errorMessage
    throw new HubError(`${functionName}: ${typeof message === 'string' ? message : reply.FunctionError}`)
  }
  const parsed = request.reply.safeParse(payload)
  if (!parsed.success)
    throw new UnexpectedReplyError(
      `${functionName} answered with an unexpected reply: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(reply)'}: ${i.message}`).join('; ')}`,
    )
  return parsed.data
}
