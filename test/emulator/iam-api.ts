/** The IAM actions the emulator serves, with AWS's limits and error codes. */
import { randomUUID } from 'node:crypto'
import { CATALOG } from '../../shared/domain/actions/catalog.js'
import { credentialHandlers } from './credentials-api.js'
import { grantedServices, type ServiceCatalog } from './grants.js'
import {
  attachmentCount,
  type EmAccount,
  type EmGroup,
  type EmPolicy,
  type EmState,
  type EmUser,
  findPolicy,
} from './model.js'
import { AwsFault, memberList, type Params, page, required, tagList, XmlMap } from './wire.js'

export const POLICY_SIZE_QUOTA = 6144
export const VERSIONS_PER_POLICY_QUOTA = 5
const NAME = /^[\w+=,.@-]{1,128}$/
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/

export interface IamContext {
  state: EmState
  account: EmAccount
  catalog: ServiceCatalog
  now: () => Date
  accessAdvisorLatencyMs: number
  hideDeniedServices: boolean
}

export type Handler = (ctx: IamContext, p: Params) => object | undefined

export function user(ctx: IamContext, name: string): EmUser {
  const u = ctx.account.users.get(name.toLowerCase())
  if (!u) throw new AwsFault('NoSuchEntity', `The user with name ${name} cannot be found.`)
  return u
}

/** The user an ARN names, by the name at its end: a lookup, not a scan of the account's users. */
function userByArn(ctx: IamContext, arn: string): EmUser | undefined {
  const u = ctx.account.users.get((arn.split('/').pop() ?? '').toLowerCase())
  return u?.arn === arn ? u : undefined
}

function customerPolicy(ctx: IamContext, arn: string): EmPolicy {
  const p = ctx.account.policies.get(arn)
  if (!p) throw new AwsFault('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`)
  return p
}

function anyPolicy(ctx: IamContext, arn: string): EmPolicy {
  const p = findPolicy(ctx.state, ctx.account, arn)
  if (!p) throw new AwsFault('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`)
  return p
}

/** The checks IAM makes on a managed policy document, in its order. */
export function validateDocument(document: string): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(document)
  } catch {
    throw new AwsFault('MalformedPolicyDocument', 'Syntax errors in policy.')
  }
  const statements = (parsed as { Statement?: unknown }).Statement
  const list = Array.isArray(statements) ? statements : statements ? [statements] : []
  if (list.length === 0)
    throw new AwsFault('MalformedPolicyDocument', 'Policy statement must contain a Statement.')
  for (const s of list as Record<string, unknown>[]) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new AwsFault('MalformedPolicyDocument', 'Invalid effect.')
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new AwsFault('MalformedPolicyDocument', 'Policy statement must contain actions.')
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new AwsFault('MalformedPolicyDocument', 'Policy statement must contain resources.')
    }
  }
  const size = document.replace(/\s/g, '').length
  if (size > POLICY_SIZE_QUOTA) {
    throw new AwsFault('LimitExceeded', `Cannot exceed quota for PolicySize: ${POLICY_SIZE_QUOTA}`)
  }
}

function policyView(ctx: IamContext, p: EmPolicy) {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.versions.find((v) => v.IsDefaultVersion)?.VersionId,
    AttachmentCount: attachmentCount(ctx.account, p.arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description,
    CreateDate: p.createDate,
    UpdateDate: p.updateDate,
    Tags: p.tags.length > 0 ? p.tags : undefined,
  }
}

function versionView(v: EmPolicy['versions'][number], withDocument: boolean) {
  return {
    Document: withDocument ? encodeURIComponent(v.Document) : undefined,
    VersionId: v.VersionId,
    IsDefaultVersion: v.IsDefaultVersion,
    CreateDate: v.CreateDate,
  }
}

function userDocuments(ctx: IamContext, u: EmUser): string[] {
  const docs: string[] = []
  const defaultDoc = (arn: string) =>
    findPolicy(ctx.state, ctx.account, arn)?.versions.find((v) => v.IsDefaultVersion)?.Document
  for (const arn of u.attached) docs.push(defaultDoc(arn) ?? '{}')
  for (const i of u.inline) docs.push(i.document)
  for (const g of u.groups) {
    const group = ctx.account.groups.get(g.toLowerCase())
    for (const arn of group?.attached ?? []) docs.push(defaultDoc(arn) ?? '{}')
    for (const i of group?.inline ?? []) docs.push(i.document)
  }
  return docs
}

const handlers: Record<string, Handler> = {
  GetAccountSummary: (ctx) => {
    const policies = ctx.account.policies.size
    return {
      SummaryMap: new XmlMap({
        Users: ctx.account.users.size,
        UsersQuota: 5000,
        Groups: ctx.account.groups.size,
        Policies: policies,
        PoliciesQuota: ctx.account.policiesQuota,
        PolicySizeQuota: POLICY_SIZE_QUOTA,
        PolicyVersionsInUse: [...ctx.account.policies.values()].reduce((n, p) => n + p.versions.length, 0),
        VersionsPerPolicyQuota: VERSIONS_PER_POLICY_QUOTA,
        AttachedPoliciesPerUserQuota: ctx.account.attachedPoliciesPerUserQuota,
        AttachedPoliciesPerGroupQuota: 10,
        AttachedPoliciesPerRoleQuota: 10,
      }),
    }
  },

  GetAccountAuthorizationDetails: (ctx, p) => {
    const filter = memberList(p, 'Filter')
    const wants = (f: string) => filter.length === 0 || filter.includes(f)
    type Item = { kind: 'user'; u: EmUser } | { kind: 'group'; g: EmGroup } | { kind: 'policy'; p: EmPolicy }
    const items: Item[] = []
    if (wants('User')) for (const u of ctx.account.users.values()) items.push({ kind: 'user', u })
    if (wants('Group')) for (const g of ctx.account.groups.values()) items.push({ kind: 'group', g })
    if (wants('LocalManagedPolicy'))
      for (const pol of ctx.account.policies.values()) items.push({ kind: 'policy', p: pol })
    const pg = page(items, p)
    const users = pg.items.flatMap((i) => (i.kind === 'user' ? [i.u] : []))
    const policies = pg.items.flatMap((i) => (i.kind === 'policy' ? [i.p] : []))
    const groups = pg.items.flatMap((i) => (i.kind === 'group' ? [i.g] : []))
    return {
      UserDetailList: users.map((u) => ({
        Path: u.path,
        UserName: u.name,
        UserId: u.id,
        Arn: u.arn,
        CreateDate: u.createDate,
        UserPolicyList: u.inline.map((i) => ({
          PolicyName: i.name,
          PolicyDocument: encodeURIComponent(i.document),
        })),
        GroupList: u.groups,
        AttachedManagedPolicies: u.attached.map((arn) => ({
          PolicyName: arn.split('/').pop(),
          PolicyArn: arn,
        })),
        Tags: u.tags,
      })),
      GroupDetailList: groups.map((g) => ({
        GroupName: g.name,
        Arn: `arn:aws:iam::${ctx.account.id}:group/${g.name}`,
        GroupPolicyList: g.inline.map((i) => ({
          PolicyName: i.name,
          PolicyDocument: encodeURIComponent(i.document),
        })),
        AttachedManagedPolicies: g.attached.map((arn) => ({
          PolicyName: arn.split('/').pop(),
          PolicyArn: arn,
        })),
      })),
      RoleDetailList: [],
      Policies: policies.map((pol) => {
        const { Tags: _tags, Description: _d, PolicyName, ...view } = policyView(ctx, pol)
        if (!ctx.account.omitPolicyNames) Object.assign(view, { PolicyName })
        return { ...view, PolicyVersionList: pol.versions.map((v) => versionView(v, true)) }
      }),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    }
  },

  GenerateServiceLastAccessedDetails: (ctx, p) => {
    const arn = required(p, 'Arn')
    const u = userByArn(ctx, arn)
    if (!u) throw new AwsFault('NoSuchEntity', `The entity ${arn} does not exist.`)
    const id = randomUUID()
    const created = Date.now()
    ctx.account.jobs.set(id, {
      id,
      principalArn: arn,
      createdAt: created,
      completesAt: created + ctx.accessAdvisorLatencyMs,
      fails: u.accessAdvisorFails,
      actionLevel: p.get('Granularity') === 'ACTION_LEVEL',
    })
    return { JobId: id }
  },

  GetServiceLastAccessedDetails: (ctx, p) => {
    const job = ctx.account.jobs.get(required(p, 'JobId'))
    if (!job) throw new AwsFault('NoSuchEntity', 'The job does not exist.')
    const base = {
      JobType: job.actionLevel ? 'ACTION_LEVEL' : 'SERVICE_LEVEL',
      JobCreationDate: new Date(job.createdAt),
    }
    if (Date.now() < job.completesAt) return { ...base, JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] }
    if (job.fails) {
      return {
        ...base,
        JobStatus: 'FAILED',
        JobCompletionDate: new Date(job.completesAt),
        ServicesLastAccessed: [],
        Error: { Message: 'Failed to generate the report', Code: 'ServiceFailure' },
      }
    }
    const u = userByArn(ctx, job.principalArn)
    if (!u) throw new AwsFault('NoSuchEntity', 'The entity of this job no longer exists.')
    const granted = grantedServices(userDocuments(ctx, u), ctx.catalog.namespaces, ctx.hideDeniedServices)
    // A report row a broken or forged reply might carry, verbatim (the seed's `accessAdvisorOddRows`).
    const rows = [...[...granted].sort(), ...u.accessAdvisorOddRows].map((ns) => {
      const last = serviceLastUsed(u.lastUsed, ns)
      return {
        ServiceName: ctx.catalog.names.get(ns) ?? ns,
        ServiceNamespace: ns,
        LastAuthenticated: last,
        LastAuthenticatedEntity: last ? u.arn : undefined,
        LastAuthenticatedRegion: last ? 'us-east-1' : undefined,
        TotalAuthenticatedEntities: last ? 1 : 0,
        ...(job.actionLevel ? trackedActionsOf(u.lastUsed, ns, u.arn) : {}),
      }
    })
    const pg = page(rows, p)
    return {
      ...base,
      JobStatus: 'COMPLETED',
      JobCompletionDate: new Date(job.completesAt),
      ServicesLastAccessed: pg.items,
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    }
  },

  CreatePolicy: (ctx, p) => {
    const name = required(p, 'PolicyName')
    const path = p.get('Path') ?? '/'
    if (!NAME.test(name))
      throw new AwsFault('ValidationError', `The specified value for policyName is invalid.`)
    if (!PATH.test(path) || path.length > 512)
      throw new AwsFault('ValidationError', 'The specified value for path is invalid.')
    const document = required(p, 'PolicyDocument')
    if ([...ctx.account.policies.values()].some((x) => x.name.toLowerCase() === name.toLowerCase())) {
      throw new AwsFault(
        'EntityAlreadyExists',
        `A policy called ${name} already exists. Duplicate names are not allowed.`,
      )
    }
    validateDocument(document)
    if (ctx.account.policies.size >= ctx.account.policiesQuota) {
      throw new AwsFault(
        'LimitExceeded',
        `Cannot exceed quota for PoliciesPerAccount: ${ctx.account.policiesQuota}`,
        409,
      )
    }
    const now = ctx.now()
    const arn = `arn:aws:iam::${ctx.account.id}:policy${path}${name}`
    const policy: EmPolicy = {
      arn,
      name,
      id: `ANPA${randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()}`,
      path,
      description: p.get('Description') ?? undefined,
      tags: tagList(p),
      versions: [{ VersionId: 'v1', Document: document, IsDefaultVersion: true, CreateDate: now }],
      nextVersion: 2,
      createDate: now,
      updateDate: now,
    }
    ctx.account.policies.set(arn, policy)
    return { Policy: policyView(ctx, policy) }
  },

  GetPolicy: (ctx, p) => ({ Policy: policyView(ctx, anyPolicy(ctx, required(p, 'PolicyArn'))) }),

  GetPolicyVersion: (ctx, p) => {
    const policy = anyPolicy(ctx, required(p, 'PolicyArn'))
    const id = required(p, 'VersionId')
    const v = policy.versions.find((x) => x.VersionId === id)
    if (!v) throw new AwsFault('NoSuchEntity', `Policy ${policy.arn} version ${id} does not exist.`)
    return { PolicyVersion: versionView(v, true) }
  },

  ListPolicyVersions: (ctx, p) => {
    const policy = anyPolicy(ctx, required(p, 'PolicyArn'))
    const pg = page([...policy.versions].reverse(), p)
    return {
      Versions: pg.items.map((v) => versionView(v, false)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    }
  },

  CreatePolicyVersion: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    const document = required(p, 'PolicyDocument')
    if (policy.versions.length >= VERSIONS_PER_POLICY_QUOTA) {
      throw new AwsFault(
        'LimitExceeded',
        `A managed policy can have up to ${VERSIONS_PER_POLICY_QUOTA} versions. Before you create a new version, you must delete an existing version.`,
      )
    }
    validateDocument(document)
    const now = ctx.now()
    const setDefault = p.get('SetAsDefault') === 'true'
    const version = {
      VersionId: `v${policy.nextVersion++}`,
      Document: document,
      IsDefaultVersion: setDefault,
      CreateDate: now,
    }
    if (setDefault) for (const v of policy.versions) v.IsDefaultVersion = false
    policy.versions.push(version)
    policy.updateDate = now
    return { PolicyVersion: versionView(version, false) }
  },

  SetDefaultPolicyVersion: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    const id = required(p, 'VersionId')
    if (!policy.versions.some((v) => v.VersionId === id))
      throw new AwsFault('NoSuchEntity', `Version ${id} does not exist.`)
    for (const v of policy.versions) v.IsDefaultVersion = v.VersionId === id
    return undefined
  },

  DeletePolicyVersion: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    const id = required(p, 'VersionId')
    const v = policy.versions.find((x) => x.VersionId === id)
    if (!v) throw new AwsFault('NoSuchEntity', `Policy ${policy.arn} version ${id} does not exist.`)
    if (v.IsDefaultVersion)
      throw new AwsFault('DeleteConflict', 'Cannot delete the default version of a policy.')
    policy.versions = policy.versions.filter((x) => x !== v)
    return undefined
  },

  DeletePolicy: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    if (attachmentCount(ctx.account, policy.arn) > 0) {
      throw new AwsFault('DeleteConflict', 'Cannot delete a policy attached to entities.')
    }
    if (policy.versions.length > 1)
      throw new AwsFault(
        'DeleteConflict',
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      )
    ctx.account.policies.delete(policy.arn)
    return undefined
  },

  AttachUserPolicy: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const policy = anyPolicy(ctx, required(p, 'PolicyArn'))
    if (u.attached.includes(policy.arn)) return undefined
    if (u.attached.length >= ctx.account.attachedPoliciesPerUserQuota) {
      throw new AwsFault(
        'LimitExceeded',
        `Cannot exceed quota for PoliciesPerUser: ${ctx.account.attachedPoliciesPerUserQuota}`,
      )
    }
    u.attached.push(policy.arn)
    return undefined
  },

  DetachUserPolicy: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const arn = required(p, 'PolicyArn')
    if (!u.attached.includes(arn)) throw new AwsFault('NoSuchEntity', `Policy ${arn} was not found.`)
    u.attached = u.attached.filter((a) => a !== arn)
    return undefined
  },

  ListAttachedUserPolicies: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const prefix = p.get('PathPrefix') ?? '/'
    const attached = u.attached
      .map((arn) => anyPolicy(ctx, arn))
      .filter((pol) => pol.path.startsWith(prefix))
      .map((pol) => ({ PolicyName: pol.name, PolicyArn: pol.arn }))
    const pg = page(attached, p)
    return { AttachedPolicies: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker }
  },

  ListUsers: (ctx, p) => {
    const pg = page([...ctx.account.users.values()], p)
    return {
      Users: pg.items.map((u) => ({
        Path: u.path,
        UserName: u.name,
        UserId: u.id,
        Arn: u.arn,
        CreateDate: u.createDate,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    }
  },

  CreateUser: (ctx, p) => {
    const name = required(p, 'UserName')
    const path = p.get('Path') ?? '/'
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw new AwsFault('ValidationError', 'The specified value for userName is invalid.')
    if (ctx.account.users.has(name.toLowerCase()))
      throw new AwsFault('EntityAlreadyExists', `User with name ${name} already exists.`)
    const u: EmUser = {
      name,
      id: `AIDA${randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()}`,
      arn: `arn:aws:iam::${ctx.account.id}:user${path}${name}`,
      path,
      createDate: ctx.now(),
      tags: tagList(p),
      attached: [],
      inline: [],
      groups: [],
      lastUsed: {},
      accessKeys: [],
      sshKeys: [],
      serviceCredentials: [],
      accessAdvisorFails: false,
      accessAdvisorOddRows: [],
    }
    ctx.account.users.set(name.toLowerCase(), u)
    return { User: { Path: u.path, UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: u.createDate } }
  },

  /** A rename keeps the UserId, the attachments and the tags; only the name and ARN change. */
  UpdateUser: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const newName = p.get('NewUserName')
    if (newName) {
      if (ctx.account.users.has(newName.toLowerCase()))
        throw new AwsFault('EntityAlreadyExists', `User with name ${newName} already exists.`)
      ctx.account.users.delete(u.name.toLowerCase())
      u.name = newName
      u.arn = `arn:aws:iam::${ctx.account.id}:user${u.path}${newName}`
      ctx.account.users.set(newName.toLowerCase(), u)
    }
    return undefined
  },

  DeleteUser: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    if (u.attached.length > 0 || u.inline.length > 0 || u.groups.length > 0)
      throw new AwsFault('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409)
    ctx.account.users.delete(u.name.toLowerCase())
    return undefined
  },

  TagUser: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    for (const t of tagList(p)) u.tags = [...u.tags.filter((x) => x.Key !== t.Key), t]
    return undefined
  },

  UntagUser: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const keys = memberList(p, 'TagKeys')
    u.tags = u.tags.filter((t) => !keys.includes(t.Key))
    return undefined
  },

  ListEntitiesForPolicy: (ctx, p) => {
    const arn = required(p, 'PolicyArn')
    customerPolicy(ctx, arn)
    return {
      PolicyUsers: [...ctx.account.users.values()]
        .filter((u) => u.attached.includes(arn))
        .map((u) => ({ UserName: u.name, UserId: u.id })),
      PolicyGroups: [...ctx.account.groups.values()]
        .filter((g) => g.attached.includes(arn))
        .map((g) => ({ GroupName: g.name, GroupId: `AGPA${g.name.toUpperCase()}` })),
      PolicyRoles: [],
      IsTruncated: false,
    }
  },

  DetachGroupPolicy: (ctx, p) => {
    const group = ctx.account.groups.get(required(p, 'GroupName').toLowerCase())
    if (!group) throw new AwsFault('NoSuchEntity', 'The group cannot be found.')
    const arn = required(p, 'PolicyArn')
    if (!group.attached.includes(arn)) throw new AwsFault('NoSuchEntity', `Policy ${arn} was not found.`)
    group.attached = group.attached.filter((a) => a !== arn)
    return undefined
  },

  ListUserTags: (ctx, p) => {
    const u = user(ctx, required(p, 'UserName'))
    const pg = page(u.tags, p)
    return { Tags: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker }
  },

  TagPolicy: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    for (const t of tagList(p)) {
      policy.tags = [...policy.tags.filter((x) => x.Key !== t.Key), t]
    }
    return undefined
  },

  ListPolicyTags: (ctx, p) => {
    const policy = customerPolicy(ctx, required(p, 'PolicyArn'))
    const pg = page(policy.tags, p)
    return { Tags: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker }
  },
}

/** IAM actions that change state (for "no write call" assertions). */
export const IAM_WRITE_ACTIONS = new Set([
  'CreatePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
  'DeletePolicy',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'DetachGroupPolicy',
  'TagPolicy',
  'CreateUser',
  'UpdateUser',
  'DeleteUser',
  'TagUser',
  'UntagUser',
  'UpdateAccessKey',
  'DeleteAccessKey',
  'UpdateSSHPublicKey',
  'UpdateServiceSpecificCredential',
  'DeleteLoginProfile',
  'CreateLoginProfile',
  'CreateAccessKey',
])

export function handleIam(ctx: IamContext, action: string, params: Params): object | undefined {
  const handler = handlers[action] ?? credentialHandlers[action]
  if (!handler)
    throw new AwsFault('InvalidAction', `Could not find operation ${action} for version 2010-05-08`)
  return handler(ctx, params)
}

/** A service's last use: its own entry, or its latest action's (`lastUsed` keys are `ns` or `ns:Action`). */
function serviceLastUsed(lastUsed: Record<string, Date>, ns: string): Date | undefined {
  let last = lastUsed[ns]
  for (const [key, at] of Object.entries(lastUsed))
    if (key.startsWith(`${ns}:`) && (!last || at > last)) last = at
  return last
}

/**
 * The row's TrackedActionsLastAccessed, as AWS serves it: only attempted tracked actions, and none at
 * all when there were none. A seed that names actions of the service (`iam:GetUser`) gives exactly
 * those; one that names only the service says every tracked action of it was used then.
 */
function trackedActionsOf(lastUsed: Record<string, Date>, ns: string, arn: string) {
  const named = Object.entries(lastUsed).filter(([key]) => key.startsWith(`${ns}:`))
  const whole = lastUsed[ns]
  const used: [string, Date][] =
    named.length > 0
      ? named.map(([key, at]) => [key.slice(ns.length + 1), at])
      : whole
        ? CATALOG.trackedIn(ns).map((a) => [a, whole])
        : []
  const tracked = used.filter(([a]) => CATALOG.isTracked(ns, a))
  if (tracked.length === 0) return {}
  return {
    TrackedActionsLastAccessed: tracked.map(([ActionName, at]) => ({
      ActionName,
      LastAccessedTime: at,
      LastAccessedEntity: arn,
      LastAccessedRegion: 'us-east-1',
    })),
  }
}
