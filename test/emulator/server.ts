/**
 * A local stand-in for AWS IAM (and, through the same port, the other services the hub calls), speaking
 * the real wire protocols so that the real SDK clients, their pagination, retries and error parsing run
 * unchanged. Point the SDK at it with AWS_ENDPOINT_URL.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serviceCatalog } from './grants.js'
import { handleIam, IAM_WRITE_ACTIONS } from './iam-api.js'
import type { EmAccount, EmState } from './model.js'
import { handleOrganizations } from './organizations-api.js'
import { type AccountSeed, buildState, type OrgSeed } from './seed.js'
import { signatureHolds } from './sigv4.js'
import { handleSts, STS_XMLNS } from './sts-api.js'
import { AwsFault, IAM_XMLNS, xmlError, xmlResponse } from './wire.js'

export interface EmulatorOptions {
  /** Added to every reply. */
  latencyMs?: number
  /** How long an Access Advisor job stays IN_PROGRESS. */
  accessAdvisorLatencyMs?: number
  /** A random extra of up to this many ms per job, as real jobs vary. */
  accessAdvisorJitterMs?: number
  /** Per-account request rate; beyond it requests fail with Throttling, as AWS does. */
  rateLimitPerSecond?: number
  /** Leave explicitly denied services out of Access Advisor reports. */
  hideDeniedServices?: boolean
  /** The clock the seed's relative dates are taken from. */
  now?: Date
  /** Name of the spoke role that AssumeRole accepts (default LeastPrivilegeSpoke). */
  spokeRoleName?: string
  /** ExternalId the spoke role's trust policy requires (default emulator-external-id). */
  externalId?: string
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number
}

export const EMULATOR_SPOKE_ROLE = 'LeastPrivilegeSpoke'
export const EMULATOR_EXTERNAL_ID = 'emulator-external-id'

export interface RequestRecord {
  service: string
  action: string
  account: string
  status: number
  write: boolean
  throttled?: boolean
}

export interface Fault {
  action: string
  account?: string
  /** How many requests fail; Infinity for all. */
  times: number
  code: string
  message?: string
}

export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Long-term keys of an administrator in each seeded account. */
export function credentialsFor(accountId: string): Credentials {
  return { accessKeyId: `AKIAEMU${accountId}`, secretAccessKey: 'emulator-secret' }
}

interface Identity {
  account: EmAccount
  /** The principal the keys belong to, when a test made one (else the account's administrator). */
  arn?: string
}

/** Keys a test gave to a principal of its own: who they are, and the secret that signs with them. */
interface Principal {
  accountId: string
  arn: string
  secretAccessKey: string
  sessionToken: string
}

export class Emulator {
  readonly requests: RequestRecord[] = []
  /** Asynchronous Lambda invocations received (the hub's continuations, sweeps started in the hub). */
  readonly invocations: { functionName: string; payload: unknown; requestId: string }[] = []
  /** Functions that answer synchronous invocations (a test registers the hub's handler). */
  readonly functions = new Map<string, (event: unknown, requestId: string) => Promise<unknown>>()
  private readonly faults: Fault[] = []
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly sessions = new Map<string, string>()
  private readonly principals = new Map<string, Principal>()
  private readonly sessionKeys = new Map<string, { secretAccessKey: string; sessionToken: string }>()
  private server?: Server
  url = ''

  constructor(
    readonly state: EmState,
    readonly options: EmulatorOptions = {},
  ) {}

  async start(): Promise<this> {
    const catalog = await serviceCatalog()
    this.server = createServer((req, res) => {
      this.handle(req, res, catalog).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    })
    // Node's agent drops a socket 1 s before the server's keep-alive ends: leave room, as AWS does.
    this.server.keepAliveTimeout = 60_000
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject)
      this.server?.listen(this.options.port ?? 0, '127.0.0.1', resolve)
    })
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Adds an account to the organization (a test's own world inside a shared emulator). */
  addAccount(seed: AccountSeed, now = new Date()): EmAccount {
    const account = buildState({ accounts: [seed] }, now).accounts.get(seed.id)
    if (!account) throw new Error(`seed of account ${seed.id} built nothing`)
    this.state.accounts.set(seed.id, account)
    return account
  }

  /**
   * Keys for a principal of the test's choosing (an operator's role session, a restricted user): STS
   * GetCallerIdentity names `arn` for them, and only when they signed the request.
   */
  addPrincipal(accountId: string, arn: string): Credentials {
    const accessKeyId = `ASIAPRN${randomBytes(6).toString('hex').toUpperCase()}`
    const secretAccessKey = randomBytes(20).toString('base64')
    const sessionToken = randomBytes(16).toString('base64')
    this.principals.set(accessKeyId, { accountId, arn, secretAccessKey, sessionToken })
    return { accessKeyId, secretAccessKey, sessionToken }
  }

  /** What signs with an access key: its secret, and for a session its token. */
  private keysOf(accessKeyId: string): { secretAccessKey: string; sessionToken?: string } | undefined {
    if (accessKeyId.startsWith('AKIAEMU')) return { secretAccessKey: credentialsFor('').secretAccessKey }
    return this.principals.get(accessKeyId) ?? this.sessionKeys.get(accessKeyId)
  }

  injectFault(fault: Fault): void {
    this.faults.push(fault)
  }

  /** Requests refused with a throttling error since the last reset. */
  throttledCount(): number {
    return this.requests.filter((r) => r.throttled).length
  }

  /** Requests per `service:Action`, for the benchmark's per-operation breakdown. */
  countsByAction(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const r of this.requests)
      counts[`${r.service}:${r.action}`] = (counts[`${r.service}:${r.action}`] ?? 0) + 1
    return counts
  }

  count(filter: { action?: string; account?: string; writes?: boolean; service?: string } = {}): number {
    return this.requests.filter(
      (r) =>
        (filter.action === undefined || r.action === filter.action) &&
        (filter.account === undefined || r.account === filter.account) &&
        (filter.service === undefined || r.service === filter.service) &&
        (filter.writes === undefined || r.write === filter.writes),
    ).length
  }

  resetCounts(): void {
    this.requests.length = 0
  }

  private identify(req: IncomingMessage): { identity: Identity; service: string } {
    const auth = req.headers.authorization ?? ''
    const match = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth)
    if (!match?.[1] || !match[2])
      throw new AwsFault('MissingAuthenticationToken', 'Request is missing Authentication Token')
    const keyId = match[1]
    const principal = this.principals.get(keyId)
    const accountId =
      principal?.accountId ??
      this.sessions.get(keyId) ??
      (keyId.startsWith('AKIAEMU') ? keyId.slice(7) : undefined)
    const account = accountId ? this.state.accounts.get(accountId) : undefined
    if (!account)
      throw new AwsFault('InvalidClientTokenId', 'The security token included in the request is invalid.')
    return { identity: { account, ...(principal ? { arn: principal.arn } : {}) }, service: match[2] }
  }

  private overRateLimit(accountId: string): boolean {
    const rate = this.options.rateLimitPerSecond
    if (!rate) return false
    const now = Date.now()
    const bucket = this.buckets.get(accountId) ?? { tokens: rate, at: now }
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate)
    bucket.at = now
    this.buckets.set(accountId, bucket)
    if (bucket.tokens < 1) return true
    bucket.tokens -= 1
    return false
  }

  private takeFault(action: string, accountId: string): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.times > 0 && f.action === action && (f.account === undefined || f.account === accountId),
    )
    if (fault) fault.times -= 1
    return fault
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    catalog: Awaited<ReturnType<typeof serviceCatalog>>,
  ) {
    const body = await readBody(req)
    const target = req.headers['x-amz-target']
    const json = typeof target === 'string'
    const params = new URLSearchParams(json ? '' : body)
    const lambdaPath = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')
    const action = lambdaPath
      ? 'Invoke'
      : json
        ? (target.split('.').pop() ?? '')
        : (params.get('Action') ?? '')
    let service = 'unknown'
    let accountId = ''
    let status = 200
    let throttled = false
    let reply: string
    const headers: Record<string, string> = {}
    const xmlns = () => (service === 'sts' ? STS_XMLNS : IAM_XMLNS)
    try {
      const who = this.identify(req)
      service = who.service
      accountId = who.identity.account.id
      if (this.options.latencyMs) await sleep(this.options.latencyMs)
      if (this.overRateLimit(accountId))
        throw new AwsFault(json ? 'TooManyRequestsException' : 'Throttling', 'Rate exceeded')
      const fault = this.takeFault(action, accountId)
      if (fault) throw new AwsFault(fault.code, fault.message ?? `injected ${fault.code}`)
      if (lambdaPath?.[1]) {
        const functionName = decodeURIComponent(lambdaPath[1])
        const requestId = randomUUID()
        headers['x-amzn-requestid'] = requestId
        if (req.headers['x-amz-invocation-type'] === 'Event') {
          this.invocations.push({ functionName, payload: JSON.parse(body) as unknown, requestId })
          status = 202
          reply = ''
        } else {
          const handler = this.functions.get(functionName.split(':').pop() ?? functionName)
          if (!handler)
            throw new AwsFault('ResourceNotFoundException', `Function not found: ${functionName}`, 404)
          // As Lambda does: a handler's error is a 200 with X-Amz-Function-Error and the error as payload.
          try {
            reply = JSON.stringify(await handler(JSON.parse(body) as unknown, requestId))
          } catch (error) {
            headers['x-amz-function-error'] = 'Unhandled'
            const e = error instanceof Error ? error : new Error(String(error))
            reply = JSON.stringify({ errorType: e.name, errorMessage: e.message })
          }
        }
      } else {
        if (service === 'sts' && action === 'GetCallerIdentity') {
          if (!(await signatureHolds(req, body, (key) => this.keysOf(key))))
            throw new AwsFault(
              'SignatureDoesNotMatch',
              'The request signature we calculated does not match the signature you provided.',
              403,
            )
        }
        reply = this.dispatch(service, action, params, body, who.identity, catalog)
      }
    } catch (error) {
      const fault = error instanceof AwsFault ? error : new AwsFault('ServiceFailure', String(error), 500)
      status = fault.status
      throttled = fault.code === 'Throttling' || fault.code === 'TooManyRequestsException'
      reply =
        json || lambdaPath
          ? JSON.stringify({ __type: fault.code, message: fault.message })
          : xmlError(fault, xmlns())
    }
    this.requests.push({
      service,
      action,
      account: accountId,
      status,
      write: status === 200 && IAM_WRITE_ACTIONS.has(action),
      ...(throttled ? { throttled } : {}),
    })
    res.writeHead(status, {
      'content-type': json || lambdaPath ? 'application/x-amz-json-1.1' : 'text/xml',
      ...headers,
    })
    res.end(reply)
  }

  private dispatch(
    service: string,
    action: string,
    params: URLSearchParams,
    body: string,
    identity: Identity,
    catalog: Awaited<ReturnType<typeof serviceCatalog>>,
  ): string {
    switch (service) {
      case 'iam': {
        const result = handleIam(
          {
            state: this.state,
            account: identity.account,
            catalog,
            now: () => new Date(),
            accessAdvisorLatencyMs:
              (this.options.accessAdvisorLatencyMs ?? 0) +
              Math.random() * (this.options.accessAdvisorJitterMs ?? 0),
            hideDeniedServices: this.options.hideDeniedServices ?? false,
          },
          action,
          params,
        )
        return xmlResponse(action, result, IAM_XMLNS)
      }
      case 'sts': {
        const result = handleSts(
          {
            state: this.state,
            callerAccountId: identity.account.id,
            ...(identity.arn ? { callerArn: identity.arn } : {}),
            spokeRoleName: this.options.spokeRoleName ?? EMULATOR_SPOKE_ROLE,
            externalId: this.options.externalId ?? EMULATOR_EXTERNAL_ID,
            issueSession: (keyId, accountId, keys) => {
              this.sessions.set(keyId, accountId)
              this.sessionKeys.set(keyId, keys)
            },
          },
          action,
          params,
        )
        return xmlResponse(action, result, STS_XMLNS)
      }
      case 'organizations': {
        const legacy = new Set(
          [...this.state.accounts.values()].filter((a) => a.legacyStatusOnly).map((a) => a.id),
        )
        const input = body ? (JSON.parse(body) as Record<string, unknown>) : {}
        const result = handleOrganizations(
          { state: this.state, callerAccountId: identity.account.id, legacyStatusAccounts: legacy },
          action,
          input,
        )
        return JSON.stringify(result)
      }
      case 'secretsmanager': {
        const { SecretId } = (body ? JSON.parse(body) : {}) as { SecretId?: string }
        const value = SecretId ? this.state.secrets.get(SecretId) : undefined
        if (
          action !== 'GetSecretValue' ||
          !SecretId ||
          value === undefined ||
          SecretId.split(':')[4] !== identity.account.id
        ) {
          throw new AwsFault(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret.",
            400,
          )
        }
        return JSON.stringify({
          ARN: SecretId,
          Name: SecretId.split(':').pop(),
          SecretString: value,
          VersionId: 'v1',
        })
      }
      default:
        throw new AwsFault('InvalidAction', `service ${service} is not emulated`)
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export async function startEmulator(seed: OrgSeed, options: EmulatorOptions = {}): Promise<Emulator> {
  return new Emulator(buildState(seed, options.now ?? new Date()), options).start()
}
