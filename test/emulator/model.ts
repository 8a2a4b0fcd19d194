/** In-memory state of the emulated organization. */

export interface Tag {
  Key: string
  Value: string
}

export interface EmPolicyVersion {
  VersionId: string
  Document: string
  IsDefaultVersion: boolean
  CreateDate: Date
}

export interface EmPolicy {
  arn: string
  name: string
  id: string
  path: string
  description?: string | undefined
  tags: Tag[]
  versions: EmPolicyVersion[]
  nextVersion: number
  createDate: Date
  updateDate: Date
}

export interface EmUser {
  name: string
  id: string
  arn: string
  path: string
  createDate: Date
  tags: Tag[]
  attached: string[]
  inline: { name: string; document: string }[]
  groups: string[]
  /** When each service was last used; absent means not used within the tracking period. */
  lastUsed: Record<string, Date>
  accessKeys: EmAccessKey[]
  /** SSH public keys (CodeCommit) and service-specific credentials: no last use of their own in IAM. */
  sshKeys: { id: string; status: 'Active' | 'Inactive'; uploadDate: Date }[]
  serviceCredentials: { id: string; serviceName: string; status: 'Active' | 'Inactive'; createDate: Date }[]
  /** The console password, when the user has one. */
  loginProfile?: { createDate: Date; passwordResetRequired: boolean } | undefined
  passwordLastUsed?: Date | undefined
  /** Access Advisor jobs for this user fail. */
  accessAdvisorFails: boolean
  /** Namespaces the user's Access Advisor report lists verbatim after the granted ones (malformed replies). */
  accessAdvisorOddRows: string[]
}

export interface EmAccessKey {
  id: string
  status: 'Active' | 'Inactive'
  createDate: Date
  lastUsed?: { at: Date; region: string; service: string } | undefined
}

export interface EmGroup {
  name: string
  attached: string[]
  inline: { name: string; document: string }[]
}

export interface EmJob {
  id: string
  principalArn: string
  createdAt: number
  completesAt: number
  fails: boolean
  /** Asked with Granularity ACTION_LEVEL: rows carry their tracked actions. */
  actionLevel: boolean
}

export interface EmAccount {
  id: string
  name: string
  email: string
  /** ACTIVE, SUSPENDED, ...: Organizations' view of the account. */
  state: string
  users: Map<string, EmUser>
  groups: Map<string, EmGroup>
  policies: Map<string, EmPolicy>
  jobs: Map<string, EmJob>
  attachedPoliciesPerUserQuota: number
  /** Customer-managed policies the account may hold (IAM's default: 1,500). */
  policiesQuota: number
  /** Whether the spoke role exists (AssumeRole into it succeeds). */
  spokeRole: boolean
  /** Organizations reports only the legacy `Status` field for this account. */
  legacyStatusOnly: boolean
  /** The credential report IAM made last (at most one every 4 hours), as of when it was made. */
  credentialReport?: { generatedAt: Date; content: string } | undefined
  /** GetAccountAuthorizationDetails leaves PolicyName out of policy details (a partial reply). */
  omitPolicyNames: boolean
}

export interface EmState {
  managementAccountId: string
  accounts: Map<string, EmAccount>
  /** AWS managed policies, shared by every account. */
  awsPolicies: Map<string, EmPolicy>
  /** Secrets Manager secrets by ARN (string values). */
  secrets: Map<string, string>
}

export function findPolicy(state: EmState, account: EmAccount, arn: string): EmPolicy | undefined {
  return account.policies.get(arn) ?? state.awsPolicies.get(arn)
}

export function attachmentCount(account: EmAccount, arn: string): number {
  let n = 0
  for (const u of account.users.values()) if (u.attached.includes(arn)) n++
  for (const g of account.groups.values()) if (g.attached.includes(arn)) n++
  return n
}
