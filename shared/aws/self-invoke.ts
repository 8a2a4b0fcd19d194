import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { UnexpectedReplyError } from '../errors.js'

/** Starts a fresh asynchronous invocation of the running function with the given event. */
export async function invokeSelfAsync(
  lambda: LambdaClient,
  functionArn: string,
  event: object,
): Promise<void> {
  const reply = await lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  )
  if (reply.StatusCode !== 202)
    throw new UnexpectedReplyError(`async Invoke of ${functionArn} answered ${reply.StatusCode}`)
}
