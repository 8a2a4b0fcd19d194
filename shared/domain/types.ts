/** An IAM user as read from GetAccountAuthorizationDetails. */
export interface IamUser {
  name: string
  id: string
  arn: string
  path: string
  createDate: Date
  /** Tag keys are case-sensitive in IAM, so they are kept as given. */
  tags: Readonly<Record<string, string>>
  /** ARNs of the managed policies attached directly to the user (these count against the quota). */
  attachedPolicyArns: readonly string[]
  /**
   * A digest of everything that grants the user permissions, the project's own policies left out:
   * inline policies, attached policies (with their default versions), groups and theirs, boundary. A
   * change means the last Access Advisor report may miss a service the user now holds.
   */
  grantsDigest: string
}

export interface PolicyVersion {
  versionId: string
  isDefault: boolean
  createDate: Date
  /** Decoded JSON text. */
  document: string
}

/** A customer-managed policy with all of its versions. */
export interface ManagedPolicy {
  arn: string
  name: string
  path: string
  /** Users, groups and roles holding the policy, when the reply says (IAM's AttachmentCount). */
  attachmentCount?: number
  versions: readonly PolicyVersion[]
}

/** One row of an Access Advisor report: a service the user's policies grant. */
export interface ServiceUsage {
  namespace: string
  /**
   * The last attempt to call the service, allowed or denied (Access Advisor counts both). Absent when
   * there was none within Access Advisor's tracking period.
   */
  lastAuthenticated?: Date
  /** Region of that last attempt, when the report gives it. */
  lastRegion?: string
  /**
   * Read at action level: the service's tracked actions attempted within the tracking period, with
   * when and where. Absent on a report read at service level, which says nothing of single actions.
   */
  actions?: readonly ActionUsage[]
}

export interface ActionUsage {
  name: string
  lastAccessed: Date
  region?: string
}

/** The limits that govern what may be written for one account, read from GetAccountSummary. */
export interface AccountQuotas {
  attachedPoliciesPerUser: number
  versionsPerPolicy: number
  policySize: number
  /** Customer-managed policies the account may hold, and holds now. */
  policiesQuota: number
  policiesInUse: number
}
