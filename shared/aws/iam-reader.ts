import { createHash } from 'node:crypto'
import {
  GetAccountSummaryCommand,
  type GroupDetail,
  type IAMClient,
  type ManagedPolicyDetail,
  paginateGetAccountAuthorizationDetails,
  paginateListEntitiesForPolicy,
  type UserDetail,
} from '@aws-sdk/client-iam'
import { DEFAULT_POLICY_SIZE } from '../domain/deny-policy.js'
import { pathAndNameOf } from '../domain/policy-naming.js'
import type { AccountQuotas, IamUser, ManagedPolicy } from '../domain/types.js'
import { UnexpectedReplyError } from '../errors.js'
import { endingPages } from './paging.js'

export interface AccountSnapshot {
  users: IamUser[]
  /**
   * Customer-managed policies that could be ours or pose as ours: every one under the project's path,
   * whatever its name, and every one whose name starts with the prefix, whatever its path.
   */
  candidatePolicies: ManagedPolicy[]
}

/**
 * Reads every user (tags, attached policies) and the customer-managed policies that could be ours, in
 * one paginated GetAccountAuthorizationDetails call: no per-user listing calls, and the live documents
 * of our policies come with it.
 */
export async function readAccountSnapshot(
  iam: IAMClient,
  policyNamePrefix: string,
  policyPath: string,
): Promise<AccountSnapshot> {
  const details: UserDetail[] = []
  const groups = new Map<string, GroupDetail>()
  const defaultVersions = new Map<string, string>()
  const candidatePolicies: ManagedPolicy[] = []
  const prefix = policyNamePrefix.toLowerCase()
  const pages = paginateGetAccountAuthorizationDetails(
    { client: iam, pageSize: 1000 },
    { Filter: ['User', 'Group', 'LocalManagedPolicy'] },
  )
  for await (const page of endingPages(pages, (p) => p.Marker, 'GetAccountAuthorizationDetails')) {
    details.push(...(page.UserDetailList ?? []))
    for (const group of page.GroupDetailList ?? []) if (group.GroupName) groups.set(group.GroupName, group)
    for (const detail of page.Policies ?? []) {
      const policy = toPolicy(detail)
      if (detail.DefaultVersionId) defaultVersions.set(policy.arn, detail.DefaultVersionId)
      if (policy.path === policyPath || policy.name.toLowerCase().startsWith(prefix))
        candidatePolicies.push(policy)
    }
  }
  const grants = { groups, defaultVersions, policyPath }
  return { users: details.map((d) => toUser(d, grantsDigestOf(d, grants))), candidatePolicies }
}

/**
 * What grants a user permissions, as one digest. Customer-managed policies count with their default
 * version; AWS managed ones by ARN only (their versions are not read), so an update AWS makes to one is
 * seen at the next periodic read. The project's own policies (under its path) are left out: writing
 * them must not look like a change of grants.
 */
function grantsDigestOf(
  user: UserDetail,
  grants: {
    groups: ReadonlyMap<string, GroupDetail>
    defaultVersions: ReadonlyMap<string, string>
    policyPath: string
  },
): string {
  const managed = (arns: readonly { PolicyArn?: string | undefined }[] | undefined) =>
    (arns ?? []).flatMap(({ PolicyArn }) =>
      PolicyArn && pathAndNameOf(PolicyArn)?.path !== grants.policyPath
        ? [`managed ${PolicyArn}@${grants.defaultVersions.get(PolicyArn) ?? 'aws'}`]
        : [],
    )
  const inline = (
    kind: string,
    list: readonly { PolicyName?: string | undefined; PolicyDocument?: string | undefined }[] | undefined,
  ) => (list ?? []).map((p) => `${kind} ${p.PolicyName} ${decodePolicyDocument(p.PolicyDocument ?? '')}`)
  const entries = [
    ...inline('inline', user.UserPolicyList),
    ...managed(user.AttachedManagedPolicies),
    `boundary ${user.PermissionsBoundary?.PermissionsBoundaryArn ?? ''}`,
    ...(user.GroupList ?? []).flatMap((name) => {
      const group = grants.groups.get(name)
      return [
        `group ${name}`,
        ...inline(`group ${name} inline`, group?.GroupPolicyList),
        ...managed(group?.AttachedManagedPolicies).map((m) => `group ${name} ${m}`),
      ]
    }),
  ].sort()
  return createHash('sha256').update(entries.join('\n')).digest('hex').slice(0, 32)
}

/** Reads the account's real limits; IAM's documented defaults stand in for any key the reply leaves out. */
export async function readQuotas(iam: IAMClient): Promise<AccountQuotas> {
  const reply = await iam.send(new GetAccountSummaryCommand({}))
  const map = reply.SummaryMap
  if (!map) throw new UnexpectedReplyError('GetAccountSummary returned no SummaryMap')
  return {
    attachedPoliciesPerUser: map.AttachedPoliciesPerUserQuota ?? 10,
    versionsPerPolicy: map.VersionsPerPolicyQuota ?? 5,
    policySize: map.PolicySizeQuota ?? DEFAULT_POLICY_SIZE,
    policiesQuota: map.PoliciesQuota ?? 1500,
    // Unknown use is taken as full: missing data never lets a sweep create more than it knows fits.
    policiesInUse: map.Policies ?? map.PoliciesQuota ?? 1500,
  }
}

/** IAM returns policy documents URL-encoded; compact JSON makes "unchanged" a string comparison. */
export function decodePolicyDocument(encoded: string): string {
  const text = decodeURIComponent(encoded)
  try {
    return JSON.stringify(JSON.parse(text))
  } catch {
    return text
  }
}

function toUser(detail: UserDetail, grantsDigest: string): IamUser {
  const { UserName, UserId, Arn, CreateDate } = detail
  if (!UserName || !UserId || !Arn || !CreateDate) {
    throw new UnexpectedReplyError(
      `GetAccountAuthorizationDetails returned a user without name, id, ARN or date`,
    )
  }
  return {
    name: UserName,
    id: UserId,
    arn: Arn,
    path: detail.Path ?? '/',
    createDate: CreateDate,
    tags: Object.fromEntries((detail.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    attachedPolicyArns: (detail.AttachedManagedPolicies ?? []).flatMap((p) =>
      p.PolicyArn ? [p.PolicyArn] : [],
    ),
    grantsDigest,
  }
}

/** The ARN is the policy's identity: path and name come from it, whatever other fields say or omit. */
function toPolicy(detail: ManagedPolicyDetail): ManagedPolicy {
  const { Arn } = detail
  const where = Arn ? pathAndNameOf(Arn) : undefined
  if (!Arn || !where)
    throw new UnexpectedReplyError(
      `GetAccountAuthorizationDetails returned a policy without a valid ARN: ${String(Arn)}`,
    )
  return {
    arn: Arn,
    ...where,
    ...(detail.AttachmentCount === undefined ? {} : { attachmentCount: detail.AttachmentCount }),
    versions: (detail.PolicyVersionList ?? []).map((v) => {
      if (!v.VersionId || v.Document === undefined || !v.CreateDate) {
        throw new UnexpectedReplyError(`policy ${Arn} has a version without id, document or date`)
      }
      return {
        versionId: v.VersionId,
        isDefault: v.IsDefaultVersion === true,
        createDate: v.CreateDate,
        document: decodePolicyDocument(v.Document),
      }
    }),
  }
}

/** Every user, group and role a managed policy is attached to. */
export async function policyHolders(
  iam: IAMClient,
  policyArn: string,
): Promise<{ users: string[]; groups: string[]; roles: string[] }> {
  const holders = { users: [] as string[], groups: [] as string[], roles: [] as string[] }
  const pages = paginateListEntitiesForPolicy({ client: iam }, { PolicyArn: policyArn })
  for await (const page of endingPages(pages, (p) => p.Marker, 'ListEntitiesForPolicy')) {
    holders.users.push(...(page.PolicyUsers ?? []).flatMap((u) => (u.UserName ? [u.UserName] : [])))
    holders.groups.push(...(page.PolicyGroups ?? []).flatMap((g) => (g.GroupName ? [g.GroupName] : [])))
    holders.roles.push(...(page.PolicyRoles ?? []).flatMap((r) => (r.RoleName ? [r.RoleName] : [])))
  }
  return holders
}
