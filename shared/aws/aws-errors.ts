/** Sorts AWS SDK errors by their `name`, the one place that knows AWS's error codes. */
export type AwsErrorKind =
  | 'throttled'
  | 'not-found'
  | 'access-denied'
  | 'limit-exceeded'
  | 'already-exists'
  | 'other'

const KINDS: Record<string, AwsErrorKind> = {
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
  RequestLimitExceeded: 'throttled',
  NoSuchEntity: 'not-found',
  NoSuchEntityException: 'not-found',
  // DynamoDB's and Lambda's: no such table, no such function.
  ResourceNotFoundException: 'not-found',
  AccessDenied: 'access-denied',
  AccessDeniedException: 'access-denied',
  LimitExceeded: 'limit-exceeded',
  LimitExceededException: 'limit-exceeded',
  IamQuotaExceeded: 'limit-exceeded',
  EntityAlreadyExists: 'already-exists',
  EntityAlreadyExistsException: 'already-exists',
}

export function awsErrorKind(error: unknown): AwsErrorKind {
  const name = error instanceof Error ? error.name : undefined
  return (name && KINDS[name]) || 'other'
}
