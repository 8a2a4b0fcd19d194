/**
 * The production code stays small enough to read in one sitting: no file over 400 lines, no function
 * over 60, none taking more than 5 parameters (an object counts as one). A check, not the goal: a file
 * that grows past it is asking to be cut where its concerns part.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const LIMITS = { fileLines: 400, functionLines: 60, parameters: 5 }

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

function shapeOf(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  const file = relative(ROOT, path)
  const found: string[] = []
  const lines = text.split('\n').length
  if (lines > LIMITS.fileLines) found.push(`${file}: ${lines} lines`)
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line
      const length = line(node.getEnd()) - line(node.getStart()) + 1
      const where = `${file}:${line(node.getStart()) + 1}`
      if (length > LIMITS.functionLines) found.push(`${where}: a function of ${length} lines`)
      if (node.parameters.length > LIMITS.parameters)
        found.push(`${where}: a function of ${node.parameters.length} parameters`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('the shape of the production code (hub/, shared/)', () => {
  it(`has no file over ${LIMITS.fileLines} lines, no function over ${LIMITS.functionLines}, none of more than ${LIMITS.parameters} parameters`, () => {
    const files = [...sources(join(ROOT, 'hub')), ...sources(join(ROOT, 'shared'))]
    expect(files.length).toBeGreaterThan(50)
    expect(files.flatMap(shapeOf)).toEqual([])
  })
})
