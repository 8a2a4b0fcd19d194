import { InvalidArgumentError } from 'commander'
import { ACCOUNT_ID, IAM_USER_NAME } from '../../shared/config.js'
import { CATALOG } from '../../shared/domain/actions/catalog.js'
import { reasonText } from '../../shared/domain/reason.js'
import { ACCESS_KEY_ID, SERVICE_NAMESPACE } from '../../shared/domain/records.js'
import { ConfigError } from '../../shared/errors.js'

/** Option parsers: a bad value is a usage error naming the flag (exit code 2). */
export function number(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${value}`)
  return n
}

export function int(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`)
    return n
  }
}

export function accountIds(value: string, previous: string[] = []): string[] {
  if (!ACCOUNT_ID.test(value)) throw new InvalidArgumentError(`${value} is not a 12-digit account id`)
  return [...previous, value]
}

export const accountId = (value: string) => accountIds(value)[0] ?? value

/** An IAM user name: an empty or malformed one is bad usage, never a wider scope (every user). */
export function userName(value: string): string {
  if (!IAM_USER_NAME.test(value))
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an IAM user name`)
  return value
}

export function namespaces(value: string, previous: string[] = []): string[] {
  if (!SERVICE_NAMESPACE.test(value))
    throw new InvalidArgumentError(`${value} is not a service namespace such as s3 or ec2`)
  return [...previous, value]
}

/**
 * An action as `service:Action`, spelled as the service reference spells it whatever the case typed.
 * Only a tracked action is ever denied on its own, so only one can be released or exempted.
 */
export function actions(value: string, previous: string[] = []): string[] {
  const [ns = '', name = '', ...rest] = value.split(':')
  if (!SERVICE_NAMESPACE.test(ns) || !/^[A-Za-z][A-Za-z0-9-]*$/.test(name) || rest.length > 0)
    throw new InvalidArgumentError(`${value} is not an action such as iam:CreateUser`)
  const spelled = CATALOG.spelling(ns, name)
  if (!spelled || !CATALOG.isTracked(ns, spelled))
    throw new InvalidArgumentError(
      `${value} is not an action Access Advisor tracks (service reference of ${CATALOG.asOf}): it is never denied on its own`,
    )
  return [...previous, `${ns}:${spelled}`]
}

export function isoDate(value: string): string {
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw new InvalidArgumentError(`${value} is not a date such as 2026-11-01`)
  // Date.parse rolls 2027-02-30 over to 2 March: a day the calendar does not have is bad input.
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(value)
  if (day) {
    const [, y, m, d] = day.map(Number)
    const check = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 0))
    if (check.getUTCMonth() !== (m ?? 1) - 1 || check.getUTCDate() !== d)
      throw new InvalidArgumentError(`${value} is not a day of the calendar`)
  }
  return new Date(time).toISOString()
}

/** An access key ID as IAM issues them (AKIA… for a user's key). */
export function accessKeyIds(value: string, previous: string[] = []): string[] {
  if (!ACCESS_KEY_ID.test(value)) throw new InvalidArgumentError(`${value} is not an access key ID`)
  return [...previous, value]
}

/**
 * Why a change is made, recorded with it: a command told to change something (`--enforce`) without
 * `--reason` is bad input, said before anything is read or written. A preview needs none.
 */
/**
 * What carries out a preview: the command as it was run, every flag kept (--profile, --exempt-until...),
 * with a reason unless one was given, and --enforce.
 */
export function enforceLine(argv: readonly string[]): string {
  const reasoned = argv.some((a) => a === '--reason' || a.startsWith('--reason='))
  const words = [...argv.map(shellWord), ...(reasoned ? [] : ['--reason', '"..."']), '--enforce']
  return ['least-privilege', ...words].join(' ')
}

/** A word as a POSIX shell reads it back: quoted unless it holds only characters the shell leaves alone. */
const shellWord = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`

export function reasonFor(command: string, o: { enforce?: boolean; reason?: string }): string {
  const reason = o.reason?.trim() ?? ''
  if (reason === '') {
    if (o.enforce)
      throw new ConfigError(
        `reason: ${command} --enforce is recorded with why: give --reason TEXT (who asked, the ticket)`,
      )
    return 'not given'
  }
  // The hub's own rule for a reason, said here before anything is read or sent.
  const checked = reasonText.safeParse(reason)
  if (!checked.success)
    throw new ConfigError(`reason: ${checked.error.issues.map((i) => i.message).join('; ')}`)
  return checked.data
}
