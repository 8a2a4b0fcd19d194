import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BundleResult, buildAll } from '../../hub/bundle.js'
import { testEnv } from '../support/env.js'
import { DEMO_ACCOUNTS, demoOrg } from '../support/fixtures.js'
import { hubTestEnv } from '../support/local-aws.js'
import { operatorArn, operatorEvent } from '../support/operator.js'
import { startDynamoHarness } from '../support/org-harness.js'

const h = await startDynamoHarness(demoOrg())
let built: BundleResult
beforeAll(async () => {
  built = await buildAll()
}, 60_000)

describe('npm run package', () => {
  it('zips the Lambda as index.mjs and keeps dev-only and GPL-family code out', async () => {
    const zip = await readFile(built.zipPath)
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304') // a zip file
    expect(zip.includes(Buffer.from('index.mjs'))).toBe(true)
    expect(built.packages).not.toContain('@cloud-copilot/iam-simulate')
    for (const name of built.packages) {
      const manifest = JSON.parse(await readFile(join('node_modules', name, 'package.json'), 'utf8')) as {
        license?: string
      }
      expect(manifest.license ?? '', name).not.toMatch(/GPL/)
    }
  })

  it('builds the package bin as one executable file that answers as the CLI, so least-privilege works once installed', async () => {
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string> }
    expect(resolve(manifest.bin['least-privilege'] ?? '')).toBe(resolve(built.cliPath))
    expect((await stat(built.cliPath)).mode & 0o111).not.toBe(0)
    const { stdout } = await promisify(execFile)(built.cliPath, ['--version'], { env: process.env })
    expect(stdout.trim()).toBe(
      (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version,
    )
  })

  it("starts: the bundled handler checks an operator's proof and sweeps the emulated organization", async () => {
    testEnv({ ...hubTestEnv(), OPERATOR_ARNS: operatorArn(DEMO_ACCOUNTS.management), LOG_LEVEL: 'silent' })
    const bundle = (await import(pathToFileURL(join(built.zipPath, '..', 'lambda', 'index.mjs')).href)) as {
      handler: (
        event: unknown,
        context: unknown,
      ) => Promise<{ started?: true; status?: string; summary?: { accountsSwept: number } }>
    }
    const started = await bundle.handler(
      await operatorEvent(h.emulator, {
        action: 'sweep',
        mode: 'plan',
        accounts: [DEMO_ACCOUNTS.production],
      }),
      {
        awsRequestId: 'bundle-start',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:least-privilege-hub',
        getRemainingTimeInMillis: () => 900_000,
      },
    )
    expect(started).toMatchObject({ started: true })
    // The sweep is carried on by the continuation the hub sent itself.
    const next = h.emulator.invocations.at(-1)?.payload
    expect(next).toMatchObject({ continuation: { hop: 1 } })
    const report = await bundle.handler(next, {
      awsRequestId: 'bundle-continuation',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:least-privilege-hub',
      getRemainingTimeInMillis: () => 900_000,
    })
    expect(report).toMatchObject({ status: 'completed', summary: { accountsSwept: 1 } })
  })
})
