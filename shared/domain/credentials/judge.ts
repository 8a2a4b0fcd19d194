/**
 * Whether one credential is unused, judged on its own: its last use, or its creation if never used, is
 * older than the window. Silence is evidence only where IAM was tracking: a quiet spell that reaches
 * back into a tracking gap is unknown, never unused.
 */
import type { CredentialKind } from '../records.js'

/** A credential as IAM shows it now (GetAccessKeyLastUsed, GetLoginProfile, GetUser). */
export interface LiveCredential {
  kind: CredentialKind
  /** The access key ID, or `password`. */
  id: string
  /** A key's Status is Active; a password exists (a login profile). */
  active: boolean
  createdAt: string
  /** Absent: never used, or not since IAM began tracking. */
  lastUsed?: string
  /** A login profile's setting (passwords only). */
  passwordResetRequired?: boolean
  /** An SSH key's or service-specific credential's service: its last use is the user's of that service. */
  service?: string
  /**
   * Nothing tells this credential's last use today (an SSH key or service-specific credential whose user's
   * Access Advisor report was not read in this sweep): it is left as it is.
   */
  unjudged?: true
}

/**
 * When IAM began recording each kind's last use, and spells it recorded nothing (IAM User Guide,
 * "Getting credential reports"): passwords from 20 Oct 2014, with no data 3 to 23 May 2018; access
 * keys from 22 Apr 2015.
 */
// An SSH key's or service credential's last use is its service's in Access Advisor, which covers the last
// 400 days (the longest window): no use there is no use within any window.
const TRACKING: Record<CredentialKind, { since: string; gaps: readonly (readonly [string, string])[] }> = {
  'ssh-key': { since: '', gaps: [] },
  'service-credential': { since: '', gaps: [] },
  password: {
    since: '2014-10-20T00:00:00.000Z',
    gaps: [['2018-05-03T00:00:00.000Z', '2018-05-24T00:00:00.000Z']],
  },
  'access-key': { since: '2015-04-22T00:00:00.000Z', gaps: [] },
}

export type Verdict =
  | { kind: 'used' }
  | { kind: 'unused'; since: string; reason: 'unused' | 'never-used' }
  | { kind: 'unknown'; why: string }

const DAY_MS = 86_400_000

/**
 * The time since which the credential has been quiet: the latest of its last use, its creation, and
 * `windowFrom` (a credential put back restarts its window whatever its last use). Its creation counts
 * even after a use: a user's password last use outlives a password removed and set anew.
 */
export function quietSince(credential: Omit<LiveCredential, 'id' | 'active'>, windowFrom?: string): string {
  return (
    [credential.createdAt, credential.lastUsed ?? '', windowFrom ?? ''].sort().at(-1) ?? credential.createdAt
  )
}

export function judge(
  credential: Omit<LiveCredential, 'id' | 'active'>,
  windowDays: number,
  now: Date,
  windowFrom?: string,
): Verdict {
  const since = quietSince(credential, windowFrom)
  if (Date.parse(since) > now.getTime() - windowDays * DAY_MS) return { kind: 'used' }
  const tracking = TRACKING[credential.kind]
  if (since < tracking.since)
    return { kind: 'unknown', why: `quiet since ${since.slice(0, 10)}, before IAM tracked its use` }
  const gap = tracking.gaps.find(([, end]) => since < end)
  if (gap)
    return {
      kind: 'unknown',
      why: `quiet since ${since.slice(0, 10)}, across IAM's gap in tracking (${gap[0].slice(0, 10)} to ${gap[1].slice(0, 10)})`,
    }
  const reason = since === credential.createdAt ? 'never-used' : 'unused'
  return { kind: 'unused', since, reason }
}

/** How the digest and the CLI name a credential. */
export function credentialLabel(credential: {
  kind: CredentialKind
  credentialId: string
  service?: string | undefined
}): string {
  switch (credential.kind) {
    case 'password':
      return 'password'
    case 'access-key':
      return `key ${credential.credentialId}`
    case 'ssh-key':
      return `SSH key ${credential.credentialId}`
    case 'service-credential':
      return `${credential.service ?? 'service'} credential ${credential.credentialId}`
  }
}

/**
 * The services whose service-specific credentials IAM issues, by the ServiceName IAM gives them, and the
 * service SSH public keys are for (CodeCommit).
 */
export const CREDENTIAL_SERVICES: Readonly<Record<string, string>> = {
  'codecommit.amazonaws.com': 'codecommit',
  'cassandra.amazonaws.com': 'cassandra',
  'bedrock.amazonaws.com': 'bedrock',
  'logs.amazonaws.com': 'logs',
}
export const SSH_KEY_SERVICE = 'codecommit'
