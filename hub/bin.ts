#!/usr/bin/env node
import { createInterface } from 'node:readline/promises'
import { runCli } from './cli.js'

// The SDK warns on every run of Node 20 that its next majors need Node 22; an operator's terminal is not
// the place (the Lambda runs nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// A reader that stops early (`| head`) closes the pipe: that ends the output, and is no failure. Results
// are printed last, so stdout ends the run; logs on a closed stderr are dropped while a sweep finishes
// and gives its locks back.
const closedPipe = (then: () => void) => (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  then()
}
process.stdout.on(
  'error',
  closedPipe(() => process.exit(process.exitCode ?? 0)),
)
process.stderr.on(
  'error',
  closedPipe(() => undefined),
)

/** A yes/no question on the terminal; default no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => console.log(t),
  stderr: process.stderr,
  env: process.env,
  ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
})
