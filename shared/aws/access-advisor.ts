import {
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  type IAMClient,
  type ServiceLastAccessed,
} from '@aws-sdk/client-iam'
import { JobDurations } from '../domain/poll-schedule.js'
import { SERVICE_NAMESPACE } from '../domain/records.js'
import type { ActionUsage, ServiceUsage } from '../domain/types.js'
import { AccessAdvisorError } from '../errors.js'

export interface PollSettings {
  /** Wait before the first poll; jobs rarely finish sooner, so polling earlier only spends calls. */
  initialDelayMs: number
  maxDelayMs: number
  /** Give up (and change nothing for the user) after this long. */
  timeoutMs: number
}

/** Pages of 1,000 rows a report may take: AWS has under 500 services, so one page is the rule. */
const MAX_PAGES = 10

export type Sleep = (ms: number) => Promise<void>
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs an Access Advisor job for one principal and returns every page of its report. A FAILED job, a
 * timeout or a truncated page without a marker throws AccessAdvisorError: missing data is never "unused".
 */
export async function readServiceUsage(
  iam: IAMClient,
  principal: { arn: string; actionLevel: boolean },
  poll: PollSettings,
  sleep: Sleep = realSleep,
  durations: JobDurations = new JobDurations(),
): Promise<ServiceUsage[]> {
  const principalArn = principal.arn
  const started = await iam.send(
    new GenerateServiceLastAccessedDetailsCommand({
      Arn: principalArn,
      Granularity: principal.actionLevel ? 'ACTION_LEVEL' : 'SERVICE_LEVEL',
    }),
  )
  const jobId = started.JobId
  if (!jobId) throw new AccessAdvisorError(`no JobId for ${principalArn}`)

  let page = await waitForCompletion(iam, { jobId, principalArn }, { poll, sleep, durations })
  // A report at service level says nothing of actions: read as one, every tracked action looks unused.
  if (principal.actionLevel && page.JobType !== 'ACTION_LEVEL')
    throw new AccessAdvisorError(
      `report for ${principalArn} is ${String(page.JobType)}, not the ACTION_LEVEL report asked for`,
    )
  if (page.JobCreationDate && page.JobCompletionDate) {
    durations.record(page.JobCompletionDate.getTime() - page.JobCreationDate.getTime())
  }
  const usage: ServiceUsage[] = []
  const seen = new Set<string>()
  const markers = new Set<string>()
  for (;;) {
    for (const row of page.ServicesLastAccessed ?? []) usage.push(usageOf(row, principal, seen))
    if (!page.IsTruncated) return usage
    if (!page.Marker) throw new AccessAdvisorError(`report for ${principalArn} is truncated without a marker`)
    // A marker served twice, or more pages than AWS has services, is a reply that would page for ever.
    if (markers.has(page.Marker) || markers.size >= MAX_PAGES)
      throw new AccessAdvisorError(`report for ${principalArn} does not end: page ${markers.size + 2} asked`)
    markers.add(page.Marker)
    page = await getPage(iam, jobId, page.Marker)
    if (page.JobStatus !== 'COMPLETED') {
      throw new AccessAdvisorError(`report for ${principalArn} changed to ${page.JobStatus} while paging`)
    }
  }
}

/** One row of the report, checked: a namespace, once, and its actions when they were asked for. */
function usageOf(
  s: ServiceLastAccessed,
  principal: { arn: string; actionLevel: boolean },
  seen: Set<string>,
): ServiceUsage {
  const principalArn = principal.arn
  if (!s.ServiceNamespace)
    throw new AccessAdvisorError(`report for ${principalArn} has a row without namespace`)
  // A namespace goes verbatim into a deny (`ns:*`): anything but one is a reply not to act on.
  if (!SERVICE_NAMESPACE.test(s.ServiceNamespace))
    throw new AccessAdvisorError(
      `report for ${principalArn} names ${JSON.stringify(s.ServiceNamespace.slice(0, 80))}, not a service namespace`,
    )
  // A namespace twice would be judged twice, the second time on whatever the other row left out.
  if (seen.has(s.ServiceNamespace))
    throw new AccessAdvisorError(`report for ${principalArn} lists ${s.ServiceNamespace} twice`)
  seen.add(s.ServiceNamespace)
  return {
    namespace: s.ServiceNamespace,
    ...(s.LastAuthenticated ? { lastAuthenticated: s.LastAuthenticated } : {}),
    ...(s.LastAuthenticatedRegion ? { lastRegion: s.LastAuthenticatedRegion } : {}),
    ...(principal.actionLevel ? { actions: actionsOf(s, principalArn) } : {}),
  }
}

/**
 * The tracked actions of a row that were attempted, with when. AWS leaves the list out when none was
 * (and for services with no tracked action), so absent is an empty list. An action name that is not one
 * would be judged under a key of its own making: a reply not to act on.
 */
function actionsOf(row: ServiceLastAccessed, principalArn: string): ActionUsage[] {
  const actions: ActionUsage[] = []
  for (const a of row.TrackedActionsLastAccessed ?? []) {
    if (!a.ActionName || !ACTION_NAME.test(a.ActionName))
      throw new AccessAdvisorError(
        `report for ${principalArn} names action ${JSON.stringify(String(a.ActionName).slice(0, 80))} in ${row.ServiceNamespace}`,
      )
    if (!a.LastAccessedTime) continue
    actions.push({
      name: a.ActionName,
      lastAccessed: a.LastAccessedTime,
      ...(a.LastAccessedRegion ? { region: a.LastAccessedRegion } : {}),
    })
  }
  return actions
}

const ACTION_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/

async function waitForCompletion(
  iam: IAMClient,
  job: { jobId: string; principalArn: string },
  timing: { poll: PollSettings; sleep: Sleep; durations: JobDurations },
): Promise<GetServiceLastAccessedDetailsCommandOutput> {
  const { jobId, principalArn } = job
  const { poll, sleep, durations } = timing
  let waited = 0
  for (let attempt = 0; ; attempt++) {
    const at = durations.pollAt(attempt, { initialDelayMs: poll.initialDelayMs, maxDelayMs: poll.maxDelayMs })
    await sleep(Math.max(0, at - waited))
    waited = Math.max(waited, at)
    const page = await getPage(iam, jobId)
    switch (page.JobStatus) {
      case 'COMPLETED':
        return page
      case 'FAILED':
        throw new AccessAdvisorError(
          `job for ${principalArn} FAILED: ${page.Error?.Message ?? 'no reason given'}`,
        )
      case 'IN_PROGRESS':
        break
      default:
        throw new AccessAdvisorError(`job for ${principalArn} has unknown status ${String(page.JobStatus)}`)
    }
    if (waited >= poll.timeoutMs) {
      throw new AccessAdvisorError(`job for ${principalArn} still IN_PROGRESS after ${waited} ms`)
    }
  }
}

function getPage(iam: IAMClient, jobId: string, marker?: string) {
  // 1000 is the largest page IAM serves: an administrator's 400+ services come back in one call.
  return iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: 1000, Marker: marker }))
}
