import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKey, setEnvValue } from '../support/app-key.ts'

export interface EnvSetupResult {
  createdEnv: boolean
  generatedKey: boolean
}

/**
 * First-run setup: copies .env.example to .env when missing and fills an empty APP_KEY. Idempotent, so
 * `npm run dev` can call it on every start.
 */
export function ensureEnvFile(basePath: string): EnvSetupResult {
  const envPath = join(basePath, '.env')
  const examplePath = join(basePath, '.env.example')
  let createdEnv = false
  if (!existsSync(envPath)) {
    if (existsSync(examplePath)) copyFileSync(examplePath, envPath)
    else writeFileSync(envPath, '')
    createdEnv = true
  }
  const text = readFileSync(envPath, 'utf8')
  const key = /^APP_KEY=(.*)$/m.exec(text)?.[1]?.trim()
  if (key) return { createdEnv, generatedKey: false }
  writeFileSync(envPath, setEnvValue(text, 'APP_KEY', generateKey()))
  return { createdEnv, generatedKey: true }
}
