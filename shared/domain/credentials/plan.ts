/**
 * One user's credentials in a sweep: each judged on its own, announced NOTICE_DAYS ahead, changed on its
 * day only if its live state still shows it unused. A credential put back by someone outside the project
 * is reported and starts a new window; one the project changed stays changed until an operator restores it.
 * When deletion is on, an access key the project deactivated and that stayed inactive and unused for
 * CREDENTIAL_DELETE_AFTER_DAYS is deleted.
 */

import type { Mode } from '../decision.js'
import { asOnboarding, daysAfter, isDue } from '../notice.js'
import type { CredentialChange, CredentialKind, CredentialState, HISTORY_EVENTS } from '../records.js'
import { deletionStep } from './deletion.js'
import { judge, type LiveCredential } from './judge.js'

/** A key, SSH key or service-specific credential set Inactive or Active; a password removed; a key deleted. */
export type CredentialOp =
  | { kind: 'deactivate' | 'reactivate'; credential: Exclude<CredentialKind, 'password'>; id: string }
  | { kind: 'remove-password' }
  /** Deleted only if IAM still shows it inactive with this last use (absent: never used). */
  | { kind: 'delete-key'; id: string; lastUsed?: string }

/** The op that sets a credential's status (a password cannot be set Inactive: it is removed). */
export function statusOp(
  kind: 'deactivate' | 'reactivate',
  live: { kind: CredentialKind; id: string },
): CredentialOp {
  return live.kind === 'password' ? { kind: 'remove-password' } : { kind, credential: live.kind, id: live.id }
}

export type CredentialEvent = Extract<(typeof HISTORY_EVENTS)[number], `credential-${string}`>

export interface CredentialUserPlan {
  user: { name: string; id: string; arn: string }
  /** IAM changes, in order; none in plan mode. */
  ops: CredentialOp[]
  /** The user's rows as they were on record: what a change that fails is put back to. */
  before: readonly CredentialState[]
  /** Rows to write, in order (a later one of the same credential replaces an earlier), and to remove. */
  put: CredentialState[]
  drop: CredentialState[]
  history: { event: CredentialEvent; credential: CredentialChange }[]
}

export interface CredentialSettings {
  windowDays: number
  noticeDays: number
  mode: Mode
  /** The account's first enforce sweep: what it announces is its onboarding. */
  onboarding: boolean
  /**
   * CREDENTIAL_DELETE_AFTER_DAYS, when deletion is on and today's sweep may delete (credentials/deletion.ts):
   * an access key of ours inactive and unused this long after its deactivation is deleted.
   */
  deleteAfterDays?: number | undefined
  /** The stretch of sweeps with deletion on (deletion.ts): a key's period from another does not count. */
  deletionEpoch?: string | undefined
}

export interface CredentialUser {
  user: { name: string; id: string; arn: string }
  /** The user's credentials as IAM shows them now. */
  live: readonly LiveCredential[]
  rows: readonly CredentialState[]
  /** An operator's exemption, an honoured tag, or a never-deactivate name: nothing is announced or changed. */
  exempt: boolean
}

export interface Step {
  ops: CredentialOp[]
  put: CredentialState[]
  drop: CredentialState[]
  history: CredentialUserPlan['history']
}

type Context = CredentialSettings & {
  now: Date
  sweepId: string
  user: CredentialUser['user']
  accountId: string
}

export function planUserCredentials(
  who: CredentialUser & { accountId: string },
  settings: CredentialSettings,
  at: { now: Date; sweepId: string },
): CredentialUserPlan {
  const ctx: Context = { ...settings, ...at, user: who.user, accountId: who.accountId }
  const step: Step = { ops: [], put: [], drop: [], history: [] }
  const ids = new Set([...who.live.map((c) => c.id), ...who.rows.map((r) => r.credentialId)])
  for (const id of [...ids].sort()) {
    const live = who.live.find((c) => c.id === id)
    const row = who.rows.find((r) => r.credentialId === id)
    one(ctx, step, { live, row, exempt: who.exempt })
  }
  if (settings.mode === 'plan') step.ops = []
  return { user: who.user, before: who.rows, ...step }
}

function one(
  ctx: Context,
  step: Step,
  c: { live: LiveCredential | undefined; row: CredentialState | undefined; exempt: boolean },
): void {
  const { live, row } = c
  // Nothing tells its use today: as it is, row and all.
  if (live?.unjudged) return
  if (row?.unconfirmed) {
    unfinished(ctx, step, { row, live, exempt: c.exempt })
    return
  }
  // Gone for good, by our hand: the row is the record.
  if (row?.status === 'deleted') return
  if (row?.status === 'deactivated' && row.kind === 'access-key' && live && !live.active) {
    inactive(ctx, step, { row, live, exempt: c.exempt })
    return
  }
  if (!live?.active) {
    // Gone, or made inactive by someone else: nothing left to announce. Ours stays on record, but a
    // deleted key, which nobody can put back.
    if (row?.status === 'scheduled') cancel(step, row, live ? 'made inactive by someone else' : 'gone')
    else if (row?.status === 'restarted' || (row && row.kind !== 'password' && !live)) step.drop.push(row)
    return
  }
  if (row?.status === 'deactivated') {
    reactivated(ctx, step, row, live, c.exempt)
    return
  }
  if (c.exempt) {
    if (row?.status === 'scheduled') cancel(step, row, 'exempt')
    return
  }
  const verdict = judge(
    live,
    ctx.windowDays,
    ctx.now,
    row?.status === 'restarted' ? row.windowFrom : undefined,
  )
  if (verdict.kind === 'unknown') {
    if (row?.status === 'scheduled') cancel(step, row, verdict.why)
    return
  }
  if (verdict.kind === 'used') {
    if (row?.status === 'scheduled') cancel(step, row, 'used')
    return
  }
  const scheduled = row?.status === 'scheduled' ? row : schedule(ctx, step, live)
  if (scheduled.on && isDue({ on: scheduled.on, since: scheduled.since }, ctx.now))
    deactivate(ctx, step, scheduled, live)
}

/**
 * A change a run recorded and could not confirm (it stopped, or IAM's answer left it unknown): finished
 * if IAM shows it made; else judged again as a due schedule is, and made or dropped. An operator's
 * restore IAM does not show made is put back as it was: the operator runs it again.
 */
function unfinished(
  ctx: Context,
  step: Step,
  c: { row: CredentialState; live: LiveCredential | undefined; exempt: boolean },
): void {
  const { unconfirmed: _mark, windowFrom: _from, ...row } = c.row
  const { live } = c
  if (row.status === 'deleted') {
    if (!live) {
      deleted(step, row)
      return
    }
    // Not made: the deactivated key it still is, on record first (so that a brake holding today's
    // deletion leaves it so), then judged again; unless it is someone else's now.
    const { deactivatedAt, ...kept } = row
    const back: CredentialState = { ...kept, status: 'deactivated', since: deactivatedAt ?? row.since }
    const again: Step = { ops: [], put: [], drop: [], history: [] }
    one(ctx, again, { live, row: back, exempt: c.exempt })
    if (!again.drop.some((r) => r.credentialId === back.credentialId)) step.put.push(back)
    step.ops.push(...again.ops)
    step.put.push(...again.put)
    step.drop.push(...again.drop)
    step.history.push(...again.history)
    return
  }
  if (row.status === 'restarted') {
    step.put.push(
      live?.active
        ? { ...row, windowFrom: c.row.windowFrom ?? row.since }
        : { ...row, status: 'deactivated' },
    )
    return
  }
  if (!live?.active) {
    // A removed password leaves nothing to list: its absence is the change made.
    if (live || row.kind === 'password') deactivated(ctx, step, row, live ?? asLive(row))
    else step.drop.push(c.row)
    return
  }
  if (!c.exempt && judge(live, ctx.windowDays, ctx.now).kind === 'unused') deactivate(ctx, step, row, live)
  else cancel(step, c.row, c.exempt ? 'exempt' : 'used')
}

/** A credential as its row last saw it, for one IAM no longer lists (a removed password). */
function asLive(row: CredentialState): LiveCredential {
  return {
    kind: row.kind,
    id: row.credentialId,
    active: false,
    createdAt: row.createdAt,
    ...(row.lastUsed ? { lastUsed: row.lastUsed } : {}),
    ...(row.service ? { service: row.service } : {}),
    ...(row.passwordResetRequired !== undefined ? { passwordResetRequired: row.passwordResetRequired } : {}),
  }
}

function base(ctx: Context, live: LiveCredential): Omit<CredentialState, 'status' | 'since'> {
  return {
    accountId: ctx.accountId,
    userName: ctx.user.name,
    userId: ctx.user.id,
    userArn: ctx.user.arn,
    kind: live.kind,
    credentialId: live.id,
    ...(live.service ? { service: live.service } : {}),
    createdAt: live.createdAt,
    ...(live.lastUsed ? { lastUsed: live.lastUsed } : {}),
    sweepId: ctx.sweepId,
    updatedAt: ctx.now.toISOString(),
  }
}

export function change(
  row: Pick<CredentialState, 'kind' | 'credentialId' | 'service' | 'lastUsed' | 'createdAt'>,
): CredentialChange {
  return {
    kind: row.kind,
    credentialId: row.credentialId,
    ...(row.service ? { service: row.service } : {}),
    createdAt: row.createdAt,
    ...(row.lastUsed ? { lastUsed: row.lastUsed } : {}),
  }
}

function cancel(step: Step, row: CredentialState, why: string): void {
  step.drop.push(row)
  step.history.push({ event: 'credential-cancelled', credential: { ...change(row), detail: why } })
}

function schedule(ctx: Context, step: Step, live: LiveCredential): CredentialState {
  const next: CredentialState = {
    ...base(ctx, live),
    status: 'scheduled',
    since: ctx.now.toISOString(),
    on: daysAfter(ctx.now, ctx.noticeDays),
    ...(ctx.onboarding ? { onboarding: true as const } : {}),
  }
  // Written over a restarted row of the same credential: same key.
  step.put.push(next)
  step.history.push({ event: 'credential-scheduled', credential: { ...change(next), on: next.on ?? '' } })
  return next
}

function deactivate(
  ctx: Context,
  step: Step,
  scheduled: CredentialState,
  live: LiveCredential,
  detail?: string,
): void {
  step.ops.push(statusOp('deactivate', live))
  deactivated(ctx, step, scheduled, live, detail)
}

/** The row and history of a deactivation (made now, or found made by a run that could not confirm it). */
function deactivated(
  ctx: Context,
  step: Step,
  scheduled: CredentialState,
  live: LiveCredential,
  detail?: string,
): void {
  // Carried out as the account's onboarding only on its day or just after (as denies are).
  // A deactivation made again (put back by someone, or unconfirmed) is never the onboarding's.
  const onboarding =
    scheduled.status === 'scheduled' &&
    scheduled.on !== undefined &&
    asOnboarding({ on: scheduled.on, since: scheduled.since, onboarding: scheduled.onboarding }, ctx.now)
  const next: CredentialState = {
    ...base(ctx, live),
    status: 'deactivated',
    since: ctx.now.toISOString(),
    ...(onboarding ? { onboarding: true as const } : {}),
    ...(live.kind === 'password'
      ? { passwordResetRequired: live.passwordResetRequired ?? scheduled.passwordResetRequired === true }
      : {}),
    // Deactivated by a sweep that may delete: its second period starts now.
    ...(live.kind === 'access-key' && ctx.deleteAfterDays !== undefined && ctx.deletionEpoch !== undefined
      ? { inactiveFrom: ctx.now.toISOString(), deletionEpoch: ctx.deletionEpoch }
      : {}),
  }
  // After its schedule, if made today: rows are written in order, and the brake may hold this one back.
  step.put.push(next)
  step.history.push({
    event: 'credential-deactivated',
    credential: { ...change(next), ...(detail ? { detail } : {}) },
  })
}

/** An access key of ours, still inactive: its second period, notice and deletion (deletion.ts). */
function inactive(
  ctx: Context,
  step: Step,
  c: { row: CredentialState; live: LiveCredential; exempt: boolean },
): void {
  const { row, live } = c
  const next = deletionStep(row, live, {
    deleteAfterDays: ctx.deleteAfterDays,
    epoch: ctx.deletionEpoch,
    noticeDays: ctx.noticeDays,
    now: ctx.now,
    exempt: c.exempt,
  })
  const now = ctx.now.toISOString()
  if (next.kind === 'theirs') {
    step.drop.push(row)
    step.history.push({
      event: 'credential-reactivated',
      credential: {
        ...change(base(ctx, live)),
        detail: 'put back and used outside the project, then made inactive again: not deleted',
      },
    })
  } else if (next.kind === 'forget') {
    const { inactiveFrom: _from, deleteOn: _on, deletionEpoch: _epoch, ...kept } = row
    step.put.push({ ...kept, updatedAt: now })
  } else if (next.kind === 'mark') {
    // The marks replace whatever an earlier stretch left.
    const { kind: _kind, ...marks } = next
    const { deleteOn: _stale, ...kept } = row
    step.put.push({ ...kept, ...marks, updatedAt: now })
  } else if (next.kind === 'delete') {
    step.ops.push({
      kind: 'delete-key',
      id: row.credentialId,
      ...(live.lastUsed ? { lastUsed: live.lastUsed } : {}),
    })
    const { on: _on, deleteOn: _announced, ...kept } = base(ctx, live) as CredentialState
    deleted(step, {
      ...kept,
      status: 'deleted',
      since: now,
      deactivatedAt: row.since,
      ...(row.inactiveFrom ? { inactiveFrom: row.inactiveFrom } : {}),
      ...(row.deleteOn ? { deleteOn: row.deleteOn } : {}),
      ...(row.deletionEpoch ? { deletionEpoch: row.deletionEpoch } : {}),
    })
  }
}

/** The row and history of a deletion (made now, or found made by a run that could not confirm it). */
function deleted(step: Step, row: CredentialState): void {
  step.put.push(row)
  step.history.push({
    event: 'credential-deleted',
    credential: { ...change(row), detail: `inactive since ${row.deactivatedAt ?? 'its deactivation'}` },
  })
}

/**
 * Put back outside the project (a member administrator, or the user through self-service): told. Only an
 * operator's restore restarts a window: a credential still unused by its own last use is deactivated
 * again at once (it was announced before); one used since it came back is in use, and starts over.
 */
function reactivated(
  ctx: Context,
  step: Step,
  row: CredentialState,
  live: LiveCredential,
  exempt: boolean,
): void {
  step.history.push({
    event: 'credential-reactivated',
    credential: { ...change(base(ctx, live)), detail: 'put back outside the project' },
  })
  if (!exempt && judge(live, ctx.windowDays, ctx.now).kind === 'unused')
    deactivate(ctx, step, row, live, 'again: put back outside the project, and still unused')
  else step.drop.push(row)
}
