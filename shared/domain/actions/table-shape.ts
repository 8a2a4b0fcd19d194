import { z } from 'zod'

const actionName = z.string().regex(/^[A-Za-z0-9-]+$/, 'an action name such as CreateUser')

/**
 * The project's table of the actions Access Advisor tracks, derived from AWS's service reference by
 * hub/refresh-actions.ts. Only services with a tracked action are listed; each lists every action it
 * has, tracked or not, since a wildcard may stand only for actions that are all tracked and unused.
 */
export const actionTable = z.object({
  source: z.string(),
  /** The day the reference was published. */
  asOf: z.string(),
  services: z.record(
    z.string().regex(/^[a-z0-9-]+$/),
    z.object({
      tracked: z.array(actionName),
      untracked: z.array(actionName),
      /** Tracked actions the reference marks IsPermissionManagement: the riskiest kept power. */
      permissionManagement: z.array(actionName),
      /** Tracked writes (and tagging) that manage no permissions. */
      write: z.array(actionName),
    }),
  ),
  /** `ns:Action` → the day a refresh first found it tracked: no use is on record before then. */
  trackedSince: z.record(z.string(), z.string()),
})
export type ActionTable = z.infer<typeof actionTable>
