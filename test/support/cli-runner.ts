/** Runs the CLI in-process with captured output, as an operator's shell would see it. */
import { Writable } from 'node:stream'
import { type CliWiring, runCli } from '../../hub/cli.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** A terminal, as the CLI sees it: stderr a TTY, its width, and answers to its questions. */
export interface Terminal {
  columns: number
  answers?: string[]
}

export function cliRunner(
  env: NodeJS.ProcessEnv,
  terminal?: Terminal,
  wiring: CliWiring = {},
): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    let stdout = ''
    let stderr = ''
    const sink = Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          stderr += String(chunk)
          done()
        },
      }),
      { isTTY: terminal !== undefined },
    )
    const answers = [...(terminal?.answers ?? [])]
    const code = await runCli(
      argv,
      {
        stdout: (t) => {
          stdout += `${t}\n`
        },
        stderr: sink,
        env,
        ...(terminal
          ? {
              columns: terminal.columns,
              confirm: async (question: string) => {
                stderr += question
                return /^y/i.test(answers.shift() ?? '')
              },
            }
          : {}),
      },
      wiring,
    )
    return { code, stdout, stderr }
  }
}
