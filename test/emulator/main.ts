/**
 * `npm run emulator -- [--port 4566] [--dynamo-port 4567] [--latency-ms 0] [--job-latency-ms 500]`
 * Starts the seeded demo organization and dynalite with the state table, and prints the standard SDK
 * settings that point the CLI at them. Stops on Ctrl-C.
 */
import { parseArgs } from 'node:util'
import { startDynalite } from '../support/dynalite.js'
import { DEMO_ACCOUNTS, demoOrg, PATH, PREFIX } from '../support/fixtures.js'
import { TABLE } from '../support/local-aws.js'
import { credentialsFor, EMULATOR_EXTERNAL_ID, startEmulator } from './server.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    'dynamo-port': { type: 'string', default: '4567' },
    'latency-ms': { type: 'string', default: '0' },
    'job-latency-ms': { type: 'string', default: '500' },
  },
})
const number = (name: keyof typeof values) => {
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`)
  return n
}

const emulator = await startEmulator(demoOrg(), {
  port: number('port'),
  latencyMs: number('latency-ms'),
  accessAdvisorLatencyMs: number('job-latency-ms'),
})
const dynamo = await startDynalite(number('dynamo-port'))
await dynamo.createTable(TABLE)
const hub = credentialsFor(DEMO_ACCOUNTS.management)
console.log(`Emulated organization on ${emulator.url} (IAM, STS, Organizations), DynamoDB on ${dynamo.url}.
Point the CLI at them with the SDK's standard settings:

export AWS_ENDPOINT_URL=${emulator.url} AWS_ENDPOINT_URL_DYNAMODB=${dynamo.url} AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=${hub.accessKeyId} AWS_SECRET_ACCESS_KEY=${hub.secretAccessKey}
export TABLE_NAME=${TABLE} EXTERNAL_ID=${EMULATOR_EXTERNAL_ID} POLICY_PATH=${PATH} POLICY_NAME_PREFIX=${PREFIX}
npm run cli -- sweep --plan

Ctrl-C stops both.`)
const stop = async () => {
  await emulator.close()
  await dynamo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
