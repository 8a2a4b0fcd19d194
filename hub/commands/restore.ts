import { randomInt } from 'node:crypto'
import type { Command } from 'commander'
import { type RestoreResult, restoreCredentials } from '../../shared/app/operator.js'
import type { RestoreTarget } from '../../shared/domain/credentials/restore.js'
import { ConfigError } from '../../shared/errors.js'
import { restoreReply } from '../event.js'
import { accessKeyIds, accountId, reasonFor, userName } from './args.js'
import type { CliContext } from './context.js'
import { inHub } from './in-hub.js'

interface RestoreFlags {
  account: string
  user: string
  key?: string[]
  password?: boolean
  all?: boolean
  reason?: string
  enforce?: boolean
  json?: boolean
}

export function addRestoreCommand(program: Command, cli: CliContext): void {
  program
    .command('restore')
    .description(
      'put back credentials the project deactivated, or keep announced ones; their unused window starts again',
    )
    .requiredOption('--account <id>', 'account id', accountId)
    .requiredOption('--user <name>', 'IAM user name', userName)
    .option(
      '--key <id>',
      'an access key, SSH key or service-specific credential to reactivate or keep (repeatable)',
      accessKeyIds,
    )
    .option('--password', 'the console password: approve a new one (an administrator of the account sets it)')
    .option('--all', "every credential of the user's the project deactivated or announced")
    .option('--reason <text>', 'why, recorded with it (needed with --enforce)')
    .option('--enforce', 'carry it out (default: show what would be restored)')
    .option('--json', 'JSON output')
    .action(async (o: RestoreFlags) => {
      const target = targetOf(o)
      const reason = reasonFor('restore', o)
      const { config, deps } = cli.operator()
      const request = { accountId: o.account, userName: o.user, target, reason }
      const result: RestoreResult =
        config.hubFunctionName && o.enforce
          ? await inHub(cli, config.hubFunctionName, { action: 'restore', ...request }, restoreReply)
          : await restoreCredentials(deps, config, {
              ...request,
              enforce: o.enforce === true,
              actor: await cli.callerArn(),
            })
      // Made here, shown once, never sent to the hub nor logged: the hub may not set passwords.
      const password = result.mode === 'enforce' && result.passwordApproved ? oneTimePassword() : undefined
      const command = password ? passwordCommand(result.userName, password) : undefined
      cli.print(o.json, { ...result, ...(command ? { newPasswordCommand: command } : {}) }, () =>
        restoreText(result, command, cli.enforceLine()),
      )
    })
}

function targetOf(o: RestoreFlags): RestoreTarget {
  const chosen = (o.key?.length ?? 0) > 0 || o.password === true
  if (o.all && chosen) throw new ConfigError('restore: give --all, or --key/--password, not both')
  if (o.all) return { all: true }
  if (!chosen) throw new ConfigError('restore: give --key ID, --password or --all')
  return { keys: o.key ?? [], password: o.password === true }
}

function restoreText(result: RestoreResult, command: string | undefined, enforce: string): string {
  const verb =
    result.mode === 'enforce' ? 'restored' : `would restore (a preview; to carry it out: ${enforce})`
  const lines = [
    `${result.userName}: ${verb}: ${result.restored.join(', ')}`,
    result.mode === 'enforce'
      ? `recorded for ${result.actor}`
      : `as ${result.actor}; nothing was changed or recorded`,
  ]
  if (command)
    lines.push(
      'The project never sets a password (a role that can, can become any user). An administrator of the',
      'account sets this one-time password; the user must change it at first sign-in. It is shown once:',
      `  ${command}`,
    )
  return lines.join('\n')
}

function passwordCommand(userName: string, password: string): string {
  return `aws iam create-login-profile --user-name ${userName} --password-reset-required --password '${password}'`
}

const PASSWORD_SETS = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!@#%^*()-_=+']

/** 32 characters of every class any IAM password policy may ask for (no quote a shell would read). */
export function oneTimePassword(): string {
  const all = PASSWORD_SETS.join('')
  const pick = (set: string) => set[randomInt(set.length)] ?? ''
  const chars = [...PASSWORD_SETS.map(pick), ...Array.from({ length: 28 }, () => pick(all))]
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? '']
  }
  return chars.join('')
}
