/** The README's reference tables are derived from the code's own lists, so they cannot drift. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { shownDefault } from '../../hub/config.js'
import { SETTINGS } from '../../hub/settings.js'
import { DECISION_STATUSES } from '../../shared/domain/decision.js'

const readme = readFileSync('README.md', 'utf8')

/** The rows of the Markdown table whose header row is `header`. */
function tableAfter(header: string): string[] {
  const start = readme.indexOf(`${header}\n`)
  expect(start, `README table ${header}`).toBeGreaterThan(-1)
  const lines = readme.slice(start).split('\n').slice(2)
  return lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith('|')),
  )
}

describe('the README', () => {
  it('lists every decision status, in the domain list order, with its meaning', () => {
    const rows = Object.entries(DECISION_STATUSES).map(
      ([status, meaning]) => `| \`${status}\` | ${meaning} |`,
    )
    expect(tableAfter('| status | meaning |')).toEqual(rows)
  })

  it('lists every setting with its variable, its default from the schema, and its meaning', () => {
    const rows = SETTINGS.map((s) => `| \`${s.env}\` | ${shownDefault(s)} | ${s.help} |`)
    expect(tableAfter('| variable | default | meaning |')).toEqual(rows)
  })
})
