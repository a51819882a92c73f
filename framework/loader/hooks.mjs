// Module loader hooks that let `bin/craft` run TypeScript with no build step.
// Why not tsx: on Node 20 its registration alone costs ~0.2 s per CLI start. Here a file is transformed
// by esbuild once and then served from a cache keyed by path, mtime and size, so a warm start only reads
// JavaScript from disk. esbuild is imported on the first cache miss only. Plain JavaScript on purpose:
// this file is what makes TypeScript loadable.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const LOADER_VERSION = '2'
const cacheDir = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules/.cache/kiln-ts')
const traceImports = process.env.KILN_TRACE_IMPORTS === '1'
/** esbuild's sync API runs a thread and a child process of its own (~20 MB of RSS), stopped when idle. */
const ESBUILD_IDLE_MS = 2000
let esbuild
let esbuildIdle

/**
 * Called once by module.register() (register.mjs): `tasks` is a port on which the main thread sends
 * background tasks to run on this otherwise idle thread, as CommonJS-style source given `require` and
 * `workerData` (see framework/loader/loader-thread.ts).
 */
export function initialize(data) {
  const require = createRequire(import.meta.url)
  data?.tasks?.on('message', ({ source, data: workerData }) => new Function('require', 'workerData', source)(require, workerData))
}

export async function load(url, context, nextLoad) {
  if (traceImports) process.stderr.write(`[kiln:import] ${url}\n`)
  if (!url.startsWith('file:') || !(url.endsWith('.ts') || url.endsWith('.mts'))) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const stat = statSync(path)
  const key = createHash('sha1').update(`${LOADER_VERSION}\0${path}\0${stat.mtimeMs}\0${stat.size}`).digest('hex')
  const cached = join(cacheDir, `${key}.js`)
  let source
  try {
    source = readFileSync(cached, 'utf8')
  } catch {
    esbuild ??= await import('esbuild')
    // A long-lived process (a queue worker started on a cold cache) must not keep esbuild once loading is over.
    clearTimeout(esbuildIdle)
    esbuildIdle = setTimeout(() => void esbuild.stop(), ESBUILD_IDLE_MS).unref()
    source = esbuild.transformSync(readFileSync(path, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      // Without the TypeScript text in the map: V8 keeps every module's source (map included) for the life
      // of the process, and Node parses and keeps the map too; stack traces need only the mappings, and a
      // debugger reads the .ts file itself. Saves ~2 MB of live heap in a worker (~20 % of it).
      sourcesContent: false,
      sourcefile: path,
    }).code
    mkdirSync(cacheDir, { recursive: true })
    // Write then rename so that concurrent workers never read a half-written file.
    const tmp = `${cached}.${process.pid}.tmp`
    writeFileSync(tmp, source)
    renameSync(tmp, cached)
  }
  return { format: 'module', source, shortCircuit: true }
}
