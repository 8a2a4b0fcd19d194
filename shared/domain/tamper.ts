import { createHash } from 'node:crypto'
import type { OwnedPart } from './ownership.js'
import type { TamperFinding } from './records.js'
import { defaultDocument } from './write-plan.js'

/** What the last sweep left in place for a user: its policies and a digest of each default document. */
export interface RecordedPolicies {
  policyArns: readonly string[]
  /** Aligned with policyArns; absent in state written before digests were kept. */
  policyDigests?: readonly string[]
}

/** A short, stable fingerprint of a policy document. */
export function documentDigest(document: string): string {
  return createHash('sha256').update(document).digest('hex').slice(0, 16)
}

/**
 * Compares the live policies with what the last sweep recorded. A policy of ours that was detached,
 * deleted, or whose default version no longer has the text we wrote, was changed by someone else.
 */
export function detectTampering(
  recorded: RecordedPolicies | undefined,
  owned: readonly OwnedPart[],
  attachedElsewhere: readonly OwnedPart[] = [],
  /** Whether a live default document is the project's own rendering (then it is never `modified`). */
  isOurRendering: (part: number, document: string) => boolean = () => false,
): TamperFinding[] {
  const findings: TamperFinding[] = attachedElsewhere.map((p) => ({
    kind: 'attached-elsewhere',
    policyArn: p.policy.arn,
  }))
  if (!recorded) return findings
  recorded.policyArns.forEach((policyArn, i) => {
    const live = owned.find((o) => o.policy.arn === policyArn)
    if (!live) {
      findings.push({ kind: 'deleted', policyArn })
      return
    }
    if (!live.attached) findings.push({ kind: 'detached', policyArn })
    const expected = recorded.policyDigests?.[i]
    const document = defaultDocument(live.policy)
    if (
      expected &&
      document !== undefined &&
      documentDigest(document) !== expected &&
      !isOurRendering(live.part, document)
    )
      findings.push({ kind: 'modified', policyArn })
  })
  return findings
}
