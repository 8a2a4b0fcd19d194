/**
 * `npm run package`: bundles the Lambda (build/lambda.zip, handler `index.handler`) and the CLI
 * (build/cli.mjs, the package's `bin`) with esbuild, and prints their sizes. Dev-only packages never
 * reach a bundle: build() fails if one does.
 */
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'
import yazl from 'yazl'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'build')

/** ESM bundles still meet CommonJS dependencies that call require(); give them one. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

export interface BundleResult {
  zipPath: string
  zipBytes: number
  cliPath: string
  /** Every npm package that ended up in a bundle. */
  packages: string[]
}

async function bundle(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: 'none',
    banner: { js: REQUIRE_SHIM },
    logLevel: 'warning',
  })
  return result.metafile
}

function packagesOf(meta: Metafile): string[] {
  const names = new Set<string>()
  for (const input of Object.keys(meta.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
    if (match?.[1]) names.add(match[1])
  }
  return [...names].sort()
}

async function devOnlyPackages(): Promise<Set<string>> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>
  }
  return new Set(Object.keys(pkg.devDependencies ?? {}))
}

function zip(file: string, zipPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = new yazl.ZipFile()
    // A fixed date keeps the zip byte-identical for identical code.
    archive.addFile(file, 'index.mjs', { mtime: new Date('2020-01-01T00:00:00Z'), mode: 0o644 })
    archive.outputStream.pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject)
    archive.end()
  })
}

export async function buildAll(): Promise<BundleResult> {
  await rm(OUT, { recursive: true, force: true })
  await mkdir(join(OUT, 'lambda'), { recursive: true })
  const lambdaFile = join(OUT, 'lambda', 'index.mjs')
  const cliPath = join(OUT, 'cli.mjs')
  const metas = await Promise.all([bundle('hub/lambda.ts', lambdaFile), bundle('hub/bin.ts', cliPath)])
  const packages = [...new Set(metas.flatMap(packagesOf))].sort()
  const devOnly = await devOnlyPackages()
  const leaked = packages.filter((p) => devOnly.has(p))
  if (leaked.length > 0) throw new Error(`dev-only packages in a bundle: ${leaked.join(', ')}`)
  const zipPath = join(OUT, 'lambda.zip')
  await zip(lambdaFile, zipPath)
  return { zipPath, zipBytes: (await stat(zipPath)).size, cliPath, packages }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await buildAll()
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`
  console.log(`${result.zipPath}: ${kib(result.zipBytes)} (handler index.handler, runtime nodejs22.x)`)
  console.log(`${result.cliPath}: ${kib((await stat(result.cliPath)).size)}`)
  console.log(`bundled packages: ${result.packages.join(', ')}`)
}
