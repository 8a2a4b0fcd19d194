/**
 * A user's credentials in IAM: the account's credential report, each credential's live state, and the
 * changes the project makes to them (and an operator's restore). Every reply is checked before it is
 * trusted: a key without an ID or a creation time is an unexpected reply, never "unused".
 */
import {
  DeleteLoginProfileCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  type GetLoginProfileCommandOutput,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam'
import type { LiveCredential } from '../domain/credentials/judge.js'
import type { CredentialOp } from '../domain/credentials/plan.js'
import { type CredentialReport, parseCredentialReport } from '../domain/credentials/report.js'
import { UnexpectedReplyError } from '../errors.js'
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

/** The user's access keys and console password as IAM shows them now. */
export async function readLiveCredentials(iam: IAMClient, userName: string): Promise<LiveCredential[]> {
  const [keys, password] = await Promise.all([liveKeys(iam, userName), livePassword(iam, userName)])
  return password ? [...keys, password] : keys
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
      if (used.UserName !== undefined && used.UserName !== userName)
        throw new UnexpectedReplyError(`key ${id} belongs to ${used.UserName}, not ${userName}`)
      const lastUsed = used.AccessKeyLastUsed?.LastUsedDate
      return {
        kind: 'access-key',
        id,
        active: key.Status === 'Active',
        createdAt: time(key.CreateDate, `access key ${id}`),
        ...(lastUsed ? { lastUsed: time(lastUsed, `last use of ${id}`) } : {}),
      }
    }),
  )
}

async function livePassword(iam: IAMClient, userName: string): Promise<LiveCredential | undefined> {
  let profile: GetLoginProfileCommandOutput
  try {
    profile = await iam.send(new GetLoginProfileCommand({ UserName: userName }))
  } catch (error) {
    if (awsErrorKind(error) === 'not-found') return undefined
    throw error
  }
  const user = await iam.send(new GetUserCommand({ UserName: userName }))
  const lastUsed = user.User?.PasswordLastUsed
  return {
    kind: 'password',
    id: 'password',
    active: true,
    createdAt: time(profile.LoginProfile?.CreateDate, `login profile of ${userName}`),
    ...(lastUsed ? { lastUsed: time(lastUsed, `password last use of ${userName}`) } : {}),
    passwordResetRequired: profile.LoginProfile?.PasswordResetRequired === true,
  }
}

/** Carries out one credential change. The project never sets a password (see planRestore). */
export async function changeCredential(iam: IAMClient, userName: string, op: CredentialOp): Promise<void> {
  switch (op.kind) {
    case 'deactivate-key':
    case 'reactivate-key':
      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: userName,
          AccessKeyId: op.id,
          Status: op.kind === 'deactivate-key' ? 'Inactive' : 'Active',
        }),
      )
      return
    case 'remove-password':
      try {
        await iam.send(new DeleteLoginProfileCommand({ UserName: userName }))
      } catch (error) {
        // Removed meanwhile by someone else: what this op wants is already so.
        if (awsErrorKind(error) !== 'not-found') throw error
      }
  }
}
