/** The README's reference tables are derived from the code's own lists, so they cannot drift. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { shownDefault } from '../../hub/config.js'
import { SETTINGS } from '../../hub/settings.js'
import { DECISION_STATUSES } from '../../shared/domain/decision.js'
import { fixedSettings, parameterRows } from '../support/template-docs.js'

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

  it('lists every parameter of the hub template, with its default and meaning, as the template has them', () => {
    expect(tableAfter('| parameter | default | meaning |')).toEqual(parameterRows())
    expect(parameterRows().every((row) => !row.endsWith('|  |'))).toBe(true) // each one explained
  })

  it('names the settings the template leaves at their defaults, and only those', () => {
    const sentence =
      /The template leaves these settings at their defaults \(see Configuration\): ([^.]+)\./.exec(
        readme.replace(/\n/g, ' '),
      )
    expect(sentence?.[1]?.split(', ').map((s) => s.replace(/`/g, ''))).toEqual(fixedSettings())
  })

  it('tells operators every alert the code raises, in its alerts table', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name)
        return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
      })
    const raised = new Set<string>()
    for (const file of [...sources('shared'), ...sources('hub')]) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/'(alert\.[a-z-]+)'/g)) raised.add(m[1] ?? '')
      // The one alert named from a value: an account unreachable or failed.
      if (text.includes('`alert.account-${'))
        for (const kind of ['unreachable', 'failed']) raised.add(`alert.account-${kind}`)
    }
    const table = tableAfter('| event | when |').join('\n')
    const missing = [...raised].filter((event) => !table.includes(`\`${event}\``))
    expect(raised.size).toBeGreaterThan(15)
    expect(missing).toEqual([])
  })
})
