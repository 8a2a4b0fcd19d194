import { STSClient } from '@aws-sdk/client-sts'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type CallerProof,
  matchesAny,
  OperatorAuthError,
  proveCaller,
  requestDigest,
  verifiedCaller,
} from '../../shared/aws/caller.js'
import { credentialsFor, startEmulator } from '../emulator/server.js'

const HUB = '111111111111'
const emulator = await startEmulator({ managementAccountId: HUB, accounts: [{ id: HUB, users: [] }] })
afterAll(() => emulator.close())
const OPERATOR = `arn:aws:sts::${HUB}:assumed-role/least-privilege-operator/alice`
const sts = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new STSClient({ region: 'us-east-1', endpoint: emulator.url, credentials, maxAttempts: 1 })
/** The hub's own STS client: its own credentials, the same endpoint. */
const hubSts = sts(credentialsFor(HUB))
const request = { action: 'release', accountId: '222222222222', userName: 'bob', services: ['ec2'] }

describe('the caller proof', () => {
  it('names the operator who signed it, as STS answers, for the request it was signed for', async () => {
    const operator = sts(emulator.addPrincipal(HUB, OPERATOR))
    const { arn, proof } = await proveCaller(operator, requestDigest(request))
    expect(arn).toBe(OPERATOR)
    expect(await verifiedCaller(hubSts, proof, requestDigest(request))).toBe(OPERATOR)
  })

  it('is refused for another request, however the proof is edited to match it', async () => {
    const { proof } = await proveCaller(sts(emulator.addPrincipal(HUB, OPERATOR)), requestDigest(request))
    const wider = { ...request, services: ['ec2', 'iam'] }
    await expect(verifiedCaller(hubSts, proof, requestDigest(wider))).rejects.toThrow(
      /not signed for this request/,
    )
    // The digest header rewritten to the new request: the signature no longer holds, and STS says so.
    const edited: CallerProof = {
      headers: { ...proof.headers, 'x-least-privilege-request': requestDigest(wider) },
    }
    await expect(verifiedCaller(hubSts, edited, requestDigest(wider))).rejects.toThrow(OperatorAuthError)
    await expect(verifiedCaller(hubSts, edited, requestDigest(wider))).rejects.toThrow(
      /STS did not accept the caller proof \(SignatureDoesNotMatch\)/,
    )
  })

  it('is refused when signed with keys whose secret the signer does not hold', async () => {
    const real = emulator.addPrincipal(HUB, OPERATOR)
    const forged = sts({ ...real, secretAccessKey: 'guessed' })
    // The forger's own call fails at STS too; the proof they send is the headers they signed.
    await expect(proveCaller(forged, requestDigest(request))).rejects.toThrow(/signature/i)
  })

  it("is refused when its signature is not the signer's", async () => {
    const { proof } = await proveCaller(sts(emulator.addPrincipal(HUB, OPERATOR)), requestDigest(request))
    const authorization = (proof.headers.authorization ?? '').replace(
      /Signature=(.)/,
      (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`,
    )
    const forged = { headers: { ...proof.headers, authorization } }
    await expect(verifiedCaller(hubSts, forged, requestDigest(request))).rejects.toThrow(
      /STS did not accept the caller proof \(SignatureDoesNotMatch\)/,
    )
  })

  it("is refused when the session token is not the keys' own", async () => {
    const keys = emulator.addPrincipal(HUB, OPERATOR)
    const other = emulator.addPrincipal(HUB, 'arn:aws:iam::111111111111:user/mallory')
    const mixed = sts({ ...keys, sessionToken: other.sessionToken ?? '' })
    await expect(proveCaller(mixed, requestDigest(request))).rejects.toThrow(/signature/i)
  })

  it('sends on only the headers a signature covers, so a forged content-length cannot hold the hub', async () => {
    const { proof } = await proveCaller(sts(emulator.addPrincipal(HUB, OPERATOR)), requestDigest(request))
    const padded = { headers: { ...proof.headers, 'Content-Length': '100000', connection: 'keep-alive' } }
    expect(await verifiedCaller(hubSts, padded, requestDigest(request))).toBe(OPERATOR)
  })

  it('refuses a proof signed for another STS endpoint rather than sending it there', async () => {
    const { proof } = await proveCaller(sts(emulator.addPrincipal(HUB, OPERATOR)), requestDigest(request))
    const elsewhere = { headers: { ...proof.headers, host: 'sts.example.com' } }
    await expect(verifiedCaller(hubSts, elsewhere, requestDigest(request))).rejects.toThrow(
      /signed for sts.example.com, not this hub's STS endpoint/,
    )
  })

  it('matches ARN patterns as IAM does, with * for any run of characters', () => {
    const patterns = [`arn:aws:sts::${HUB}:assumed-role/least-privilege-operator/*`]
    expect(matchesAny(OPERATOR, patterns)).toBe(true)
    expect(matchesAny(`arn:aws:sts::${HUB}:assumed-role/least-privilege-operator-x/bob`, patterns)).toBe(
      false,
    )
    expect(matchesAny(`arn:aws:iam::${HUB}:user/least-privilege-operator`, patterns)).toBe(false)
  })
})
