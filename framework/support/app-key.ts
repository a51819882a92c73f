import { randomBytes } from 'node:crypto'

/** A fresh `base64:`-prefixed 32-byte key, Laravel's APP_KEY format. */
export function generateKey(): string {
  return `base64:${randomBytes(32).toString('base64')}`
}

/** Sets `KEY=value` in an .env text, replacing an existing line or appending one. */
export function setEnvValue(text: string, key: string, value: string): string {
  const line = `${key}=${value}`
  const pattern = new RegExp(`^${key}=.*$`, 'm')
  return pattern.test(text) ? text.replace(pattern, () => line) : `${text.replace(/\n?$/, '\n')}${line}\n`
}
