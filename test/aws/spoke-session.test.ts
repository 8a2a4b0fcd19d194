import { describe, expect, it } from 'vitest'
import { renewing, type TemporaryCredentials } from '../../shared/aws/spoke-session.js'

const session = (id: string, minutesLeft: number): TemporaryCredentials => ({
  accessKeyId: id,
  secretAccessKey: 'secret',
  sessionToken: 'token',
  expiration: new Date(Date.now() + minutesLeft * 60_000),
})

describe('spoke sessions', () => {
  it('renew themselves near their end, once however many requests ask at the same time', async () => {
    let renewals = 0
    const fresh = renewing(session('first', 50), async () => session(`renewed-${++renewals}`, 60))
    expect((await fresh()).accessKeyId).toBe('first')
    expect(renewals).toBe(0)

    const ending = renewing(session('first', 3), async () => session(`renewed-${++renewals}`, 60))
    const [a, b] = await Promise.all([ending(), ending()])
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['renewed-1', 'renewed-1'])
    expect((await ending()).accessKeyId).toBe('renewed-1')
    expect(renewals).toBe(1)
  })
})
