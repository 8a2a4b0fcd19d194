import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DenyPlan, planDenySet } from '../../shared/domain/planner.js'
import { QUIET_REFRESH_CYCLES, readNeeded, refreshSlot } from '../../shared/domain/report-reuse.js'
import type { ServiceUsage } from '../../shared/domain/types.js'

const DAY = 86_400_000
const T0 = Date.parse('2026-01-01T00:00:00Z')
const DAYS = 200
const WINDOW = 30
const REFRESH = 7
const at = (day: number) => new Date(T0 + day * DAY)

/** One service of the user: granted from a day, how (a change the grants digest sees, or not), and used on some days. */
interface ServiceStory {
  namespace: string
  grantedOn: number
  visibleGrant: boolean
  usedOn: ReadonlySet<number>
}

const story = fc
  .array(
    fc.record({
      grantedOn: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: DAYS - 1 })),
      visibleGrant: fc.boolean(),
      // From never used to used every few days, with long quiet spells drawn in.
      usedOn: fc.uniqueArray(fc.integer({ min: 0, max: DAYS - 1 }), { maxLength: 25 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((services) =>
    services.map((s, i): ServiceStory => ({ ...s, namespace: `svc${i}`, usedOn: new Set(s.usedOn) })),
  )

/** What Access Advisor reports on a day: every granted service and its last activity so far. */
function reportOn(services: readonly ServiceStory[], day: number): ServiceUsage[] {
  return services
    .filter((s) => s.grantedOn <= day)
    .map((s) => {
      const last = Math.max(-1, ...[...s.usedOn].filter((d) => d <= day && d >= s.grantedOn))
      return last >= 0 ? { namespace: s.namespace, lastAuthenticated: at(last) } : { namespace: s.namespace }
    })
}

/** The grants digest: it changes only with the grants a digest can see. */
function digestOn(services: readonly ServiceStory[], day: number): string {
  return services
    .filter((s) => s.grantedOn <= day && (s.grantedOn === 0 || s.visibleGrant))
    .map((s) => s.namespace)
    .join(',')
}

interface UserState {
  denied: Set<string>
  deniedSince: Record<string, string>
  lastAttempts: Record<string, string>
  firstSeen: Record<string, string> | undefined
  deniedOn: Map<string, number>
}

const fresh = (): UserState => ({
  denied: new Set(),
  deniedSince: {},
  lastAttempts: {},
  firstSeen: undefined,
  deniedOn: new Map(),
})

function plan(state: UserState, report: readonly ServiceUsage[], day: number): DenyPlan {
  return planDenySet({
    report,
    currentlyDenied: state.denied,
    deniedSince: state.deniedSince,
    lastAttempts: state.lastAttempts,
    firstSeen: state.firstSeen,
    userCreateDate: at(0),
    now: at(day),
    windowDays: WINDOW,
    neverDeny: new Set(),
    exemptServices: new Set(),
    scheduled: {},
    noticeDays: 0,
    onboarding: false,
  })
}

function apply(state: UserState, result: DenyPlan, day: number): void {
  for (const { namespace } of result.added) {
    state.deniedSince[namespace] = at(day).toISOString()
    state.deniedOn.set(namespace, day)
  }
  for (const a of result.attempts) state.lastAttempts[a.namespace] = a.at
  state.denied = new Set(result.deny)
  state.firstSeen = result.firstSeen
}

describe('incremental Access Advisor reads', () => {
  it('never deny what a full sweep would not; deny what it does the same day, or at most REFRESH_DAYS late for a grant the digest cannot see', () => {
    fc.assert(
      fc.property(story, (services) => {
        const full = fresh()
        const incremental = fresh()
        let stored: { report: ServiceUsage[]; readAt: Date; grantsDigest: string } | undefined
        let reads = 0
        for (let day = 0; day < DAYS; day++) {
          apply(full, plan(full, reportOn(services, day), day), day)

          const why = readNeeded({
            stored,
            userId: 'AIDAEXAMPLEUSER',
            grantsDigest: digestOn(services, day),
            now: at(day),
            refreshDays: REFRESH,
            full: false,
          })
          const trial = stored && !why ? plan(incremental, stored.report, day) : undefined
          let result: DenyPlan
          if (trial && trial.added.length === 0) result = trial
          else {
            // The invariant: every deny added comes from a report read this day.
            stored = {
              report: reportOn(services, day),
              readAt: at(day),
              grantsDigest: digestOn(services, day),
            }
            reads++
            result = plan(incremental, stored.report, day)
          }
          apply(incremental, result, day)

          for (const ns of incremental.denied) expect(full.denied.has(ns)).toBe(true)
        }
        for (const [ns, day] of full.deniedOn) {
          const s = services.find((x) => x.namespace === ns)
          const late = (incremental.deniedOn.get(ns) ?? DAYS) - day
          if (!s || s.grantedOn === 0 || s.visibleGrant) expect(late).toBe(0)
          else if (day + REFRESH < DAYS) {
            // A grant the digest cannot see is seen at the next read, at most REFRESH_DAYS later; unless
            // the user used the service meanwhile, which, with no deny in place yet, was a real use.
            const usedMeanwhile = [...s.usedOn].some((d) => d > day && d <= day + REFRESH)
            expect(late <= REFRESH || usedMeanwhile).toBe(true)
          }
        }
        expect(reads).toBeLessThanOrEqual(DAYS)
      }),
      { numRuns: 300 },
    )
  })

  // Which day of the REFRESH_DAYS cycle a day is, and a UserId whose refresh day is a given one.
  const slotToday = (day: number) => Math.floor(at(day).getTime() / DAY) % REFRESH
  const userOnSlot = (slot: number): string => {
    for (let i = 0; i < 1_000; i++) if (refreshSlot(`AIDA${i}`, REFRESH) === slot) return `AIDA${i}`
    throw new Error(`no UserId on slot ${slot}`)
  }
  it.each([
    ['no report yet', undefined, 'g', 0, false, 'no-report'],
    ['a full sweep', { readAt: at(0), grantsDigest: 'g' }, 'g', 1, true, 'full-sweep'],
    ['grants changed', { readAt: at(0), grantsDigest: 'g' }, 'h', 1, false, 'grants-changed'],
    ['a report REFRESH_DAYS old', { readAt: at(0), grantsDigest: 'g' }, 'g', REFRESH, false, 'stale'],
    [
      'nothing: a recent report, same grants',
      { readAt: at(0), grantsDigest: 'g' },
      'g',
      REFRESH - 1,
      false,
      undefined,
    ],
  ] as const)('reads again for %s', (_name, stored, grantsDigest, day, full, expected) => {
    const userId = userOnSlot((slotToday(day) + 1) % REFRESH) // not the user's refresh day
    expect(readNeeded({ stored, userId, grantsDigest, now: at(day), refreshDays: REFRESH, full })).toBe(
      expected,
    )
  })

  it('reads again a report that claims to be read after now, and counts ages in calendar days', () => {
    const userId = userOnSlot(slotToday(1))
    const base = { userId, grantsDigest: 'g', refreshDays: REFRESH, full: false }
    expect(readNeeded({ ...base, stored: { readAt: at(3), grantsDigest: 'g' }, now: at(1) })).toBe(
      'implausible',
    )
    // Kept a minute before midnight, it is a day old on the user's refresh day just after midnight.
    const lateYesterday = new Date(at(1).getTime() - 60_000)
    expect(readNeeded({ ...base, stored: { readAt: lateYesterday, grantsDigest: 'g' }, now: at(1) })).toBe(
      'refresh-day',
    )
  })

  it('reads again a report stored at service level when actions are judged: it says nothing of them', () => {
    const base = { userId: userOnSlot(slotToday(5)), grantsDigest: 'g', refreshDays: REFRESH, full: false }
    const stored = { readAt: at(1), grantsDigest: 'g' }
    expect(readNeeded({ ...base, stored, now: at(2), actionLevel: true })).toBe('action-level')
    expect(
      readNeeded({ ...base, stored: { ...stored, actionLevel: true }, now: at(2), actionLevel: true }),
    ).toBeUndefined()
    expect(readNeeded({ ...base, stored, now: at(2), actionLevel: false })).toBeUndefined()
  })

  it('skips the refresh read of a user the credential report shows quiet, up to a few cycles', () => {
    const userId = userOnSlot(slotToday(REFRESH))
    const base = { userId, grantsDigest: 'g', refreshDays: REFRESH, full: false, quiet: true }
    const stored = { readAt: at(0), grantsDigest: 'g' }
    expect(readNeeded({ ...base, quiet: false, stored, now: at(REFRESH) })).toBe('stale')
    expect(readNeeded({ ...base, stored, now: at(REFRESH) })).toBeUndefined()
    const last = REFRESH * QUIET_REFRESH_CYCLES
    expect(readNeeded({ ...base, stored, now: at(last - 1) })).toBeUndefined()
    expect(readNeeded({ ...base, stored, now: at(last) })).toBe('stale')
    // Quiet says nothing of grants, actions or a full sweep's ask.
    expect(readNeeded({ ...base, stored, grantsDigest: 'h', now: at(1) })).toBe('grants-changed')
    expect(readNeeded({ ...base, stored, now: at(1), actionLevel: true })).toBe('action-level')
    expect(readNeeded({ ...base, stored, now: at(1), full: true })).toBe('full-sweep')
  })

  it("reads each user again on their own day of the cycle, so an organization's reads spread over the week", () => {
    const stored = { readAt: at(0), grantsDigest: 'g' }
    const read = (userId: string, day: number) =>
      readNeeded({ stored, userId, grantsDigest: 'g', now: at(day), refreshDays: REFRESH, full: false })
    expect(read(userOnSlot(slotToday(3)), 3)).toBe('refresh-day')
    expect(read(userOnSlot(slotToday(3)), 2)).toBeUndefined()
    expect(read(userOnSlot(slotToday(0)), 0)).toBeUndefined() // read today already
    const slots = Array.from({ length: 7_000 }, (_, i) =>
      refreshSlot(`AIDA${i.toString(36).toUpperCase()}`, REFRESH),
    )
    for (let s = 0; s < REFRESH; s++) expect(slots.filter((x) => x === s).length).toBeGreaterThan(800)
  })
})
