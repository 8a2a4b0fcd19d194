/** STS AssumeRole as the hub uses it: trust only from the management account, ExternalId required. */
import { randomBytes } from 'node:crypto'
import type { EmState } from './model.js'
import { AwsFault, type Params, required } from './wire.js'

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/'

export interface StsContext {
  state: EmState
  callerAccountId: string
  /** The caller's ARN when its keys belong to a principal a test made. */
  callerArn?: string
  spokeRoleName: string
  externalId: string
  /** Records the new session so that later requests signed with it act in the target account. */
  issueSession: (
    accessKeyId: string,
    accountId: string,
    keys: { secretAccessKey: string; sessionToken: string },
  ) => void
}

export function handleSts(ctx: StsContext, action: string, p: Params): object {
  if (action === 'GetCallerIdentity') {
    // The emulator's long-term keys belong to each account's administrator user.
    return {
      UserId: `AIDAEMU${ctx.callerAccountId}`,
      Account: ctx.callerAccountId,
      Arn: ctx.callerArn ?? `arn:aws:iam::${ctx.callerAccountId}:user/administrator`,
    }
  }
  if (action !== 'AssumeRole') throw new AwsFault('InvalidAction', `Could not find operation ${action}`)
  const roleArn = required(p, 'RoleArn')
  const sessionName = required(p, 'RoleSessionName')
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new AwsFault(
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
    )
  }
  const duration = Number(p.get('DurationSeconds') ?? 3600)
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    throw new AwsFault('ValidationError', 'DurationSeconds must be between 900 and 43200')
  }
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn)
  const target = match?.[1] ? ctx.state.accounts.get(match[1]) : undefined
  const denied = () =>
    new AwsFault(
      'AccessDenied',
      `User: arn:aws:iam::${ctx.callerAccountId}:role/hub is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    )
  if (!match || !target?.spokeRole || match[2] !== ctx.spokeRoleName) throw denied()
  if (ctx.callerAccountId !== ctx.state.managementAccountId) throw denied()
  if (p.get('ExternalId') !== ctx.externalId) throw denied()

  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`
  const secretAccessKey = randomBytes(20).toString('base64')
  const sessionToken = randomBytes(32).toString('base64')
  ctx.issueSession(accessKeyId, target.id, { secretAccessKey, sessionToken })
  return {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: secretAccessKey,
      SessionToken: sessionToken,
      Expiration: new Date(Date.now() + duration * 1000),
    },
    AssumedRoleUser: {
      AssumedRoleId: `AROA${randomBytes(8).toString('hex').toUpperCase()}:${sessionName}`,
      Arn: `arn:aws:sts::${target.id}:assumed-role/${ctx.spokeRoleName}/${sessionName}`,
    },
  }
}
