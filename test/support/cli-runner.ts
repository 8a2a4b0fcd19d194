/** Runs the CLI in-process with captured output, as an operator's shell would see it. */
import { Writable } from 'node:stream'
import { runCli } from '../../hub/cli.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function cliRunner(env: NodeJS.ProcessEnv): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    let stdout = ''
    let stderr = ''
    const sink = new Writable({
      write(chunk, _encoding, done) {
        stderr += String(chunk)
        done()
      },
    })
    const code = await runCli(argv, {
      stdout: (t) => {
        stdout += `${t}\n`
      },
      stderr: sink,
      env,
    })
    return { code, stdout, stderr }
  }
}
