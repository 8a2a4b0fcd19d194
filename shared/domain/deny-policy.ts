import { PolicyLayoutError } from '../errors.js'
import {
  denyEntries,
  entriesOf,
  packEntries,
  SID_ACTIONS,
  SID_SELF_ON_OTHERS,
  SID_SERVICES,
} from './deny-entries.js'

/** IAM's own default; the account summary's PolicySizeQuota overrides it. */
export const DEFAULT_POLICY_SIZE = 6144

const SID_IAM_OTHERS = 'DenyUnusedIamOnOthers'
const SID_IAM_SELF = 'DenyUnusedIamOnSelfExceptOwnCredentials'
const SID_GUARD_POLICIES = 'ProtectTheProjectPolicies'
const SID_GUARD_ATTACHMENT = 'KeepTheProjectPoliciesWhereTheyAre'
const SID_GUARD_EXEMPTION = 'NoExemptionTags'
const SID_GUARD_BOUNDARY = 'NoProjectPolicyAsBoundary'
const SID_IAM_MFA_DEVICES = 'DenyUnusedIamOnMfaDevicesButNewOnes'
const SID_CREDENTIALS_MFA = 'NoCredentialChangesWithoutMfa'
const SID_MFA_ENROLMENT = 'NoMfaEnrolmentWithAccessKeysAlone'
const SID_MFA_ENROLMENT_VIA_SERVICE = 'NoMfaEnrolmentThroughAService'
const SID_IAM_UNNAMED = 'DenyUnusedIamToSessionsNamingNoUser'
/** The fixed statements' names, and those earlier versions of this project gave them. */
const FIXED_SIDS: ReadonlySet<string> = new Set([
  SID_IAM_SELF,
  SID_IAM_MFA_DEVICES,
  SID_CREDENTIALS_MFA,
  SID_MFA_ENROLMENT,
  SID_MFA_ENROLMENT_VIA_SERVICE,
  SID_IAM_UNNAMED,
  SID_GUARD_POLICIES,
  SID_GUARD_ATTACHMENT,
  SID_GUARD_BOUNDARY,
  SID_GUARD_EXEMPTION,
  'ProtectTheseDenyPolicies',
  'KeepTheseDenyPoliciesAttached',
  'NoSelfExemption',
])

/** Whose deny policies these are, and where they live: what the self-protection statements name. */
export interface PolicyTarget {
  userArn: string
  /** The owner's UserId: the policies are named after it (see policy-naming.ts). */
  userId: string
  policyPath: string
  policyNamePrefix: string
  /** Tag keys that exempt a user: the user may never set or remove them on themselves. */
  exemptTagKeys: readonly string[]
}

/** Every change to a managed policy that could weaken or remove it, and taking one of its names first. */
const POLICY_CHANGES = [
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
]

/** Putting a policy on a principal or taking it off. */
const ATTACHMENT_CHANGES = [
  'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachUserPolicy',
  'iam:DetachGroupPolicy',
  'iam:DetachRolePolicy',
  'iam:DetachUserPolicy',
]

/** Setting a permissions boundary, on an existing principal or a new one. */
const BOUNDARY_CHANGES = [
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:PutRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
]

/**
 * What a user may still do to their own user and MFA resources when `iam` is denied: AWS's documented
 * self-management set, so that a password change at expiry, an access key rotation or an MFA reset works.
 * Attaching or editing policies on oneself is not in it.
 */
export const SELF_SERVICE_ACTIONS: readonly string[] = [
  'iam:*AccessKey*',
  'iam:*LoginProfile',
  'iam:*MFADevice*',
  'iam:*SSHPublicKey*',
  'iam:*ServiceSpecificCredential*',
  'iam:*SigningCertificate*',
  'iam:ChangePassword',
  'iam:GetUser',
]

const SELF_SERVICE_PATTERNS = SELF_SERVICE_ACTIONS.map(
  (p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i'),
)

/** Whether an action key (`iam:CreateAccessKey`) is in the self-service carve-out: never denied alone. */
export function isSelfService(key: string): boolean {
  return SELF_SERVICE_PATTERNS.some((p) => p.test(key))
}

export interface RenderedPart {
  /** 1-based part number; part 1 also carries the `iam` statements. */
  part: number
  /** The deny keys (services and actions, see actions/keys.ts) the part denies. */
  services: string[]
  document: string
}

export interface Statement {
  Sid: string
  Effect: 'Deny'
  Action?: string | string[]
  NotAction?: string[]
  Resource?: string | string[]
  NotResource?: string[]
  Condition?: Record<string, Record<string, string | string[]>>
}

/** Characters IAM counts against the size quota: everything but white space. */
export function policySize(document: string): number {
  return document.replace(/\s/g, '').length
}

/**
 * Renders the deny set into as few documents as fit the size quota, packing entries in sorted order.
 * Part 1 also denies the user every way of detaching or altering the project's policies, whatever else
 * they may do in IAM. The output is a pure function of its input, so an unchanged deny set renders to
 * identical text and "unchanged" is a string comparison with the live default version.
 */
export function renderDenyPolicies(
  deny: readonly string[],
  target: PolicyTarget,
  maxSize: number = DEFAULT_POLICY_SIZE,
): RenderedPart[] {
  if (deny.length === 0) return []
  const iamStatements = deny.includes('iam') ? iamDenyStatements(target.userArn) : []
  const fixed = [...iamStatements, ...guardStatements(target)]
  const layout = { maxSize, own: [...ownUserResources(target.userArn), mfaDevices(target.userArn)] }
  const { entries, iam } = denyEntries(deny)
  const parts = packEntries(entries, fixed, layout).map((p, i) => ({
    part: i + 1,
    services: p.keys,
    document: p.document,
  }))
  parts[0]?.services.unshift(...iam)
  return parts
}

/**
 * Reads back the keys a document rendered by this project denies. Returns undefined when the text is
 * not one of ours (edited by hand, or not JSON): the caller then treats the policy as needing a rewrite.
 */
export function deniedServicesOf(document: string): string[] | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(document)
  } catch {
    return undefined
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.Statement)) return undefined
  const keys: string[] = []
  for (const statement of parsed.Statement) {
    // Ours deny, and only deny: a statement that allows anything was written by someone else.
    if (!isRecord(statement) || statement.Effect !== 'Deny') return undefined
    if ([SID_SERVICES, SID_ACTIONS, SID_SELF_ON_OTHERS].includes(String(statement.Sid))) {
      const read = entriesOf(statement.Action, statement.Sid === SID_SERVICES ? 'service' : 'action')
      if (!read) return undefined
      keys.push(...read)
    } else if (statement.Sid === SID_IAM_OTHERS) {
      keys.push('iam')
    } else if (!FIXED_SIDS.has(String(statement.Sid))) {
      return undefined
    }
  }
  return [...new Set(keys)].sort()
}

/**
 * What the user may do to their own user without MFA present: read, change the password (which asks for
 * the old one), enrol or resync an MFA device, and delete a credential (harm, never hold). Anything else
 * the self-service set allows (a new or reactivated key, a console password, a credential reset, the
 * user's MFA taken away, and any action AWS adds under those names) needs MFA present, so whoever holds
 * only the user's access keys cannot keep or widen their hold. `BoolIfExists`, as in AWS's MFA
 * self-management example: absent, as with plain keys, counts as not present.
 */
export const WITHOUT_MFA_ACTIONS: readonly string[] = [
  'iam:ChangePassword',
  'iam:DeleteAccessKey',
  'iam:DeleteSSHPublicKey',
  'iam:DeleteServiceSpecificCredential',
  'iam:DeleteSigningCertificate',
  'iam:EnableMFADevice',
  'iam:Get*',
  'iam:List*',
  'iam:ResyncMFADevice',
]

/**
 * Enrolling an MFA device, refused to a request signed with long-term access keys (IAM leaves
 * `aws:MultiFactorAuthPresent` out of those alone) and to one a service makes on the user's behalf: a key
 * thief who enrolled a device of their own would then hold MFA and pass every MFA check. A user enrols
 * their first device in the console, whose session carries the key (false, before any device); one who
 * has a device signs in with it. A session from GetSessionToken without MFA cannot call IAM at all, and
 * one from GetFederationToken carries no `aws:username` (SID_IAM_UNNAMED), so neither is a way around.
 */
const MFA_ENROLMENT: readonly string[] = ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice']

/**
 * The user a request acts as, named by the `${aws:username}` variable rather than by a name rendered into
 * the policy: right after a rename, a new user given the old name is not the renamed user's to manage.
 * Users with a path match the second pattern; IAM user names are unique whatever the path.
 */
export function ownUserResources(userArn: string): string[] {
  const match = /^arn:([^:]+):iam::(\d{12}):user\//.exec(userArn)
  if (!match) throw new PolicyLayoutError(`not an IAM user ARN: ${userArn}`)
  const [, partition, account] = match
  const users = `arn:${partition}:iam::${account}:user`
  return [`${users}/\${aws:username}`, `${users}/*/\${aws:username}`]
}

/** Any name: a user names their new virtual MFA device as they like (AWS's own example allows mfa/*). */
function mfaDevices(userArn: string): string {
  const [, partition, , , account] = userArn.split(':')
  return `arn:${partition}:iam::${account}:mfa/*`
}

function iamDenyStatements(userArn: string): Statement[] {
  const own = ownUserResources(userArn)
  const devices = mfaDevices(userArn)
  return [
    { Sid: SID_IAM_OTHERS, Effect: 'Deny', Action: 'iam:*', NotResource: [...own, devices] },
    {
      Sid: SID_IAM_MFA_DEVICES,
      Effect: 'Deny',
      NotAction: ['iam:CreateVirtualMFADevice'],
      Resource: devices,
    },
    { Sid: SID_IAM_SELF, Effect: 'Deny', NotAction: [...SELF_SERVICE_ACTIONS], Resource: own },
    {
      Sid: SID_CREDENTIALS_MFA,
      Effect: 'Deny',
      NotAction: [...WITHOUT_MFA_ACTIONS],
      Resource: own,
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
    {
      Sid: SID_MFA_ENROLMENT,
      Effect: 'Deny',
      Action: [...MFA_ENROLMENT],
      Resource: '*',
      Condition: { Null: { 'aws:MultiFactorAuthPresent': 'true' } },
    },
    {
      Sid: SID_MFA_ENROLMENT_VIA_SERVICE,
      Effect: 'Deny',
      Action: [...MFA_ENROLMENT],
      Resource: '*',
      Condition: { Bool: { 'aws:ViaAWSService': 'true' } },
    },
    // A session that names no user (GetFederationToken's, opened in the console) leaves the statements
    // above that name `${aws:username}` unable to match: IAM is closed to it outright.
    {
      Sid: SID_IAM_UNNAMED,
      Effect: 'Deny',
      Action: 'iam:*',
      Resource: '*',
      Condition: { Null: { 'aws:username': 'true' } },
    },
  ]
}

/**
 * Statements that hold whatever else the user may do in IAM. The user cannot create, alter, attach or
 * detach any policy of the project (under its path, or with its name prefix anywhere, so a name cannot be
 * taken first), nor set or remove an exemption tag on any user (a self-granted exemption would lift every
 * deny at the next sweep). None of it names the user's own ARN, so a rename does not switch it off. Tag
 * keys are compared ignoring case, so no spelling slips past. Only the spoke role manages these.
 */
function guardStatements(target: PolicyTarget): Statement[] {
  const [, partition, , , account] = target.userArn.split(':')
  const iam = `arn:${partition}:iam::${account}`
  const policies = `${iam}:policy${target.policyPath}`
  const exemptKeys = [...new Set(target.exemptTagKeys)].sort()
  return [
    {
      Sid: SID_GUARD_POLICIES,
      Effect: 'Deny',
      Action: POLICY_CHANGES,
      Resource: [`${policies}*`, `${iam}:policy/*${target.policyNamePrefix}.*`],
    },
    {
      Sid: SID_GUARD_ATTACHMENT,
      Effect: 'Deny',
      Action: ATTACHMENT_CHANGES,
      Resource: '*',
      Condition: { ArnLike: { 'iam:PolicyARN': `${policies}*` } },
    },
    {
      // As a boundary, a policy of ours would lock its principal out and could no longer be deleted.
      Sid: SID_GUARD_BOUNDARY,
      Effect: 'Deny',
      Action: BOUNDARY_CHANGES,
      Resource: '*',
      Condition: { ArnLike: { 'iam:PermissionsBoundary': `${policies}*` } },
    },
    ...(exemptKeys.length === 0
      ? []
      : [
          {
            Sid: SID_GUARD_EXEMPTION,
            Effect: 'Deny' as const,
            Action: ['iam:CreateUser', 'iam:TagUser', 'iam:UntagUser'],
            Resource: `${iam}:user/*`,
            Condition: { 'ForAnyValue:StringEqualsIgnoreCase': { 'aws:TagKeys': exemptKeys } },
          },
        ]),
  ]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
