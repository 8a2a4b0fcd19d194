import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger }

/** Field names that may hold secrets; pino replaces their values wherever they appear. */
const SECRET_PATHS = [
  'credentials',
  '*.credentials',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.SecretAccessKey',
  'sessionToken',
  '*.sessionToken',
  '*.SessionToken',
  'webhookUrl',
  '*.webhookUrl',
]

/** Structured JSON logs; children add sweepId, accountId and userName so every line can be traced. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'iam-least-privilege' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    },
    options.destination,
  )
}
