/**
 * A user's credentials in IAM: the account's credential report, each credential's live state, and the
 * changes the project makes to them (and an operator's restore). Every reply is checked before it is
 * trusted: a key without an ID or a creation time is an unexpected reply, never "unused".
 */
import {
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  type GetLoginProfileCommandOutput,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListServiceSpecificCredentialsCommand,
  ListSSHPublicKeysCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSSHPublicKeyCommand,
} from '@aws-sdk/client-iam'
import { CREDENTIAL_SERVICES, type LiveCredential, SSH_KEY_SERVICE } from '../domain/credentials/judge.js'
import type { CredentialOp } from '../domain/credentials/plan.js'
import { type CredentialReport, parseCredentialReport } from '../domain/credentials/report.js'
import { StateConflictError, UnexpectedReplyError } from '../errors.js'
import type { Sleep } from './access-advisor.js'
import { awsErrorKind } from './aws-errors.js'

/** GetCredentialReport's answers for a report being made, expired or gone (codes and SDK names). */
const REPORT_NOT_READY =
  /ReportInProgress|ReportExpired|ReportNotPresent|CredentialReport(NotReady|Expired|NotPresent)/

/** A report takes seconds to generate; after this long without one, the pass gives up for the day. */
const REPORT_POLLS_MS = [1_000, 2_000, 3_000, 5_000, 5_000, 8_000, 8_000, 8_000]

const time = (value: Date | undefined, what: string): string => {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime()))
    throw new UnexpectedReplyError(`${what} has no valid time`)
  return value.toISOString()
}

/**
 * The account's credential report: asks for one (IAM makes at most one every 4 hours and otherwise
 * answers COMPLETE with the one it has), waits while it is made, and reads it.
 */
export async function readCredentialReport(iam: IAMClient, sleep: Sleep): Promise<CredentialReport> {
  for (const delay of [0, ...REPORT_POLLS_MS]) {
    if (delay) await sleep(delay)
    const generated = await iam.send(new GenerateCredentialReportCommand({}))
    if (generated.State !== 'COMPLETE') continue
    try {
      const report = await iam.send(new GetCredentialReportCommand({}))
      if (!report.Content) throw new UnexpectedReplyError('credential report came back empty')
      const generatedAt = time(report.GeneratedTime, 'the credential report')
      return { generatedAt, rows: parseCredentialReport(Buffer.from(report.Content).toString('utf8')) }
    } catch (error) {
      // Made between the two calls, or expired: asked for again.
      if (REPORT_NOT_READY.test(String((error as Error).name))) continue
      throw error
    }
  }
  throw new UnexpectedReplyError('the credential report was not ready after 40 seconds')
}

/**
 * The user's access keys and console password as IAM shows them now (and, when asked, their SSH keys
 * and service-specific credentials), after checking that the name still names the user listed (by
 * UserId): a rename since the listing must not pin another user's credentials on them.
 */
export async function readLiveCredentials(
  iam: IAMClient,
  who: { name: string; id: string },
  proxied = false,
): Promise<LiveCredential[]> {
  const user = await iam.send(new GetUserCommand({ UserName: who.name }))
  if (user.User?.UserId !== who.id)
    throw new UnexpectedReplyError(
      `${who.name} is now ${user.User?.UserId ?? 'nobody'}, not ${who.id}: renamed since the listing`,
    )
  const lastUsed = user.User.PasswordLastUsed
  const [keys, password, others] = await Promise.all([
    liveKeys(iam, who.name),
    livePassword(iam, who.name, lastUsed),
    proxied ? liveProxied(iam, who.name) : [],
  ])
  return [...keys, ...(password ? [password] : []), ...others]
}

/** SSH public keys and service-specific credentials: their status and creation; no last use of their own. */
async function liveProxied(iam: IAMClient, userName: string): Promise<LiveCredential[]> {
  const [ssh, service] = await Promise.all([
    iam.send(new ListSSHPublicKeysCommand({ UserName: userName, MaxItems: 1000 })),
    iam.send(new ListServiceSpecificCredentialsCommand({ UserName: userName })),
  ])
  if (ssh.IsTruncated) throw new UnexpectedReplyError(`SSH keys of ${userName} came back truncated`)
  const status = (value: string | undefined, what: string) => {
    if (value !== 'Active' && value !== 'Inactive') throw new UnexpectedReplyError(`${what} has no status`)
    return value === 'Active'
  }
  const keys = (ssh.SSHPublicKeys ?? []).map((k): LiveCredential => {
    if (!k.SSHPublicKeyId) throw new UnexpectedReplyError(`an SSH key of ${userName} has no ID`)
    return {
      kind: 'ssh-key',
      id: k.SSHPublicKeyId,
      active: status(k.Status, `SSH key ${k.SSHPublicKeyId}`),
      createdAt: time(k.UploadDate, `SSH key ${k.SSHPublicKeyId}`),
      service: SSH_KEY_SERVICE,
    }
  })
  // A credential for a service this code does not know is never judged: nothing tells its use.
  const credentials = (service.ServiceSpecificCredentials ?? []).flatMap((c): LiveCredential[] => {
    const ns = CREDENTIAL_SERVICES[c.ServiceName ?? '']
    if (!c.ServiceSpecificCredentialId || !ns) return []
    return [
      {
        kind: 'service-credential',
        id: c.ServiceSpecificCredentialId,
        active: status(c.Status, `credential ${c.ServiceSpecificCredentialId}`),
        createdAt: time(c.CreateDate, `credential ${c.ServiceSpecificCredentialId}`),
        service: ns,
      },
    ]
  })
  return [...keys, ...credentials]
}

async function liveKeys(iam: IAMClient, userName: string): Promise<LiveCredential[]> {
  // IAM allows two keys a user: one page always holds them.
  const listed = await iam.send(new ListAccessKeysCommand({ UserName: userName }))
  if (listed.IsTruncated) throw new UnexpectedReplyError(`access keys of ${userName} came back truncated`)
  return Promise.all(
    (listed.AccessKeyMetadata ?? []).map(async (key): Promise<LiveCredential> => {
      const id = key.AccessKeyId
      if (!id || (key.Status !== 'Active' && key.Status !== 'Inactive'))
        throw new UnexpectedReplyError(`an access key of ${userName} has no ID or status`)
      const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }))
      if (used.UserName !== userName)
        throw new UnexpectedReplyError(`key ${id} belongs to ${used.UserName ?? 'nobody'}, not ${userName}`)
      const usage = used.AccessKeyLastUsed
      // Never used is said in so many words (service and region N/A); a reply without it says nothing.
      if (!usage || (!usage.LastUsedDate && usage.ServiceName !== 'N/A'))
        throw new UnexpectedReplyError(`the last use of key ${id} came back without a time or N/A`)
      return {
        kind: 'access-key',
        id,
        active: key.Status === 'Active',
        createdAt: time(key.CreateDate, `access key ${id}`),
        ...(usage.LastUsedDate ? { lastUsed: time(usage.LastUsedDate, `last use of ${id}`) } : {}),
      }
    }),
  )
}

async function livePassword(
  iam: IAMClient,
  userName: string,
  lastUsed: Date | undefined,
): Promise<LiveCredential | undefined> {
  let profile: GetLoginProfileCommandOutput
  try {
    profile = await iam.send(new GetLoginProfileCommand({ UserName: userName }))
  } catch (error) {
    if (noLoginProfile(error)) return undefined
    throw error
  }
  return {
    kind: 'password',
    id: 'password',
    active: true,
    createdAt: time(profile.LoginProfile?.CreateDate, `login profile of ${userName}`),
    ...(lastUsed ? { lastUsed: time(lastUsed, `password last use of ${userName}`) } : {}),
    passwordResetRequired: profile.LoginProfile?.PasswordResetRequired === true,
  }
}

/** NoSuchEntity about the login profile itself, not about the user (gone, or renamed meanwhile). */
function noLoginProfile(error: unknown): boolean {
  return awsErrorKind(error) === 'not-found' && /login ?profile/i.test(String((error as Error).message))
}

/**
 * Deletes a key only as the sweep read it: still listed for the user, Inactive, with the same last use.
 * The read was seconds or minutes ago, and a deletion cannot be undone, so it is checked again first.
 */
async function deleteKeyAsRead(
  iam: IAMClient,
  userName: string,
  op: { id: string; lastUsed?: string },
): Promise<void> {
  const listed = await iam.send(new ListAccessKeysCommand({ UserName: userName }))
  const key = listed.AccessKeyMetadata?.find((k) => k.AccessKeyId === op.id)
  if (key?.Status !== 'Inactive')
    throw new StateConflictError(`key ${op.id} of ${userName} is ${key?.Status ?? 'gone'} now: not deleted`)
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: op.id }))
  // As in liveKeys: a reply without a last-use record, or about another user, is no answer.
  if (!used.AccessKeyLastUsed || used.UserName !== userName)
    throw new UnexpectedReplyError(
      `the last use of key ${op.id} came back without a record, or for another user`,
    )
  const lastUsed = used.AccessKeyLastUsed.LastUsedDate
  if ((lastUsed ? time(lastUsed, `last use of key ${op.id}`) : '') !== (op.lastUsed ?? ''))
    throw new StateConflictError(`key ${op.id} of ${userName} was used since it was read: not deleted`)
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: op.id }))
  } catch (error) {
    // Listed a moment ago: gone now is the SDK's retry after a first try that timed out and was made.
    if (!(awsErrorKind(error) === 'not-found' && /access key/i.test(String((error as Error).message))))
      throw error
  }
}

/** Carries out one credential change. The project never sets a password (see planRestore). */
export async function changeCredential(iam: IAMClient, userName: string, op: CredentialOp): Promise<void> {
  if (op.kind === 'remove-password') {
    try {
      await iam.send(new DeleteLoginProfileCommand({ UserName: userName }))
    } catch (error) {
      // Removed meanwhile by someone else: what this op wants is already so.
      if (!noLoginProfile(error)) throw error
    }
    return
  }
  if (op.kind === 'delete-key') {
    await deleteKeyAsRead(iam, userName, op)
    return
  }
  const Status = op.kind === 'deactivate' ? 'Inactive' : 'Active'
  switch (op.credential) {
    case 'access-key':
      await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: op.id, Status }))
      return
    case 'ssh-key':
      await iam.send(new UpdateSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: op.id, Status }))
      return
    case 'service-credential':
      await iam.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: userName,
          ServiceSpecificCredentialId: op.id,
          Status,
        }),
      )
      return
  }
}
