/**
 * Runs the per-account engine against the local emulator on a small seeded account: plan, enforce,
 * then enforce again (which changes nothing). No AWS account needed.
 */

import { createIamClient } from '../../shared/aws/clients.js'
import { sweepAccount } from '../../shared/engine/sweep-account.js'
import { createLogger } from '../../shared/logger.js'
import { credentialsFor, startEmulator } from '../emulator/server.js'
import { statusAccount, testConfig } from '../support/fixtures.js'

const ACCOUNT = '123456789012'
const emulator = await startEmulator({ accounts: [statusAccount(ACCOUNT)] })
process.env.AWS_ENDPOINT_URL = emulator.url
try {
  const iam = createIamClient({ credentials: credentialsFor(ACCOUNT), maxAttempts: 8 })
  const log = createLogger({ level: 'warn' })
  for (const mode of ['plan', 'enforce', 'enforce'] as const) {
    emulator.resetCounts()
    const result = await sweepAccount({ iam, log, now: new Date() }, ACCOUNT, testConfig({ mode }))
    console.log(
      `\n== ${mode} sweep of ${ACCOUNT}: ${emulator.count()} IAM calls, ${emulator.count({ writes: true })} writes`,
    )
    console.table(
      result.decisions.map((d) => ({
        user: d.userName,
        status: d.status,
        denied: d.denied.length,
        added: d.added.length > 6 ? `${d.added.length} services` : d.added.map((c) => c.namespace).join(' '),
        removed: d.removed.map((c) => c.namespace).join(' '),
        reason: d.reason.slice(0, 60),
      })),
    )
  }
} finally {
  await emulator.close()
}
