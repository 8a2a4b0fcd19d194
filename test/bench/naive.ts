/**
 * The naive sweep the benchmark compares against: one account at a time, one user at a time, listing
 * calls per user for tags and policies, fixed-interval polling, default page sizes, and every deny
 * policy deleted and re-created on every sweep. It decides the same way (same planner and renderer).
 */
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  type IAMClient,
  ListPolicyVersionsCommand,
  paginateListAttachedUserPolicies,
  paginateListUsers,
  paginateListUserTags,
} from '@aws-sdk/client-iam'
import type { OrganizationsClient } from '@aws-sdk/client-organizations'
import type { STSClient } from '@aws-sdk/client-sts'
import type { HubConfig } from '../../hub/config.js'
import { createIamClient } from '../../shared/aws/clients.js'
import { organizationOver } from '../../shared/aws/organizations.js'
import { assumeSpokeRole } from '../../shared/aws/spoke-session.js'
import { renderDenyPolicies } from '../../shared/domain/deny-policy.js'
import { planDenySet } from '../../shared/domain/planner.js'
import { policyArn, policyName } from '../../shared/domain/policy-naming.js'
import type { ServiceUsage } from '../../shared/domain/types.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function naiveSweep(
  clients: { organizations: OrganizationsClient; sts: STSClient },
  config: HubConfig,
  pollMs: number,
): Promise<{ users: number }> {
  let users = 0
  for (const account of await organizationOver(clients.organizations).accounts()) {
    if (account.state !== 'ACTIVE') continue
    const credentials = await assumeSpokeRole(
      clients.sts,
      account.id,
      { roleName: config.spokeRoleName, externalId: config.externalId },
      'naive',
    )
    const iam = createIamClient({ credentials, maxAttempts: 8 })
    for await (const page of paginateListUsers({ client: iam }, {})) {
      for (const user of page.Users ?? []) {
        users++
        const name = user.UserName ?? ''
        const arn = user.Arn ?? ''
        const tags: Record<string, string> = {}
        for await (const t of paginateListUserTags({ client: iam }, { UserName: name }))
          for (const tag of t.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? ''
        const attached: string[] = []
        for await (const a of paginateListAttachedUserPolicies({ client: iam }, { UserName: name })) {
          for (const p of a.AttachedPolicies ?? []) attached.push(p.PolicyArn ?? '')
        }
        if (tags['least-privilege-exempt']) continue
        const report = await readReport(iam, arn, pollMs)
        const plan = planDenySet({
          report,
          currentlyDenied: new Set(),
          deniedSince: {},
          lastAttempts: {},
          firstSeen: undefined,
          userCreateDate: user.CreateDate ?? new Date(0),
          now: new Date(),
          windowDays: config.windowDays,
          neverDeny: new Set(config.neverDeny),
          exemptServices: new Set(),
          scheduled: {},
          noticeDays: 0,
          onboarding: false,
        })
        const target = {
          userArn: arn,
          userId: user.UserId ?? name,
          policyPath: config.policyPath,
          policyNamePrefix: config.policyNamePrefix,
          exemptTagKeys: config.exemptTags.map((t) => t.key),
        }
        for (const part of renderDenyPolicies(plan.deny, target)) {
          const policyNameOf = policyName(config.policyNamePrefix, part.part, user.UserId ?? name)
          const policy = policyArn(arn, config.policyPath, policyNameOf)
          if (attached.includes(policy)) await deleteAndDetach(iam, name, policy)
          await iam.send(
            new CreatePolicyCommand({
              PolicyName: policyNameOf,
              Path: config.policyPath,
              PolicyDocument: part.document,
            }),
          )
          await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policy }))
        }
      }
    }
  }
  return { users }
}

async function readReport(iam: IAMClient, arn: string, pollMs: number): Promise<ServiceUsage[]> {
  const { JobId } = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn }))
  let page: GetServiceLastAccessedDetailsCommandOutput
  do {
    await sleep(pollMs)
    page = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }))
  } while (page.JobStatus === 'IN_PROGRESS')
  const usage: ServiceUsage[] = []
  for (;;) {
    for (const s of page.ServicesLastAccessed ?? []) {
      usage.push({
        namespace: s.ServiceNamespace ?? '',
        ...(s.LastAuthenticated ? { lastAuthenticated: s.LastAuthenticated } : {}),
      })
    }
    if (!page.IsTruncated) return usage
    page = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, Marker: page.Marker }))
  }
}

async function deleteAndDetach(iam: IAMClient, userName: string, policy: string): Promise<void> {
  await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policy }))
  const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policy }))
  for (const v of versions.Versions ?? []) {
    if (!v.IsDefaultVersion)
      await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policy, VersionId: v.VersionId }))
  }
  await iam.send(new DeletePolicyCommand({ PolicyArn: policy }))
}
