/** Root of every error this project raises on purpose; `cause` keeps the original. */
export class LeastPrivilegeError extends Error {
  override name = 'LeastPrivilegeError'
}

/** Configuration, an event or CLI flags failed validation; the message names each bad field. */
export class ConfigError extends LeastPrivilegeError {
  override name = 'ConfigError'
}

/** Access Advisor gave no usable report (FAILED job, timeout, truncated pages): never evidence of non-use. */
export class AccessAdvisorError extends LeastPrivilegeError {
  override name = 'AccessAdvisorError'
}

/** An AWS reply did not have the shape the code relies on. */
export class UnexpectedReplyError extends LeastPrivilegeError {
  override name = 'UnexpectedReplyError'
}

/** The project's deny policies for a user are in a state the planner will not write over. */
export class PolicyLayoutError extends LeastPrivilegeError {
  override name = 'PolicyLayoutError'
}

export function errorMessage(error: unknown): string {
  // The project's own errors are said in words; an AWS error keeps its code (AccessDenied: ...).
  if (error instanceof LeastPrivilegeError) return error.message
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message
  return String(error)
}

/**
 * Something changed under us since it was read (a state row by another writer, a credential in IAM): it
 * is left as that writer made it, and nothing was changed.
 */
export class StateConflictError extends LeastPrivilegeError {
  override name = 'StateConflictError'
}

/** A sweep completed, but some accounts were braked, unreachable or failed: the CLI exits 3. */
export class IncompleteSweepError extends LeastPrivilegeError {
  override name = 'IncompleteSweepError'
}
