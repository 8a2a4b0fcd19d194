/**
 * The process environment for one test: what code reading `process.env` itself (the Lambda handler, the
 * SDK's default chain) sees. Put back as it was when the test ends, so no later test inherits it.
 */
import { onTestFinished } from 'vitest'

export function testEnv(set: Record<string, string>, unset: readonly string[] = []): void {
  const saved = { ...process.env }
  onTestFinished(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  })
  for (const key of unset) delete process.env[key]
  Object.assign(process.env, set)
}
