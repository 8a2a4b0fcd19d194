/**
 * Checks a request's Signature Version 4 the way AWS does, with the signer the SDK itself uses: the
 * emulator checks it where the hub trusts who signed (STS GetCallerIdentity), so a test can show that
 * a forged or altered caller proof is refused.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { SignatureV4 } from '@smithy/signature-v4'

/** The hash the signer asks for, over node's crypto. */
type Data = string | ArrayBuffer | ArrayBufferView
const bytes = (data: Data) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)
class Sha256 {
  private readonly hash
  constructor(secret?: Data) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256')
  }
  update(data: Data): void {
    this.hash.update(bytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest()
  }
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/

/** True when the request's signature is the one its access key's secret gives over what it signed. */
export async function signatureHolds(
  req: IncomingMessage,
  body: string,
  keysOf: (accessKeyId: string) => { secretAccessKey: string; sessionToken?: string } | undefined,
): Promise<boolean> {
  const match = AUTH.exec(req.headers.authorization ?? '')
  const amzDate = req.headers['x-amz-date']
  if (!match || typeof amzDate !== 'string') return false
  const [, accessKeyId = '', , region = '', service = '', signedList = '', signature = ''] = match
  const keys = keysOf(accessKeyId)
  if (!keys || service !== 'sts') return false
  const { secretAccessKey } = keys
  // A session's keys sign only with their own token; the host is always signed.
  if (keys.sessionToken !== undefined && req.headers['x-amz-security-token'] !== keys.sessionToken)
    return false
  const signed = signedList.split(';')
  if (!signed.includes('host')) return false
  const headers: Record<string, string> = {}
  for (const name of signed) {
    const value = req.headers[name]
    if (value === undefined) return false
    headers[name] = Array.isArray(value) ? value.join(',') : value
  }
  const url = new URL(req.url ?? '/', 'http://emulator')
  const token = req.headers['x-amz-security-token']
  const signer = new SignatureV4({
    service,
    region,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(typeof token === 'string' ? { sessionToken: token } : {}),
    },
    sha256: Sha256,
    applyChecksum: false,
  })
  const date = amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')
  // AWS refuses a signature more than 15 minutes from its own clock.
  if (Math.abs(Date.parse(date) - Date.now()) > 15 * 60_000) return false
  const result = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: headers.host?.split(':')[0] ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    },
    { signingDate: new Date(date), signableHeaders: new Set(signed), unsignableHeaders: new Set() },
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(String(result.headers.authorization))?.[1] ?? ''
  return expected.length === 64 && timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
}
