/**
 * A world whose clock advances day by day from noon today: an account of its own in a file's harness,
 * swept in enforce mode as of day n (notice, credentials and the like are judged across days).
 */
import type { HubConfig } from '../../hub/config.js'
import { runSweep } from '../../shared/app/org-sweep.js'
import type { Notifier, StateStore } from '../../shared/ports.js'
import type { UserSeed } from '../emulator/seed.js'
import { freshAccountId, must } from './fixtures.js'
import type { startOrgHarness } from './org-harness.js'

export const DAY = 86_400_000
export const T0 = new Date(Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000)
export const day = (n: number) => new Date(T0.getTime() + n * DAY)

type Harness = Awaited<ReturnType<typeof startOrgHarness>>

/** A new account with these users (their ages and last uses as of T0); `config` is every sweep's. */
export function accountOnDays(
  h: Harness,
  users: UserSeed[],
  /** `store`: a ledger of the test's own, for stories across sweeps of the whole organization. */
  base: { notifier?: Notifier; config?: Partial<HubConfig>; store?: StateStore } = {},
) {
  const id = freshAccountId()
  const account = h.emulator.addAccount({ id, users }, T0)
  const sweep = (n: number, config: Partial<HubConfig> = {}, confirm = false) =>
    runSweep(
      h.deps({
        now: () => day(n),
        sleep: async () => undefined,
        ...(base.notifier ? { notifier: base.notifier } : {}),
        ...(base.store ? { store: base.store } : {}),
      }),
      h.config({ noticeDays: 7, ...base.config, ...config }),
      {
        kind: 'new',
        mode: 'enforce',
        trigger: 'test',
        accounts: [id],
        ...(confirm ? { confirmLargeChange: true } : {}),
      },
    )
  const member = (name: string) => must(account.users.get(name), name)
  return { id, account, sweep, member }
}
