/**
 * `npm run demo`: the org-wide sweep on a local stand-in organization, no AWS account needed.
 * Starts the IAM/STS/Organizations emulator and dynalite on 127.0.0.1, points the SDK's standard
 * settings at them, and drives the real CLI: plan, enforce, enforce again (no change), then the audit views,
 * operator actions, and a new account's onboarding with notice before its denies.
 */
import { runCli } from '../../hub/cli.js'
import { startEmulator } from '../emulator/server.js'
import { startDynalite } from '../support/dynalite.js'
import { DEMO_ACCOUNTS, demoOrg } from '../support/fixtures.js'
import { hubTestEnv, pointSdkAt, TABLE } from '../support/local-aws.js'

// The SDK warns on Node 20 that its next majors need Node 22, as the CLI's bin keeps quiet about too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const started = Date.now()
const emulator = await startEmulator(demoOrg(), { accessAdvisorLatencyMs: 200 })
const dynamo = await startDynalite()
let failures = 0
const NEW_ACCOUNT = '666666666666'
try {
  await dynamo.createTable(TABLE)
  pointSdkAt(emulator.url, dynamo.url, DEMO_ACCOUNTS.management)
  // The seeded organization shows every status on the day: denies land at once (NOTICE_DAYS=0), until
  // the last steps, where a new account is onboarded with the default notice.
  const env = { ...process.env, ...hubTestEnv() }
  const withNotice = { ...env, NOTICE_DAYS: '7' }
  const cli = async (title: string, ...argv: string[]) => run(env, title, ...argv)
  const run = async (runEnv: NodeJS.ProcessEnv, title: string, ...argv: string[]) => {
    console.log(`\n━━ ${title}\n$ least-privilege ${argv.join(' ')}`)
    const code = await runCli(argv, { stdout: (t) => console.log(t), stderr: process.stderr, env: runEnv })
    console.log(`(exit code ${code})`)
    // 3: the sweep completed with accounts not swept cleanly (the demo's sandbox has no spoke role).
    if (code !== 0 && code !== 3) failures++
  }
  emulator.resetCounts()
  await cli('1. Plan sweep: what would change (no write call)', 'sweep', '--plan')
  console.log(`IAM writes during the plan sweep: ${emulator.count({ writes: true })}`)
  await cli(
    '1b. The go/no-go: per user, what the plan sweep would deny, each service with its last use',
    'audit',
    'plan',
    '--account',
    DEMO_ACCOUNTS.production,
  )
  await cli(
    '2. Enforce sweep: the first one restricts most users, so the blast-radius brake holds it back',
    'sweep',
    '--enforce',
  )
  await cli('3. The same, confirmed on purpose', 'sweep', '--enforce', '--confirm-large-change')
  emulator.resetCounts()
  dynamo.reset()
  await cli('4. Enforce again: nothing changed, so nothing is written', 'sweep', '--enforce')
  console.log(
    `IAM writes: ${emulator.count({ writes: true })}; DynamoDB writes: ${dynamo.writes()} (sweep records, account locks, and the reports read again)`,
  )
  await cli('5. The last sweeps', 'audit', 'sweeps', '--limit', '3')
  await cli(
    '6. Unreachable accounts (spoke role not deployed)',
    'audit',
    'accounts',
    '--status',
    'unreachable',
  )
  for (const status of ['exempt', 'quota-blocked', 'error', 'too-young']) {
    await cli(`7. Users ${status}`, 'audit', 'status', status)
  }
  await cli(
    '8. One user: current state and history',
    'audit',
    'history',
    '--account',
    DEMO_ACCOUNTS.production,
    '--user',
    'bob',
  )
  await adminStep(DEMO_ACCOUNTS.management, 'ops-admin')
  await cli(
    "8c. Credentials the project deactivated: ci-deploy's old key, unused 200 days",
    'audit',
    'credentials',
  )
  const oldKey = emulator.state.accounts.get(DEMO_ACCOUNTS.management)?.users.get('ci-deploy')?.accessKeys[1]
  console.log(`ci-deploy's old key ${oldKey?.id} in IAM: ${oldKey?.status}`)
  await cli(
    '8d. The release pipeline still needs it: an operator restores it (its unused window starts again)',
    'restore',
    '--account',
    DEMO_ACCOUNTS.management,
    '--user',
    'ci-deploy',
    '--key',
    oldKey?.id ?? '',
    '--reason',
    'demo: the old pipeline runs once a year',
    '--enforce',
  )
  console.log(`ci-deploy's old key ${oldKey?.id} in IAM: ${oldKey?.status}`)
  await cli(
    '9. Exempt bob from his elasticloadbalancing deny for 7 days (the next sweep lifts it)',
    'exempt',
    '--account',
    DEMO_ACCOUNTS.production,
    '--user',
    'bob',
    '--service',
    'elasticloadbalancing',
    '--days',
    '7',
    '--reason',
    'demo',
    '--enforce',
  )
  const bob = emulator.state.accounts.get(DEMO_ACCOUNTS.production)?.users.get('bob')
  if (bob) bob.lastUsed.ec2 = new Date() // someone with bob's keys tries EC2
  await cli(
    '10. bob tries EC2, which is denied: the deny stays and the attempt is reported (--full reads every report now)',
    'sweep',
    '--enforce',
    '--full',
    '--account',
    DEMO_ACCOUNTS.production,
  )
  await cli('11. Attempts on denied services', 'audit', 'attempts')
  await cli(
    '12. An operator releases EC2 for bob on purpose (recorded with who and why)',
    'release',
    '--account',
    DEMO_ACCOUNTS.production,
    '--user',
    'bob',
    '--service',
    'ec2',
    '--reason',
    'demo: bob needs EC2 again',
    '--enforce',
  )
  await cli(
    '13. Rollback preview for the production account (without --enforce, nothing is removed)',
    'rollback',
    '--account',
    DEMO_ACCOUNTS.production,
  )
  emulator.addAccount({
    id: NEW_ACCOUNT,
    name: 'new-team',
    users: ['dana', 'eli', 'finn'].map((name) => ({
      name,
      createdDaysAgo: 300,
      policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'],
      lastUsedDaysAgo: { s3: 2, ec2: 150 },
    })),
  })
  await run(
    withNotice,
    '14. A new account joins: its first enforce sweep announces its denies, NOTICE_DAYS (7) ahead, and denies nothing yet',
    'sweep',
    '--enforce',
    '--account',
    NEW_ACCOUNT,
  )
  await run(
    withNotice,
    '15. The denies announced, with the commands that keep a service (carried out on their day if still unused)',
    'audit',
    'scheduled',
    '--account',
    NEW_ACCOUNT,
  )

  /**
   * What one administrator kept and lost, from `audit user --json`: the services denied whole, and
   * within the services they use, the actions denied one by one.
   */
  async function adminStep(account: string, user: string) {
    const argv = ['audit', 'user', '--account', account, '--user', user, '--json']
    console.log(
      `\n━━ 8b. An administrator who only self-serves in IAM and reads S3 objects\n$ least-privilege ${argv.join(' ')}`,
    )
    let json = ''
    const code = await runCli(argv, { stdout: (t) => (json += t), stderr: process.stderr, env })
    if (code !== 0) failures++
    const state = JSON.parse(json) as { denied: string[] }
    const services = state.denied.filter((k) => !k.includes(':'))
    const actions = state.denied.filter((k) => k.includes(':'))
    const shown = [
      'iam:CreateUser',
      'iam:AttachUserPolicy',
      'iam:CreateRole',
      's3:PutBucketPolicy',
      's3:DeleteBucket',
    ]
    const kept = ['iam:GetUser', 'iam:ChangePassword', 'iam:CreateAccessKey', 's3:GetObject']
    console.log(`${user}: ${services.length} services denied whole (${services.slice(0, 5).join(', ')}, ...)`)
    console.log(
      `${user}: ${actions.length} actions of iam and s3 denied one by one, among them: ${shown.filter((a) => actions.includes(a)).join(', ')}`,
    )
    console.log(
      `${user}: kept: ${kept.filter((a) => !state.denied.includes(a) && !services.includes(a.split(':')[0] ?? '')).join(', ')}`,
    )
  }
} finally {
  await emulator.close()
  await dynamo.close()
}
console.log(
  `\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s${failures ? ` with ${failures} failed commands` : ''}.`,
)
process.exitCode = failures ? 1 : 0
