/**
 * When to poll an Access Advisor job. Jobs of one sweep take similar times, and every completed job
 * tells its own duration (JobCompletionDate - JobCreationDate), so after a few jobs the first poll can
 * land just after most jobs finish: one read instead of three, at almost no cost in time.
 */
export interface PollPrior {
  /** First poll before any duration is known. */
  initialDelayMs: number
  /** Longest wait between two polls. */
  maxDelayMs: number
}

const KEPT = 64

export class JobDurations {
  private readonly samples: number[]

  /** Starts from an earlier sweep's durations, so a new sweep's first jobs need not poll blind. */
  constructor(seed: readonly number[] = []) {
    this.samples = seed.filter((ms) => Number.isFinite(ms) && ms >= 0).slice(-KEPT)
  }

  /** The durations kept, to hand to the next sweep or invocation. */
  snapshot(): number[] {
    return [...this.samples]
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    this.samples.push(ms)
    if (this.samples.length > KEPT) this.samples.shift()
  }

  /** Milliseconds after the job started at which to make poll number `attempt` (0-based). */
  pollAt(attempt: number, prior: PollPrior): number {
    return pollTimes(
      [...this.samples].sort((a, b) => a - b),
      attempt,
      prior,
    )
  }
}

/**
 * Pure: the poll times for sorted samples. With none yet (the first jobs of a sweep), polls come every
 * `initialDelayMs` for four rounds, so a job is read at most one step after it ends, then back off.
 */
export function pollTimes(sorted: readonly number[], attempt: number, prior: PollPrior): number {
  const step = Math.max(prior.initialDelayMs, 50)
  const targets =
    sorted.length === 0
      ? [1, 2, 3, 4].map((n) => n * step)
      : // No margin: the wait starts when Generate returns, already after the job's creation time.
        [...new Set([quantile(sorted, 0.75), quantile(sorted, 0.95), sorted.at(-1) ?? 0])].map(
          (t) => Math.ceil(t) + 1,
        )
  if (attempt < targets.length) return targets[attempt] ?? step
  let at = targets.at(-1) ?? step
  let wait = step
  for (let i = targets.length; i <= attempt; i++) {
    wait = Math.min(wait * 2, prior.maxDelayMs)
    at += wait
  }
  return at
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}
