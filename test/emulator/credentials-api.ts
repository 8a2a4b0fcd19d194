/**
 * Access keys, console passwords and the credential report, as IAM serves them: a report is made at most
 * once every 4 hours and shows the account as it was then; GetAccessKeyLastUsed and GetUser show now.
 */
import { randomBytes } from 'node:crypto'
import type { Handler } from './iam-api.js'
import { user } from './iam-api.js'
import type { EmAccessKey, EmAccount, EmUser } from './model.js'
import { AwsFault, required } from './wire.js'

/** IAM makes a new report at most this often; in between, GenerateCredentialReport answers COMPLETE. */
export const REPORT_CACHE_MS = 4 * 3_600_000

const COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  ...[1, 2].flatMap((n) => [
    `access_key_${n}_active`,
    `access_key_${n}_last_rotated`,
    `access_key_${n}_last_used_date`,
    `access_key_${n}_last_used_region`,
    `access_key_${n}_last_used_service`,
  ]),
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
]

/** IAM's report writes times as `2026-12-02T10:00:00+00:00`. */
const stamp = (at: Date | undefined) => (at ? at.toISOString().replace(/\.\d{3}Z$/, '+00:00') : 'N/A')

function reportLine(u: EmUser): string {
  const keys = [...u.accessKeys].sort((a, b) => a.createDate.getTime() - b.createDate.getTime())
  const key = (k: EmAccessKey | undefined) =>
    k
      ? [
          String(k.status === 'Active'),
          stamp(k.createDate),
          stamp(k.lastUsed?.at),
          k.lastUsed?.region ?? 'N/A',
          k.lastUsed?.service ?? 'N/A',
        ]
      : ['false', 'N/A', 'N/A', 'N/A', 'N/A']
  const profile = u.loginProfile
  return [
    u.name,
    u.arn,
    stamp(u.createDate),
    String(profile !== undefined),
    profile ? (u.passwordLastUsed ? stamp(u.passwordLastUsed) : 'no_information') : 'N/A',
    profile ? stamp(profile.createDate) : 'N/A',
    'N/A',
    'false',
    ...key(keys[0]),
    ...key(keys[1]),
    'false',
    'N/A',
    'false',
    'N/A',
  ].join(',')
}

function statusOf(p: URLSearchParams): 'Active' | 'Inactive' {
  const status = required(p, 'Status')
  if (status !== 'Active' && status !== 'Inactive')
    throw new AwsFault('ValidationError', `Status ${status} is not Active or Inactive.`)
  return status
}

function keyOf(u: EmUser, id: string): EmAccessKey {
  const key = u.accessKeys.find((k) => k.id === id)
  if (!key) throw new AwsFault('NoSuchEntity', `The Access Key with id ${id} cannot be found.`)
  return key
}

/** Makes the account's report as of `at` (tests whose clock runs ahead of the emulator's make one then). */
export function makeCredentialReport(account: EmAccount, at: Date): void {
  const root = `<root_account>,arn:aws:iam::${account.id}:root,${stamp(new Date(0))},not_supported,N/A,not_supported,not_supported,false,${Array(10).fill('N/A').join(',')},false,N/A,false,N/A`
  const lines = [COLUMNS.join(','), root, ...[...account.users.values()].map(reportLine)]
  account.credentialReport = { generatedAt: at, content: `${lines.join('\n')}\n` }
}

export const credentialHandlers: Record<string, Handler> = {
  GenerateCredentialReport: (ctx) => {
    const now = ctx.now()
    const last = ctx.account.credentialReport
    if (last && now.getTime() - last.generatedAt.getTime() < REPORT_CACHE_MS) return { State: 'COMPLETE' }
    makeCredentialReport(ctx.account, now)
    return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' }
  },

  GetCredentialReport: (ctx) => {
    const report = ctx.account.credentialReport
    if (!report) throw new AwsFault('ReportNotPresent', 'Credential report not present.', 410)
    return {
      Content: Buffer.from(report.content).toString('base64'),
      ReportFormat: 'text/csv',
      GeneratedTime: report.generatedAt,
    }
  },

  ListAccessKeys: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    return {
      AccessKeyMetadata: u.accessKeys.map((k) => ({
        UserName: u.name,
        AccessKeyId: k.id,
        Status: k.status,
        CreateDate: k.createDate,
      })),
      IsTruncated: false,
    }
  },

  GetAccessKeyLastUsed: (ctx, p) => {
    const id = required(p, 'AccessKeyId')
    const owner = [...ctx.account.users.values()].find((u) => u.accessKeys.some((k) => k.id === id))
    if (!owner) throw new AwsFault('AccessDenied', `The access key ${id} is not in this account.`, 403)
    const used = keyOf(owner, id).lastUsed
    return {
      UserName: owner.name,
      AccessKeyLastUsed: used
        ? { LastUsedDate: used.at, ServiceName: used.service, Region: used.region }
        : { ServiceName: 'N/A', Region: 'N/A' },
    }
  },

  UpdateAccessKey: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    keyOf(u, required(p, 'AccessKeyId')).status = statusOf(p)
    return undefined
  },

  DeleteAccessKey: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const id = required(p, 'AccessKeyId')
    if (!u.accessKeys.some((k) => k.id === id))
      throw new AwsFault('NoSuchEntity', `The Access Key with id ${id} cannot be found.`)
    u.accessKeys = u.accessKeys.filter((k) => k.id !== id)
    return undefined
  },

  CreateAccessKey: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    if (u.accessKeys.length >= 2)
      throw new AwsFault('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409)
    const key: EmAccessKey = {
      id: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      status: 'Active',
      createDate: ctx.now(),
    }
    u.accessKeys.push(key)
    return { AccessKey: { UserName: u.name, AccessKeyId: key.id, Status: key.status, SecretAccessKey: 'x' } }
  },

  ListSSHPublicKeys: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    return {
      SSHPublicKeys: u.sshKeys.map((k) => ({
        UserName: u.name,
        SSHPublicKeyId: k.id,
        Status: k.status,
        UploadDate: k.uploadDate,
      })),
      IsTruncated: false,
    }
  },

  UpdateSSHPublicKey: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const key = u.sshKeys.find((k) => k.id === required(p, 'SSHPublicKeyId'))
    if (!key) throw new AwsFault('NoSuchEntity', 'The Public Key with id cannot be found.')
    key.status = statusOf(p)
    return undefined
  },

  ListServiceSpecificCredentials: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    return {
      ServiceSpecificCredentials: u.serviceCredentials.map((c) => ({
        UserName: u.name,
        ServiceSpecificCredentialId: c.id,
        ServiceName: c.serviceName,
        ServiceUserName: `${u.name}-at-${ctx.account.id}`,
        Status: c.status,
        CreateDate: c.createDate,
      })),
    }
  },

  UpdateServiceSpecificCredential: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const credential = u.serviceCredentials.find((c) => c.id === required(p, 'ServiceSpecificCredentialId'))
    if (!credential) throw new AwsFault('NoSuchEntity', 'No such credential.')
    credential.status = statusOf(p)
    return undefined
  },

  GetUser: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    return {
      User: {
        Path: u.path,
        UserName: u.name,
        UserId: u.id,
        Arn: u.arn,
        CreateDate: u.createDate,
        PasswordLastUsed: u.passwordLastUsed,
      },
    }
  },

  GetLoginProfile: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    if (!u.loginProfile)
      throw new AwsFault('NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`)
    return {
      LoginProfile: {
        UserName: u.name,
        CreateDate: u.loginProfile.createDate,
        PasswordResetRequired: u.loginProfile.passwordResetRequired,
      },
    }
  },

  DeleteLoginProfile: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    if (!u.loginProfile)
      throw new AwsFault('NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`)
    u.loginProfile = undefined
    return undefined
  },

  CreateLoginProfile: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    if (u.loginProfile)
      throw new AwsFault('EntityAlreadyExists', `Login Profile for user ${u.name} already exists.`, 409)
    if (required(p, 'Password').length < 8)
      throw new AwsFault('PasswordPolicyViolation', 'Password should have a minimum length of 8', 400)
    u.loginProfile = {
      createDate: ctx.now(),
      passwordResetRequired: p.get('PasswordResetRequired') === 'true',
    }
    u.passwordLastUsed = undefined
    return {
      LoginProfile: {
        UserName: u.name,
        CreateDate: u.loginProfile.createDate,
        PasswordResetRequired: u.loginProfile.passwordResetRequired,
      },
    }
  },
}
