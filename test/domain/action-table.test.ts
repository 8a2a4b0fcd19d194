import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildTable } from '../../hub/refresh-actions.js'
import { ActionCatalog, CATALOG } from '../../shared/domain/actions/catalog.js'
import { compressActions, expandEntry } from '../../shared/domain/actions/compress.js'

const REFERENCE = new URL('../../../shared/aws-service-reference/', import.meta.url)

describe("the project's table of tracked actions", () => {
  it("holds the service reference's counts (13 Feb 2026 snapshot)", () => {
    expect(CATALOG.counts()).toMatchObject({ services: 201, tracked: 9807 })
    const count = (ns: string) => [CATALOG.trackedIn(ns).length, CATALOG.allIn(ns).length]
    expect(count('iam')).toEqual([155, 187])
    expect(count('ec2')).toEqual([731, 771])
    expect(count('s3')).toEqual([112, 168])
    expect(count('lambda')).toEqual([68, 88])
    expect(count('sts')).toEqual([9, 16])
    expect(CATALOG.trackedIn('sns')).toEqual([])
    expect(CATALOG.trackedIn('bedrock')).toEqual([])
    expect(CATALOG.isTracked('s3', 'GetObject')).toBe(false)
    expect(CATALOG.isTracked('iam', 'PassRole')).toBe(false)
    expect(CATALOG.isTracked('iam', 'CreateUser')).toBe(true)
    expect(CATALOG.risk('iam', 'AttachUserPolicy')).toBe(0)
    expect(CATALOG.risk('iam', 'CreateUser')).toBe(1)
    expect(CATALOG.risk('iam', 'ListUsers')).toBe(2)
  })

  it('is what the refresh script builds from the snapshot folder', async () => {
    const dir = REFERENCE.pathname
    const names = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.includes('index'))
    const files = await Promise.all(names.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))))
    const built = buildTable(files, undefined, '2026-02-13')
    const shipped = JSON.parse(
      await readFile(new URL('../../shared/domain/actions/table.json', import.meta.url), 'utf8'),
    )
    expect(built.services).toEqual(shipped.services)
  })

  it('stamps an action first tracked by a refresh with the day of that refresh', () => {
    const file = (tracked: boolean) => ({
      Name: 'demo',
      Actions: [
        { Name: 'Old', SupportedBy: { 'IAM Action Last Accessed': true } },
        { Name: 'New', SupportedBy: { 'IAM Action Last Accessed': tracked } },
      ],
    })
    const first = buildTable([file(false)], undefined, '2026-02-13')
    const second = buildTable([file(true)], first, '2026-05-01')
    expect(second.trackedSince).toEqual({ 'demo:New': '2026-05-01' })
    const third = buildTable([file(true)], second, '2026-06-01')
    expect(third.trackedSince).toEqual({ 'demo:New': '2026-05-01' })
    expect(new ActionCatalog(third).trackedSince('demo', 'New')).toBe('2026-05-01')
  })
})

describe('compressing denied actions into wildcards', () => {
  it('writes s3:Put* only when every Put action is denied, and names the actions otherwise', () => {
    const all = ['GetObject', 'PutBucketPolicy', 'PutObject', 'DeleteBucket', 'DeleteObject']
    expect(compressActions(new Set(['PutBucketPolicy', 'PutObject']), all)).toEqual(['Put*'])
    expect(compressActions(new Set(['PutBucketPolicy', 'DeleteBucket']), all).sort()).toEqual([
      'DeleteBucket',
      'PutBucketPolicy',
    ])
    expect(compressActions(new Set(['DeleteBucket', 'DeleteObject', 'PutObject']), all)).toEqual([
      'Delete*',
      'PutObject',
    ])
    // Words as CamelCase splits them: an acronym is one word, so never `ListF*` or `CopyD*`.
    const lists = ['ListFHIRDatastores', 'ListFHIRExportJobs', 'ListFHIRImportJobs', 'ListTags']
    expect(compressActions(new Set(lists.slice(0, 3)), lists)).toEqual(['ListFHIR*'])
    const copies = ['CopyDBClusterSnapshot', 'CopyDBSnapshot', 'CopyImage']
    expect(compressActions(new Set(copies.slice(0, 2)), copies)).toEqual(['CopyDB*'])
  })

  it('never lets a wildcard match an action outside the denied set, over every service in the table', () => {
    const services = CATALOG.services()
    const pick = fc
      .constantFrom(...services)
      .chain((ns) => fc.tuple(fc.constant(ns), fc.subarray([...CATALOG.trackedIn(ns)])))
    fc.assert(
      fc.property(pick, ([ns, picked]) => {
        const all = CATALOG.allIn(ns)
        const denied = new Set(picked)
        const entries = compressActions(denied, all)
        const covered = new Set(entries.flatMap((e) => expandEntry(e, all)))
        expect([...covered].sort()).toEqual([...denied].sort())
        expect(entries.length).toBeLessThanOrEqual(denied.size)
      }),
      { numRuns: 300 },
    )
  })
})
