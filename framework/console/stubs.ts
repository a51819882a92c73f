import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const stubsDir = join(import.meta.dirname, 'stubs')

/** Renders `stubs/<name>.stub`, replacing `{{ key }}` placeholders. */
export function renderStub(name: string, values: Record<string, string>): string {
  const template = readFileSync(join(stubsDir, `${name}.stub`), 'utf8')
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, key: string) => values[key] ?? match)
}
