import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { KilnError } from '../support/errors.ts'

export class MigrationExistsError extends KilnError {
  constructor(name: string, file: string) {
    super('E_MIGRATION_EXISTS', `A "${name}" migration already exists (${file}). Run \`craft migrate\` instead of generating it again.`)
  }
}

/** `2026_11_23_181500_create_jobs_table.ts`, Laravel's naming, so files sort in creation order. */
export function migrationFileName(name: string, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  const stamp = `${now.getFullYear()}_${pad(now.getMonth() + 1)}_${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`
  return `${stamp}_${name}.ts`
}

/** The migration file in `dir` whose name (after the timestamp) is `name`, if any. */
export function findMigration(dir: string, name: string): string | undefined {
  if (!existsSync(dir)) return undefined
  return readdirSync(dir).find((file) => file.replace(/^\d{4}_\d{2}_\d{2}_\d{6}_/, '') === `${name}.ts`)
}

/** Writes a new migration; refuses when one with the same name exists. Returns the file path. */
export function writeMigrationFile(dir: string, name: string, contents: string, now = new Date()): string {
  const existing = findMigration(dir, name)
  if (existing) throw new MigrationExistsError(name, join(dir, existing))
  mkdirSync(dir, { recursive: true })
  const path = join(dir, migrationFileName(name, now))
  writeFileSync(path, contents, { flag: 'wx' })
  return path
}
