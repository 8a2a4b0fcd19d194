import { createHash } from 'node:crypto'
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts'
import { z } from 'zod'
import { LeastPrivilegeError, UnexpectedReplyError } from '../errors.js'

/** Who is running an operator command, for the audit trail: the caller's ARN as STS sees it. */
export async function callerArn(sts: STSClient): Promise<string> {
  const reply = await sts.send(new GetCallerIdentityCommand({}))
  if (!reply.Arn) throw new UnexpectedReplyError('GetCallerIdentity returned no Arn')
  return reply.Arn
}

/**
 * Who an operator is, proven to the hub by AWS itself: the operator's CLI signs an STS GetCallerIdentity
 * request that carries a digest of the operator's request in a signed header, and the hub sends that very
 * request to STS, which names the signer only if the signature holds. A forged caller, a request changed
 * after signing, or one sent after the signature's 15 minutes gets no name. (HashiCorp Vault's IAM auth
 * and Kubernetes' aws-iam-authenticator work this way.) A Lambda function URL's request context would
 * not do: anyone who may invoke the function can send an event shaped like one, naming anyone.
 */
export const REQUEST_DIGEST_HEADER = 'x-least-privilege-request'

/** The signed headers of the operator's GetCallerIdentity request. Holds a session token: never logged. */
export const callerProof = z.object({ headers: z.record(z.string(), z.string()) }).strict()
export type CallerProof = z.infer<typeof callerProof>

/** The operator refused: no proof, a proof STS does not accept, or a caller who is no operator. */
export class OperatorAuthError extends LeastPrivilegeError {
  override name = 'OperatorAuthError'
}

/** The digest a proof binds: of the request exactly as sent (JSON keeps its key order through a parse). */
export function requestDigest(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex')
}

type Headers = Record<string, string>
const requestOf = (args: unknown) => (args as { request: { headers: Headers } }).request

/** Signs (and sends) the caller's GetCallerIdentity with the digest in it; returns the caller and the proof. */
export async function proveCaller(
  sts: STSClient,
  digest: string,
): Promise<{ arn: string; proof: CallerProof }> {
  const command = new GetCallerIdentityCommand({})
  let signed: Headers | undefined
  command.middlewareStack.add(
    (next) => async (args) => {
      requestOf(args).headers[REQUEST_DIGEST_HEADER] = digest
      return next(args)
    },
    { step: 'build', name: 'leastPrivilegeRequestDigest' },
  )
  // Innermost, after signing: the headers exactly as sent (the last attempt's, after a retry).
  command.middlewareStack.add(
    (next) => async (args) => {
      signed = { ...requestOf(args).headers }
      return next(args)
    },
    { step: 'deserialize', priority: 'low', name: 'leastPrivilegeSignedHeaders' },
  )
  const reply = await sts.send(command)
  if (!reply.Arn || !signed) throw new UnexpectedReplyError('GetCallerIdentity returned no Arn')
  return { arn: reply.Arn, proof: { headers: signed } }
}

/** STS's answers to a signature it does not accept: the proof is refused, never retried or trusted. */
const REFUSALS = new Set([
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'MissingAuthenticationToken',
  'RequestExpired',
])

/**
 * The headers of a proof that are sent on to STS: what a signature covers, and nothing that steers the
 * transfer itself (a forged content-length would hold the hub's request open).
 */
const FORWARDED = /^(authorization|host|content-type|x-amz-[\w-]+|amz-sdk-[\w-]+|x-least-privilege-request)$/

/** A signature older than this, or dated ahead by more than a minute, is refused before STS is asked. */
const SIGNATURE_LIFETIME_MS = 5 * 60_000

/**
 * The ARN of whoever signed the proof, as STS answers it, once the proof is shown to be for `digest`.
 * The request goes to the hub's own STS endpoint (never one the proof names): a proof signed for another
 * host is refused rather than sent there. `sts` should not retry and should give up quickly: a proof
 * is anyone's to send.
 */
export async function verifiedCaller(sts: STSClient, proof: CallerProof, digest: string): Promise<string> {
  const headers: Headers = Object.fromEntries(
    Object.entries(proof.headers)
      .map(([name, value]) => [name.toLowerCase(), value] as const)
      .filter(([name]) => FORWARDED.test(name)),
  )
  const signedNames = /SignedHeaders=([^,\s]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? []
  if (!signedNames.includes(REQUEST_DIGEST_HEADER) || headers[REQUEST_DIGEST_HEADER] !== digest)
    throw new OperatorAuthError('the caller proof was not signed for this request')
  const signedAt = Date.parse(
    (headers['x-amz-date'] ?? '').replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    ),
  )
  const age = Date.now() - signedAt
  if (Number.isNaN(signedAt) || age > SIGNATURE_LIFETIME_MS || age < -60_000)
    throw new OperatorAuthError('the caller proof was signed too long ago, or not yet')
  const command = new GetCallerIdentityCommand({})
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = requestOf(args) as { headers: Headers; hostname: string; port?: number }
      const host = request.port ? `${request.hostname}:${request.port}` : request.hostname
      if (headers.host !== host)
        throw new OperatorAuthError(
          `the caller proof was signed for ${headers.host ?? 'no host'}, not this hub's STS endpoint ${host}`,
        )
      // The body is the hub's own, and so is its length: a proof's content-length is never sent.
      const length = request.headers['content-length']
      request.headers = { ...headers, ...(length ? { 'content-length': length } : {}) }
      return next(args)
    },
    { step: 'deserialize', priority: 'low', name: 'leastPrivilegeCallerProof' },
  )
  try {
    const reply = await sts.send(command)
    if (!reply.Arn) throw new UnexpectedReplyError('GetCallerIdentity returned no Arn')
    return reply.Arn
  } catch (error) {
    if (error instanceof OperatorAuthError) throw error
    const name = error instanceof Error ? error.name : String(error)
    throw new OperatorAuthError(
      REFUSALS.has(name)
        ? `STS did not accept the caller proof (${name})`
        : `the caller proof could not be checked with STS (${name})`,
    )
  }
}

/** A Lambda function's name, from its name or its ARN (with or without a qualifier). */
export function functionNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? nameOrArn) : nameOrArn
}

/** Whether `arn` matches one of the patterns (`*` matches any run of characters, as IAM's ArnLike). */
export function matchesAny(arn: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const regex = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')
    return new RegExp(`^${regex}$`).test(arn)
  })
}
