import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { UnexpectedReplyError } from '../errors.js'

/** Reads a secret's string value. The value is returned, never logged. */
export async function readSecretString(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const reply = await client.send(new GetSecretValueCommand({ SecretId: secretArn }))
  if (typeof reply.SecretString !== 'string')
    throw new UnexpectedReplyError(`secret ${secretArn} has no string value`)
  return reply.SecretString
}
