/** The line a preview prints to carry itself out: the command as it was run, every flag kept. */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { enforceLine } from '../../hub/commands/args.js'

describe('the command a preview prints', () => {
  it('keeps every flag as given, and adds a reason and --enforce', () => {
    expect(
      enforceLine([
        '--profile',
        'ops',
        'rollback',
        '--account',
        '111122223333',
        '--exempt-until',
        '2027-01-31',
      ]),
    ).toBe(
      'least-privilege --profile ops rollback --account 111122223333 --exempt-until 2027-01-31 --reason "..." --enforce',
    )
  })

  it('keeps a reason already given, quoted as the shell reads it back', () => {
    const line = enforceLine(['release', '--account', '111122223333', '--reason', "Jo's ticket $1 `x`"])
    expect(line).toBe(
      `least-privilege release --account 111122223333 --reason 'Jo'\\''s ticket $1 \`x\`' --enforce`,
    )
    // The shell gives back exactly the words that were run.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${line.replace('least-privilege ', '')}`], {
      encoding: 'utf8',
    })
    expect(words.trim().split('\n')).toEqual([
      'release',
      '--account',
      '111122223333',
      '--reason',
      "Jo's ticket $1 `x`",
      '--enforce',
    ])
  })
})
