/** A local HTTP server standing in for Slack's incoming webhook. */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll } from 'vitest'

export interface SlackStandIn {
  /** The webhook URL; its path plays the secret part of a real one. */
  url: string
  messages: { blocks?: unknown[]; text?: string }[]
  requests: number
  /** Answers to give, in order, before answering 200 "ok". */
  script: { status: number; retryAfter?: number; body?: string }[]
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const standIn: SlackStandIn = { url: '', messages: [], requests: 0, script: [] }
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    standIn.requests++
    const next = standIn.script.shift()
    if (next) {
      res.writeHead(
        next.status,
        next.retryAfter === undefined ? {} : { 'retry-after': String(next.retryAfter) },
      )
      res.end(next.body ?? 'error')
      return
    }
    standIn.messages.push(
      JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackStandIn['messages'][number],
    )
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0000/B0000/s3cr3tW3bh00kT0k3n`
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return standIn
}
