/** A sweep's time budget in tests: it runs short once so many accounts are done in the invocation. */
import type { SweepDeps } from '../../shared/app/org-sweep.js'

/** Time runs short once `n` accounts are done in this invocation. */
export function budget(n: number): Pick<SweepDeps, 'remainingMs' | 'progress'> {
  let done = 0
  return {
    remainingMs: () => (done >= n ? 1_000 : 600_000),
    progress: {
      started: () => undefined,
      listed: () => undefined,
      read: () => undefined,
      accountDone: () => void done++,
    },
  }
}
