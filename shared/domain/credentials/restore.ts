/**
 * An operator's restore of one user's credentials: what the project deactivated is put back, and what it
 * announced is kept; either way the unused window starts again. A deleted key is explained, never faked.
 */
import type { Mode } from '../decision.js'
import type { CredentialState } from '../records.js'
import { credentialLabel, type LiveCredential } from './judge.js'
import { type CredentialUser, type CredentialUserPlan, change, type Step, statusOp } from './plan.js'

/** What an operator puts back: given keys, the password, or every credential of ours the user has. */
export type RestoreTarget = { keys: string[]; password: boolean } | { all: true }

/**
 * An operator's restore: each chosen key the project deactivated is reactivated, and a credential still
 * only announced is kept; either way its unused window starts again now. A removed password is not set
 * again here: whoever can set a password can become the user, so that stays with the account's
 * administrators (the CLI gives them the command); the restore records the decision, and the new password
 * starts a full window from its creation. Refused, naming why, when a chosen one is not ours to restore.
 */
export function planRestore(
  who: RestoreWho,
  target: RestoreTarget,
  at: { now: Date; runId: string; mode: Mode },
): CredentialUserPlan | { refused: string } {
  const chosen = chosenRows(who, target)
  if ('refused' in chosen) return chosen
  const step: Step = { ops: [], put: [], drop: [], history: [] }
  for (const row of chosen.rows) {
    const live = who.live.find((c) => c.id === row.credentialId)
    if (row.status === 'deactivated' && row.kind !== 'password' && !live)
      return { refused: `${credentialLabel(row)} of ${who.user.name} was deleted: it cannot be put back` }
    const now = at.now.toISOString()
    // Kept by an operator: any period and notice of its deletion end here.
    const { on: _day, onboarding: _onboarding, inactiveFrom: _from, deleteOn: _deleteOn, ...kept } = row
    const restarted: CredentialState = {
      ...kept,
      status: 'restarted',
      since: now,
      windowFrom: now,
      sweepId: at.runId,
      updatedAt: now,
    }
    let detail = row.status === 'scheduled' ? 'kept before its day' : 'put back'
    if (row.status === 'deactivated' && row.kind === 'password') {
      // Gone from the record: a password an administrator sets is a new credential, not one put back outside.
      step.drop.push(row)
      detail = 'approved: an administrator of the account sets a new password'
    } else {
      if (row.status === 'deactivated' && !live?.active)
        step.ops.push(statusOp('reactivate', { kind: row.kind, id: row.credentialId }))
      step.put.push(restarted)
    }
    step.history.push({ event: 'credential-restored', credential: { ...change(row), detail } })
  }
  if (at.mode === 'plan') step.ops = []
  return { user: who.user, before: who.rows, ...step }
}

interface RestoreWho {
  accountId: string
  user: CredentialUser['user']
  live: readonly LiveCredential[]
  rows: readonly CredentialState[]
}

/**
 * The user's rows the target names, each one of ours still announced or changed. A key the project
 * deleted is refused with when and why (nothing brings it back); `--all` passes over such keys.
 */
function chosenRows(
  who: RestoreWho,
  target: RestoreTarget,
): { rows: CredentialState[] } | { refused: string } {
  const open = who.rows.filter((r) => r.status !== 'restarted').map(undeleted)
  const chosen =
    'all' in target
      ? open.filter((r) => r.status !== 'deleted')
      : [...target.keys, ...(target.password ? ['password'] : [])].map(
          (id) => open.find((r) => r.credentialId === id) ?? id,
        )
  const gone = ('all' in target && chosen.length === 0 ? open : chosen).find(
    (c): c is CredentialState => typeof c !== 'string' && c.status === 'deleted',
  )
  if (gone)
    return {
      refused: `${credentialLabel(gone)} of ${who.user.name} was deleted by the project on ${gone.since.slice(0, 10)}, inactive since ${(gone.deactivatedAt ?? gone.since).slice(0, 10)}: it cannot be put back; an administrator of the account can make the user a new key`,
    }
  const missing = chosen.filter((c): c is string => typeof c === 'string')
  if (missing.length > 0 || chosen.length === 0) {
    const ours = open.map((r) => r.credentialId).join(', ') || 'none'
    return {
      refused: `${who.user.name} has no ${missing.join(', ') || 'credential'} deactivated or announced by the project (theirs: ${ours})`,
    }
  }
  return { rows: chosen as CredentialState[] }
}

/**
 * A deletion a run recorded and could not confirm is the deactivated key it was until IAM shows it gone:
 * restored as such (refused as deleted if IAM no longer lists it).
 */
function undeleted(row: CredentialState): CredentialState {
  if (row.status !== 'deleted' || !row.unconfirmed) return row
  const { unconfirmed: _mark, deactivatedAt, ...kept } = row
  return { ...kept, status: 'deactivated', since: deactivatedAt ?? row.since }
}
