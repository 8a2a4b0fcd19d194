/** What a digest is made from, and a section of it: shared by the digest and its credential sections. */
import type { CredentialNotes, Notable, StatusCounts } from './records.js'

export interface DigestAccount {
  accountId: string
  outcome: string
  reason: string
  brake?: string
  notable?: Notable
  credentials?: CredentialNotes
}

export interface DigestInput {
  sweepId: string
  mode: string
  /** NOTICE_DAYS: how far ahead denies are announced. */
  noticeDays: number
  durationMs: number
  counts: StatusCounts
  accounts: readonly DigestAccount[]
}

export type Section = (input: DigestInput) => string[][]
