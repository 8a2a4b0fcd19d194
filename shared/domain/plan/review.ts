/** What a plan sweep keeps for review: each user it would change, and how. */
import { newNotices } from '../notice.js'
import type { PlannedUser, UserDecision } from '../records.js'

/** The users a plan would change (a deny now or announced, a lift, a schedule dropped); the rest are left out. */
export function plannedUsers(decisions: readonly UserDecision[]): PlannedUser[] {
  return decisions.flatMap((d): PlannedUser[] => {
    const scheduled = newNotices(d.newlyScheduled, d.scheduled)
    const cancelled = d.cancelled ?? []
    if (d.added.length + d.removed.length + scheduled.length + cancelled.length === 0) return []
    return [
      {
        accountId: d.accountId,
        userName: d.userName,
        userId: d.userId,
        status: d.status,
        reason: d.reason,
        added: d.added,
        removed: d.removed,
        scheduled,
        cancelled,
      },
    ]
  })
}
