import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts'
import { UnexpectedReplyError } from '../errors.js'

/** Who is running an operator command, for the audit trail: the caller's ARN as STS sees it. */
export async function callerArn(sts: STSClient): Promise<string> {
  const reply = await sts.send(new GetCallerIdentityCommand({}))
  if (!reply.Arn) throw new UnexpectedReplyError('GetCallerIdentity returned no Arn')
  return reply.Arn
}
