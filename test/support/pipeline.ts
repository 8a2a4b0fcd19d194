/** Runs one account through the pipeline as a sweep would, on an emulated organization's harness. */
import type { HubConfig } from '../../hub/config.js'
import type { SessionOptions } from '../../hub/runtime.js'
import { type AccountRun, runAccount } from '../../shared/app/account-pipeline.js'
import type { DoneUser } from '../../shared/app/account-writes.js'
import type { SweepDeps } from '../../shared/app/org-sweep.js'
import type { Mode } from '../../shared/domain/decision.js'
import type { SweepIntent } from '../../shared/domain/plan/intent.js'
import type { UserDecision } from '../../shared/domain/records.js'
import type { Logger } from '../../shared/logger.js'
import type { StateStore } from '../../shared/ports.js'

let runs = 0

/** A sweep's intent for one account; the first enforce run is a large change by design: confirmed. */
export function sweepIntent(mode: Mode, extra: Partial<SweepIntent> = {}): SweepIntent {
  const sweepId = `test-${Date.now()}-${++runs}`
  return {
    kind: 'sweep',
    mode,
    sweepId,
    startedAt: new Date().toISOString(),
    holder: `${sweepId}#test`,
    confirmLargeChange: true,
    fullReads: false,
    ...extra,
  }
}

export interface OneAccount {
  run: AccountRun
  decisions: UserDecision[]
  users: DoneUser[]
  byUser: Record<string, UserDecision>
}

export async function sweepOneAccount(
  h: {
    deps: (extra?: Partial<SweepDeps> & SessionOptions) => SweepDeps
    config: (o?: Partial<HubConfig>) => HubConfig
  },
  accountId: string,
  run: {
    intent: SweepIntent
    config?: Partial<HubConfig>
    store?: StateStore
    log?: Logger
    session?: SessionOptions
  },
): Promise<OneAccount> {
  const deps = h.deps({
    ...(run.store ? { store: run.store } : {}),
    ...(run.log ? { log: run.log } : {}),
    ...run.session,
  })
  const result = await runAccount(deps, h.config(run.config), accountId, run.intent)
  const users = result.kind === 'done' ? result.users : []
  const decisions = users.map((u) => u.decision)
  return { run: result, users, decisions, byUser: Object.fromEntries(decisions.map((d) => [d.userName, d])) }
}
