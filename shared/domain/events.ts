/** An alert or notice a plan raises, as data: the pipeline logs it with the run's, account's and user's names. */
export interface PlanEvent {
  level: 'info' | 'warn' | 'error'
  /** A stable name (`alert.*` lines are counted by the hub's metric filter). */
  event: string
  fields?: Record<string, unknown>
  msg: string
}
