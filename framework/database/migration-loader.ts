import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { InvalidMigrationError } from './errors.ts'
import type { Migration } from './migration.ts'

/** A migration file: its name (the file name without extension, as recorded in the table) and path. */
export interface MigrationFile {
  name: string
  path: string
}

/** The migration files of the given folders, sorted by name (their timestamp prefix orders them). */
export function migrationFiles(dirs: string[]): MigrationFile[] {
  const files = new Map<string, string>()
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    for (const file of readdirSync(dir)) {
      if (!isMigrationFile(file)) continue
      files.set(file.replace(/\.(ts|mts|js|mjs)$/, ''), join(dir, file))
    }
  }
  return [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, path]) => ({ name, path }))
}

/** Imports a migration file and checks that its default export has `up` and `down`. */
export async function loadMigration(path: string): Promise<Migration> {
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  const migration = module.default
  if (!migration || typeof migration !== 'object') throw new InvalidMigrationError(basename(path), 'it has no default export')
  const { up, down } = migration as Partial<Migration>
  if (typeof up !== 'function' || typeof down !== 'function') throw new InvalidMigrationError(basename(path), 'up() or down() is missing')
  return migration as Migration
}

function isMigrationFile(file: string): boolean {
  return /\.(ts|mts|js|mjs)$/.test(file) && !file.endsWith('.d.ts') && !file.startsWith('.') && !/\.test\.[mc]?[jt]s$/.test(file)
}
