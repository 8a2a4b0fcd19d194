import type { DestinationStream } from 'pino'

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
}

/**
 * Where lines for a person go on a terminal: above the progress bar while one is shown (whole, never
 * drawn over), else straight to stderr.
 */
export class Screen {
  private bar: { log(line: string): void } | undefined

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Lines go above this bar until `hide`. */
  show(bar: { log(line: string): void }): void {
    this.bar = bar
  }

  hide(): void {
    this.bar = undefined
  }

  write(line: string): void {
    if (this.bar) this.bar.log(line)
    else this.stream.write(line)
  }
}

/**
 * Log lines as sentences, for a person at a terminal: "warning: account unreachable (account 2222…):
 * reason", printed whole above the progress bar while there is one. The JSON lines stay the format in
 * Lambda, off a terminal, and with --log-format json.
 */
export function sentenceDestination(screen: Screen): DestinationStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        screen.write(line)
        return
      }
      const where = [
        entry.accountId ? `account ${String(entry.accountId)}` : '',
        entry.userName ? `user ${String(entry.userName)}` : '',
      ].filter(Boolean)
      const reason = typeof entry.reason === 'string' && entry.reason ? `: ${entry.reason}` : ''
      // An alert is said as one, whatever level carries it to the alarm.
      const level = String(entry.event ?? '').startsWith('alert.')
        ? 'alert'
        : (LEVELS[Number(entry.level)] ?? 'log')
      screen.write(
        `${level}: ${String(entry.msg ?? entry.event ?? '')}${where.length ? ` (${where.join(', ')})` : ''}${reason}\n`,
      )
    },
  }
}
