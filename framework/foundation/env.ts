import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'

export type EnvValue = string | boolean | null

/**
 * Reads an environment variable with Laravel's casts: `true`/`(true)` -> true, `false`/`(false)` ->
 * false, `null`/`(null)` -> null, `empty`/`(empty)` -> ''. Unset variables give the fallback.
 */
export function env(key: string): EnvValue | undefined
export function env<T>(key: string, fallback: T): EnvValue | T
export function env(key: string, fallback?: unknown): unknown {
  const raw = process.env[key]
  if (raw === undefined) return fallback
  switch (raw.toLowerCase()) {
    case 'true':
    case '(true)':
      return true
    case 'false':
    case '(false)':
      return false
    case 'null':
    case '(null)':
      return null
    case 'empty':
    case '(empty)':
      return ''
    default:
      return raw
  }
}

/** A string setting; a cast value (true/null) is turned back into its text, unset gives the fallback. */
env.string = (key: string, fallback: string): string => {
  const value = env(key)
  if (value === undefined || value === null || value === '') return value === '' ? '' : fallback
  return String(value)
}

/** A numeric setting; a value that is not a number gives the fallback. */
env.number = (key: string, fallback: number): number => {
  const value = env(key)
  if (typeof value !== 'string' || value.trim() === '') return fallback
  const parsed = Number(value)
  return Number.isFinite(parsed) ? parsed : fallback
}

env.boolean = (key: string, fallback: boolean): boolean => {
  const value = env(key)
  if (typeof value === 'boolean') return value
  if (value === '1') return true
  if (value === '0') return false
  return fallback
}

/**
 * Loads a .env file into process.env. Variables already set in the real environment win, as in
 * Laravel, so `QUEUE_CONNECTION=redis bin/craft ...` overrides the file.
 */
export function loadEnvFile(path: string): boolean {
  if (!existsSync(path)) return false
  const parsed = parseEnv(readFileSync(path, 'utf8'))
  for (const [key, value] of Object.entries(parsed)) {
    if (process.env[key] === undefined) process.env[key] = value
  }
  return true
}
