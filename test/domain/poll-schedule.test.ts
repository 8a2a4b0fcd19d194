import { describe, expect, it } from 'vitest'
import { JobDurations, pollTimes } from '../../shared/domain/poll-schedule.js'

const PRIOR = { initialDelayMs: 1000, maxDelayMs: 8000 }

describe('pollTimes', () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [2, 3000],
    [3, 4000],
    [4, 6000],
    [5, 10000],
    [6, 18000],
    [7, 26000], // capped at maxDelayMs between polls
  ])('before any duration is known, poll %i is at %i ms (steady steps, then back-off)', (attempt, at) => {
    expect(pollTimes([], attempt, PRIOR)).toBe(at)
  })

  it('once durations are known, polls just after most jobs finish, then after nearly all, then the slowest', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => 2000 + i * 20) // 2.0 s to 3.98 s
    const times = [0, 1, 2, 3].map((a) => pollTimes(sorted, a, PRIOR))
    expect(times[0]).toBe(3501) // the 75th percentile
    expect(times[1]).toBeGreaterThan(times[0] ?? 0)
    expect(times[2]).toBeGreaterThanOrEqual(3980)
    expect(times[3]).toBeGreaterThan(times[2] ?? 0) // then back-off
  })

  it('is strictly increasing, so a poll never waits a negative time', () => {
    const sorted = [500, 500, 500, 500]
    const times = [0, 1, 2, 3, 4].map((a) => pollTimes(sorted, a, PRIOR))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] ?? 0)
  })
})

describe('JobDurations', () => {
  it('learns from completed jobs and ignores nonsense', () => {
    const d = new JobDurations()
    expect(d.pollAt(0, PRIOR)).toBe(1000)
    d.record(-5)
    d.record(Number.NaN)
    for (let i = 0; i < 10; i++) d.record(300)
    expect(d.pollAt(0, PRIOR)).toBe(301)
  })
})
