/**
 * Rebuilds the project's table of the actions Access Advisor tracks (shared/domain/actions/table.json)
 * from AWS's service reference: the live endpoint, or a folder of its files (`--from DIR`).
 *
 *   npm run refresh-actions                       # https://servicereference.us-east-1.amazonaws.com/
 *   npm run refresh-actions -- --from ../shared/aws-service-reference --as-of 2026-02-13
 *
 * An action tracked now that the previous table did not track gets `trackedSince` (the as-of day):
 * Access Advisor has no record of its use before then, so the planner gives it a full window from that
 * day before calling it unused. Those of the previous table are kept as they were.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { type ActionTable, actionTable } from '../shared/domain/actions/table-shape.js'

const LIVE = 'https://servicereference.us-east-1.amazonaws.com/'
const TABLE = new URL('../shared/domain/actions/table.json', import.meta.url)

const serviceFile = z.object({
  Name: z.string().regex(/^[a-z0-9-]+$/),
  Actions: z.array(
    z.object({
      Name: z.string().regex(/^[A-Za-z0-9-]+$/),
      Annotations: z
        .object({
          Properties: z
            .object({
              IsPermissionManagement: z.boolean().optional(),
              IsWrite: z.boolean().optional(),
              IsTaggingOnly: z.boolean().optional(),
            })
            .optional(),
        })
        .optional(),
      SupportedBy: z.record(z.string(), z.boolean()).optional(),
    }),
  ),
})
type ServiceFile = z.infer<typeof serviceFile>
const index = z.array(z.object({ service: z.string(), url: z.string().url() }))

async function fromFolder(dir: string): Promise<unknown[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.includes('index'))
  return Promise.all(names.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))))
}

async function fromEndpoint(): Promise<unknown[]> {
  const get = async (url: string) => {
    const reply = await fetch(url)
    if (!reply.ok) throw new Error(`${url}: HTTP ${reply.status}`)
    return reply.json()
  }
  const services = index.parse(await get(LIVE))
  const files: unknown[] = []
  // A few at a time: the endpoint serves static files, 442 of them.
  for (let i = 0; i < services.length; i += 16)
    files.push(...(await Promise.all(services.slice(i, i + 16).map((s) => get(s.url)))))
  return files
}

/** The table from the reference's files: services with at least one tracked action, names sorted. */
export function buildTable(files: readonly ServiceFile[], previous: ActionTable | undefined, asOf: string) {
  const table: ActionTable = { source: '', asOf, services: {}, trackedSince: {} }
  for (const file of [...files].sort((a, b) => a.Name.localeCompare(b.Name))) {
    const actions = [...file.Actions].sort((a, b) => a.Name.localeCompare(b.Name))
    const tracked = actions.filter((a) => a.SupportedBy?.['IAM Action Last Accessed'] === true)
    if (tracked.length === 0) continue
    const props = (a: (typeof actions)[number]) => a.Annotations?.Properties ?? {}
    table.services[file.Name] = {
      tracked: tracked.map((a) => a.Name),
      untracked: actions.filter((a) => !tracked.includes(a)).map((a) => a.Name),
      permissionManagement: tracked.filter((a) => props(a).IsPermissionManagement).map((a) => a.Name),
      write: tracked
        .filter((a) => !props(a).IsPermissionManagement && (props(a).IsWrite || props(a).IsTaggingOnly))
        .map((a) => a.Name),
    }
    if (!previous) continue
    const before = new Set(previous.services[file.Name]?.tracked ?? [])
    for (const a of tracked) {
      const key = `${file.Name}:${a.Name}`
      const since = previous.trackedSince[key] ?? (before.has(a.Name) ? undefined : asOf)
      if (since) table.trackedSince[key] = since
    }
  }
  return table
}

async function main() {
  const opts = new Command('refresh-actions')
    .option('--from <dir>', 'a folder of service reference files instead of the live endpoint')
    .option('--as-of <day>', 'the day the reference was published', new Date().toISOString().slice(0, 10))
    .option('--fresh', 'ignore the current table: no action gets trackedSince')
    .parse()
    .opts<{ from?: string; asOf: string; fresh?: boolean }>()
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf)) throw new Error(`--as-of ${opts.asOf}: a day, YYYY-MM-DD`)
  const raw = opts.from ? await fromFolder(opts.from) : await fromEndpoint()
  const files = raw.filter((f) => !Array.isArray(f)).map((f) => serviceFile.parse(f))
  const previous = opts.fresh ? undefined : actionTable.parse(JSON.parse(await readFile(TABLE, 'utf8')))
  const table = buildTable(files, previous, opts.asOf)
  table.source = opts.from ? 'service reference folder' : LIVE
  await writeFile(TABLE, `${JSON.stringify(actionTable.parse(table))}\n`)
  const tracked = Object.values(table.services).reduce((n, s) => n + s.tracked.length, 0)
  console.log(
    `${Object.keys(table.services).length} services with tracked actions, ${tracked} tracked; ${Object.keys(table.trackedSince).length} tracked since a later day`,
  )
}

if (import.meta.url === `file://${process.argv[1]}`)
  await main().catch((error: unknown) => {
    // Offline, or a reply that is not the reference: say which, keep the table as it was.
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    console.error(
      `refresh-actions: ${error instanceof Error ? error.message : String(error)}${cause}; the table is unchanged`,
    )
    process.exitCode = 1
  })
