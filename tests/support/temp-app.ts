/**
 * A throwaway copy of the skeleton app for tests that write files (make:*, migrations) or need their
 * own config. It lives under tests/.tmp inside the repo so that its `#kiln/...` imports resolve
 * through the repo's package.json.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './craft.ts'

export interface TempApp {
  basePath: string
  path(...parts: string[]): string
  cleanup(): void
}

export function makeTempApp(options: { copy?: string[] } = {}): TempApp {
  const root = join(repoRoot, 'tests', '.tmp')
  mkdirSync(root, { recursive: true })
  const basePath = mkdtempSync(join(root, 'app-'))
  for (const dir of ['config', ...(options.copy ?? [])]) cpSync(join(repoRoot, dir), join(basePath, dir), { recursive: true })
  for (const dir of ['app', 'database/migrations', 'storage/logs', 'storage/framework']) mkdirSync(join(basePath, dir), { recursive: true })
  return {
    basePath,
    path: (...parts) => join(basePath, ...parts),
    cleanup: () => rmSync(basePath, { recursive: true, force: true }),
  }
}
