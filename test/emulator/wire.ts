/** AWS query protocol (form-encoded requests, XML replies): what the real SDK parses. */
import { randomUUID } from 'node:crypto'

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/'

/** An AWS error the emulator returns the way AWS does: code, HTTP status, message. */
export class AwsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = statusFor(code),
  ) {
    super(message)
  }
}

function statusFor(code: string): number {
  switch (code) {
    case 'NoSuchEntity':
      return 404
    case 'EntityAlreadyExists':
    case 'LimitExceeded':
    case 'DeleteConflict':
      return 409
    case 'AccessDenied':
    case 'InvalidClientTokenId':
    case 'AccessDeniedException':
      return 403
    case 'ServiceFailure':
      return 500
    default:
      return 400
  }
}

/** Marks an object rendered as a query-protocol map (`<entry><key/><value/></entry>`). */
export class XmlMap {
  constructor(readonly entries: Record<string, string | number>) {}
}

export type Params = URLSearchParams

export function required(params: Params, name: string): string {
  const value = params.get(name)
  if (value === null || value === '')
    throw new AwsFault('ValidationError', `1 validation error detected: ${name} is required`)
  return value
}

/** `Name.member.1`, `Name.member.2`, ... */
export function memberList(params: Params, name: string): string[] {
  const out: string[] = []
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`) ?? '')
  return out
}

/** `Tags.member.1.Key`, `Tags.member.1.Value`, ... */
export function tagList(params: Params, name = 'Tags'): { Key: string; Value: string }[] {
  const out: { Key: string; Value: string }[] = []
  for (let i = 1; params.has(`${name}.member.${i}.Key`); i++) {
    out.push({
      Key: params.get(`${name}.member.${i}.Key`) ?? '',
      Value: params.get(`${name}.member.${i}.Value`) ?? '',
    })
  }
  return out
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function toXml(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (value instanceof Date) return value.toISOString()
  if (value instanceof XmlMap) {
    return Object.entries(value.entries)
      .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(String(v))}</value></entry>`)
      .join('')
  }
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('')
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('')
  }
  return escapeXml(String(value))
}

export function xmlResponse(action: string, result: object | undefined, xmlns: string): string {
  const body = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`
  return `<${action}Response xmlns="${xmlns}">${body}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
}

export function xmlError(fault: AwsFault, xmlns: string): string {
  const type = fault.status >= 500 ? 'Receiver' : 'Sender'
  return `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
}

/** Paginates with AWS-style opaque markers (here: the offset). */
export function page<T>(
  items: readonly T[],
  params: Params,
  defaultMax = 100,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const max = Number(params.get('MaxItems') ?? defaultMax)
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw new AwsFault('ValidationError', 'MaxItems must be 1 to 1000')
  const markerText = params.get('Marker')
  const start = markerText ? Number(Buffer.from(markerText, 'base64').toString()) : 0
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new AwsFault('InvalidInput', 'invalid Marker')
  const slice = items.slice(start, start + max)
  const next = start + max
  return next < items.length
    ? { items: slice, IsTruncated: true, Marker: Buffer.from(String(next)).toString('base64') }
    : { items: slice, IsTruncated: false }
}
