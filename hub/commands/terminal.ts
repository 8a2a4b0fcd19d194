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
 * Log lines as sentences, for a person at a terminal: "warning: account unreachable (account 2222…):
 * reason". Each starts by clearing the line, so it lands above the progress bar, which redraws below it.
 * The JSON lines stay the format in Lambda, off a terminal, and with --log-format json.
 */
export function sentenceDestination(stream: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        stream.write(line)
        return
      }
      const where = [
        entry.accountId ? `account ${String(entry.accountId)}` : '',
        entry.userName ? `user ${String(entry.userName)}` : '',
      ].filter(Boolean)
      const reason = typeof entry.reason === 'string' && entry.reason ? `: ${entry.reason}` : ''
      const level = LEVELS[Number(entry.level)] ?? 'log'
      stream.write(
        `\r\x1b[K${level}: ${String(entry.msg ?? entry.event ?? '')}${where.length ? ` (${where.join(', ')})` : ''}${reason}\n`,
      )
    },
  }
}
