import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam'
import type { ManagedPolicy } from '../domain/types.js'
import type { WriteOp } from '../domain/write-plan.js'
import { realSleep, type Sleep } from './access-advisor.js'
import { awsErrorKind } from './aws-errors.js'
import { policyHolders } from './iam-reader.js'

/** Waits between tries of an attach that IAM does not see the new policy for yet: about 7 s in all. */
export const ATTACH_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 3_000]

/**
 * IAM is eventually consistent: a policy created a moment ago may answer NoSuchEntity to an attach.
 * That one answer is retried briefly; anything else, or a policy still unseen after the waits, fails.
 */
async function untilVisible<T>(sleep: Sleep, call: () => Promise<T>): Promise<T> {
  for (const delay of ATTACH_RETRY_DELAYS_MS) {
    try {
      return await call()
    } catch (error) {
      if (awsErrorKind(error) !== 'not-found') throw error
      await sleep(delay)
    }
  }
  return call()
}

/** Tag set on every policy the project creates, so that a person browsing IAM knows who owns it. */
export const OWNER_TAG = { Key: 'managed-by', Value: 'iam-least-privilege' } as const
/** Tag naming the UserId a policy belongs to (the name carries it too; see policy-naming.ts). */
export const OWNER_ID_TAG_KEY = 'least-privilege-owner-id'

/**
 * Executes planned writes in order. Each op is safe on its own, so a failure part-way leaves the user no
 * less protected than before and the next sweep converges.
 */
export async function executeWrites(
  iam: IAMClient,
  /** The user the ops are for; undefined for ops that touch no user (deleting an orphan). */
  user: { name: string; id: string } | undefined,
  policyPath: string,
  ops: readonly WriteOp[],
  sleep: Sleep = realSleep,
): Promise<void> {
  const userName = () => {
    if (!user) throw new Error('a user write was planned without a user')
    return user.name
  }
  for (const op of ops) {
    switch (op.op) {
      case 'createPolicy':
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: op.policyName,
            Path: policyPath,
            PolicyDocument: op.document,
            Description: `Denies services ${userName()} (${user?.id}) has not used recently. Managed automatically; do not edit.`,
            Tags: [OWNER_TAG, { Key: OWNER_ID_TAG_KEY, Value: user?.id ?? '' }],
          }),
        )
        break
      case 'createPolicyVersion':
        await iam.send(
          new CreatePolicyVersionCommand({
            PolicyArn: op.policyArn,
            PolicyDocument: op.document,
            SetAsDefault: true,
          }),
        )
        break
      case 'deletePolicyVersion':
        await iam.send(new DeletePolicyVersionCommand({ PolicyArn: op.policyArn, VersionId: op.versionId }))
        break
      case 'attachUserPolicy':
        await untilVisible(sleep, () =>
          iam.send(new AttachUserPolicyCommand({ UserName: userName(), PolicyArn: op.policyArn })),
        )
        break
      case 'detachUserPolicy':
        await iam.send(new DetachUserPolicyCommand({ UserName: userName(), PolicyArn: op.policyArn }))
        break
      case 'deletePolicy':
        await iam.send(new DeletePolicyCommand({ PolicyArn: op.policyArn }))
        break
    }
  }
}

/**
 * Removes a policy someone planted under the project's path: detached from every user, group and role
 * that holds it, its other versions deleted, then the policy itself.
 */
export async function purgePolicy(iam: IAMClient, policy: ManagedPolicy): Promise<void> {
  const holders = await policyHolders(iam, policy.arn)
  for (const UserName of holders.users)
    await iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn: policy.arn }))
  for (const GroupName of holders.groups)
    await iam.send(new DetachGroupPolicyCommand({ GroupName, PolicyArn: policy.arn }))
  for (const RoleName of holders.roles)
    await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: policy.arn }))
  for (const version of policy.versions.filter((v) => !v.isDefault))
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policy.arn, VersionId: version.versionId }))
  await iam.send(new DeletePolicyCommand({ PolicyArn: policy.arn }))
}
