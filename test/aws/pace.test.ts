/** The per-account pace: at most the rate in any one second, bursts up to it at once. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { accountPace } from '../../shared/aws/clients.js'

describe('accountPace', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Asks the pace at each moment of `askedAt` (ms); resolves with the moments each call was let go. */
  async function sent(perSecond: number, askedAt: readonly number[]): Promise<number[]> {
    const pace = accountPace(perSecond)
    const released: number[] = []
    const waits: Promise<void>[] = []
    for (const at of askedAt) {
      await vi.advanceTimersByTimeAsync(at - Date.now())
      waits.push(pace().then(() => void released.push(Date.now())))
    }
    await vi.advanceTimersByTimeAsync(10_000)
    await Promise.all(waits)
    return released.sort((a, b) => a - b)
  }

  it('lets a burst up to the rate go at once, and the next one a second after the first', async () => {
    const released = await sent(5, [0, 0, 0, 0, 0, 0, 0])
    expect(released.slice(0, 5)).toEqual([0, 0, 0, 0, 0])
    expect(released.slice(5)).toEqual([1000, 1000])
  })

  it('does not hold back calls close together while the last second is below the rate', async () => {
    // Pairs 10 ms apart, at 4 a second: never 5 in a second, so none waits.
    const asked = [0, 10, 300, 310, 1200, 1210, 1500, 1510]
    expect(await sent(5, asked)).toEqual(asked)
  })

  it('never lets more than the rate go in any one second, however the calls come', async () => {
    const asked = Array.from({ length: 60 }, (_, i) => Math.floor((i * i * 37) % 3000))
    const released = await sent(
      5,
      asked.sort((a, b) => a - b),
    )
    expect(released).toHaveLength(60)
    for (const start of released)
      expect(released.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5)
  })
})
