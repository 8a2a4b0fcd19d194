/** `npm run emulator -- --help`: the demo organization and dynalite, for driving the CLI by hand. */
import { parseArgs } from 'node:util'
import { startDynalite } from '../support/dynalite.js'
import { DEMO_ACCOUNTS, demoOrg, PATH, PREFIX } from '../support/fixtures.js'
import { TABLE } from '../support/local-aws.js'
import { credentialsFor, EMULATOR_EXTERNAL_ID, startEmulator } from './server.js'

// The SDK warns on Node 20 that its next majors need Node 22, as the CLI's bin keeps quiet about too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const HELP = `npm run emulator -- [options]
Starts the seeded demo organization (IAM, STS, Organizations) and dynalite with the state table on
127.0.0.1, and prints the SDK settings that point the CLI at them. Ctrl-C stops both.

  --port N            the emulator's port (default 4566)
  --dynamo-port N     dynalite's port (default 4567)
  --latency-ms N      added to every emulated AWS request (default 0)
  --job-latency-ms N  how long an Access Advisor job stays IN_PROGRESS (default 500)
  --help              this text`

const values = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '4566' },
        'dynamo-port': { type: 'string', default: '4567' },
        'latency-ms': { type: 'string', default: '0' },
        'job-latency-ms': { type: 'string', default: '500' },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (error) {
    // An unknown flag is bad usage (2), said with the usage.
    console.error(`${(error as Error).message}\n\n${HELP}`)
    process.exit(2)
  }
})()
if (values.help) {
  console.log(HELP)
  process.exit(0)
}
/** A flag's value that is no whole number is bad usage (2), said with the usage. */
const number = (name: Exclude<keyof typeof values, 'help'>) => {
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, not ${values[name]}\n\n${HELP}`)
    process.exit(2)
  }
  return n
}

/** A port someone else holds is said as such, with the flag that picks another. */
async function listening<T>(what: string, flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    console.error(
      `${what}: port ${values[flag as 'port']} is in use (another emulator?); stop it, or pick another with --${flag} N`,
    )
    process.exit(2)
  }
}

const emulator = await listening('emulator', 'port', () =>
  startEmulator(demoOrg(), {
    port: number('port'),
    latencyMs: number('latency-ms'),
    accessAdvisorLatencyMs: number('job-latency-ms'),
  }),
)
const dynamo = await listening('dynalite', 'dynamo-port', () => startDynalite(number('dynamo-port')))
await dynamo.createTable(TABLE)
const hub = credentialsFor(DEMO_ACCOUNTS.management)
console.log(`Emulated organization on ${emulator.url} (IAM, STS, Organizations), DynamoDB on ${dynamo.url}.
Point the CLI at them with the SDK's standard settings:

export AWS_ENDPOINT_URL=${emulator.url} AWS_ENDPOINT_URL_DYNAMODB=${dynamo.url} AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=${hub.accessKeyId} AWS_SECRET_ACCESS_KEY=${hub.secretAccessKey}
export TABLE_NAME=${TABLE} EXTERNAL_ID=${EMULATOR_EXTERNAL_ID} POLICY_PATH=${PATH} POLICY_NAME_PREFIX=${PREFIX}
# as the demo: every status on the day (leave it out to see denies announced a week ahead)
export NOTICE_DAYS=0
npm run -s cli -- sweep --plan

Ctrl-C stops both.`)
const stop = async () => {
  await emulator.close()
  await dynamo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
