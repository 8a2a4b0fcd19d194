import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

it('npm run demo: exits 0, enforces, then makes no IAM write on the steady-state sweep', async () => {
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'test/demo/demo.ts'], {
    timeout: 60_000,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  })
  expect(stdout).toMatch(/IAM writes during the plan sweep: 0/)
  // The plan is kept for review, each service with its last use (or never).
  expect(stdout).toMatch(
    /│ 222222222222 │ bob +│ deny now +│ \d+ +│ [a-z0-9-]+ \((never|\d{4}-\d{2}-\d{2})\)/,
  )
  expect(stdout).toMatch(/\(enforce\): completed/)
  expect(stdout).toMatch(
    /IAM writes: 0; DynamoDB writes: 16 \(sweep records, account locks, and the reports read again\)/,
  )
  // Two calls a swept account for its credential report, and nothing else on an unchanged day.
  expect(stdout).toMatch(/16 IAM calls \(0 throttled\); 22 Access Advisor reads skipped/)
  // ci-deploy's old key, unused 200 days, is deactivated by the first enforce sweep (the onboarding,
  // with NOTICE_DAYS=0), listed by `audit credentials`, and put back by `restore`.
  expect(stdout).toMatch(
    /111111111111 │ braked +│ 4 +│ [^│]+│ 0 +│ 0 +│ 1 deactivated; IAM\.8 \d\/4, IAM\.22 \d\/4 │/,
  )
  expect(stdout).toMatch(/│ 111111111111 │ ci-deploy │ key +│ AKIA\w+ │ deactivated │/)
  const key = /ci-deploy's old key (AKIA\w+) in IAM: Inactive/.exec(stdout)?.[1]
  expect(key).toBeDefined()
  expect(stdout).toContain(`ci-deploy: restored: key ${key}`)
  expect(stdout).toContain(`ci-deploy's old key ${key} in IAM: Active`)
  // An administrator who only self-serves loses the power to make a principal, and keeps their own.
  expect(stdout).toMatch(
    /ops-admin: \d+ actions of iam and s3 denied one by one, among them: iam:CreateUser, iam:AttachUserPolicy, iam:CreateRole, s3:PutBucketPolicy, s3:DeleteBucket/,
  )
  expect(stdout).toMatch(
    /ops-admin: kept: iam:GetUser, iam:ChangePassword, iam:CreateAccessKey, s3:GetObject/,
  )
  // Step 10 reads bob's report afresh, so step 11 shows the attempt it speaks of.
  expect(stdout).toMatch(/│ \d{4}-\d{2}-\d{2}T[\d:.]+Z │ 222222222222 │ bob +│ ec2 +│ us-east-1 │/)
  // The new account is onboarded with notice: nothing denied, its denies listed with their day.
  expect(stdout).toMatch(/666666666666 │ swept +│ 3 +│ unchanged 3 +│ 0 +│ 3 /)
  expect(stdout).toMatch(/│ \d{4}-\d{2}-\d{2} │ 666666666666 │ dana +│ 5 +│ autoscaling cloudwatch ec2/)
  // More than a few services: one short command cancels the whole schedule.
  expect(stdout).toContain(
    'least-privilege release --account 666666666666 --user dana --scheduled --reason "..." --enforce',
  )
  expect(stdout).toMatch(/Demo finished in [\d.]+ s\.$/m)
}, 90_000)
