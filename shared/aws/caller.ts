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
 * The ARN of whoever signed the proof, as STS answers it, once the proof is shown to be for `digest`.
 * The request goes to the hub's own STS endpoint (never one the proof names): a proof signed for another
 * host is refused rather than sent there.
 */
export async function verifiedCaller(sts: STSClient, proof: CallerProof, digest: string): Promise<string> {
  const headers: Headers = Object.fromEntries(
    Object.entries(proof.headers).map(([name, value]) => [name.toLowerCase(), value]),
  )
  const signedNames = /SignedHeaders=([^,\s]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? []
  if (!signedNames.includes(REQUEST_DIGEST_HEADER) || headers[REQUEST_DIGEST_HEADER] !== digest)
    throw new OperatorAuthError('the caller proof was not signed for this request')
  const command = new GetCallerIdentityCommand({})
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = requestOf(args) as { headers: Headers; hostname: string; port?: number }
      const host = request.port ? `${request.hostname}:${request.port}` : request.hostname
      if (headers.host !== host)
        throw new OperatorAuthError(
          `the caller proof was signed for ${headers.host ?? 'no host'}, not this hub's STS endpoint ${host}`,
        )
      request.headers = { ...headers }
      return next(args)
    },
    { step: 'deserialize', priority: 'low', name: 'leastPrivilegeCallerProof' },
  )
  try {
    const reply = await sts.send(command)
    if (!reply.Arn) throw new UnexpectedReplyError('GetCallerIdentity returned no Arn')
    return reply.Arn
  } catch (error) {
    if (error instanceof Error && REFUSALS.has(error.name))
      throw new OperatorAuthError(`STS did not accept the caller proof (${error.name})`)
    throw error
  }
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
