import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts'
import { UnexpectedReplyError } from '../errors.js'

export interface SpokeRole {
  roleName: string
  externalId: string
  /** Role path, `/` by default. */
  rolePath?: string
}

export interface TemporaryCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  expiration: Date
}

/** A spoke session as a client takes it: fixed credentials, or a provider that renews them. */
export type SpokeCredentials = TemporaryCredentials | (() => Promise<TemporaryCredentials>)

/** Session names allow 2 to 64 characters of [\w+=,.@-]; the sweep id makes CloudTrail entries traceable. */
export function sessionName(sweepId: string): string {
  return `least-privilege-${sweepId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)
}

export function spokeRoleArn(accountId: string, role: SpokeRole, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:role${role.rolePath ?? '/'}${role.roleName}`
}

/**
 * Credentials that renew themselves: the first session, then a new AssumeRole when it is within five
 * minutes of its end. A role session reached through another role lasts an hour at most, and an
 * operator's rollback of a large account may take longer.
 */
export function renewing(
  first: TemporaryCredentials,
  renew: () => Promise<TemporaryCredentials>,
): () => Promise<TemporaryCredentials> {
  let current = first
  let pending: Promise<TemporaryCredentials> | undefined
  return async () => {
    if (current.expiration.getTime() - Date.now() > 5 * 60_000) return current
    pending ??= renew().finally(() => {
      pending = undefined
    })
    current = await pending
    return current
  }
}

/** Assumes the spoke role in one account; the one place that does. Credentials never reach a log line. */
export async function assumeSpokeRole(
  sts: STSClient,
  accountId: string,
  role: SpokeRole,
  sweepId: string,
): Promise<TemporaryCredentials> {
  const reply = await sts.send(
    new AssumeRoleCommand({
      RoleArn: spokeRoleArn(accountId, role),
      RoleSessionName: sessionName(sweepId),
      ExternalId: role.externalId,
      DurationSeconds: 3600,
    }),
  )
  const c = reply.Credentials
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new UnexpectedReplyError(`AssumeRole into ${accountId} returned incomplete credentials`)
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  }
}
