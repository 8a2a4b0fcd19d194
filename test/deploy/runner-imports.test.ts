/** The demo and `npm run emulator` are programs, not tests: nothing they load may need vitest. */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Every project file reachable through relative imports from `entry`, with what each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const visit = (file: string) => {
    if (graph.has(file)) return
    const text = readFileSync(file, 'utf8')
    const specifiers = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map(
      (m) => m[1] ?? '',
    )
    graph.set(file, specifiers)
    for (const s of specifiers.filter((x) => x.startsWith('.')))
      visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')))
  }
  visit(resolve(entry))
  return graph
}

describe('programs under test/', () => {
  it.each([
    'test/demo/demo.ts',
    'test/emulator/main.ts',
    'test/bench/bench.ts',
    'test/bench/sweep-process.ts',
    'test/bench/server-process.ts',
    'test/bench/dynamo-process.ts',
  ])('%s loads no vitest', (entry) => {
    const graph = importGraph(entry)
    // The walk reached past the entry's own imports.
    expect(graph.size).toBeGreaterThan(2)
    const users = [...graph].filter(([, imports]) => imports.includes('vitest')).map(([file]) => file)
    expect(users).toEqual([])
  })
})
