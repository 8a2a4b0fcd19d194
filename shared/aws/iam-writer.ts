import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachUserPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam'
import type { WriteOp } from '../domain/write-plan.js'

/** Tag set on every policy the project creates, so that a person browsing IAM knows who owns it. */
export const OWNER_TAG = { Key: 'managed-by', Value: 'iam-least-privilege' } as const

/**
 * Executes planned writes in order. Each op is safe on its own, so a failure part-way leaves the user no
 * less protected than before and the next sweep converges.
 */
export async function executeWrites(
  iam: IAMClient,
  userName: string,
  policyPath: string,
  ops: readonly WriteOp[],
): Promise<void> {
  for (const op of ops) {
    switch (op.op) {
      case 'createPolicy':
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: op.policyName,
            Path: policyPath,
            PolicyDocument: op.document,
            Description: `Denies services ${userName} has not used recently. Managed automatically; do not edit.`,
            Tags: [OWNER_TAG],
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
        await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: op.policyArn }))
        break
      case 'detachUserPolicy':
        await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: op.policyArn }))
        break
      case 'deletePolicy':
        await iam.send(new DeletePolicyCommand({ PolicyArn: op.policyArn }))
        break
    }
  }
}
