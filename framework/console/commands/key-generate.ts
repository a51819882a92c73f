import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { generateKey, setEnvValue } from '../../support/app-key.ts'
import { Command } from '../command.ts'
import { CommandFailedError } from '../errors.ts'

export default class KeyGenerateCommand extends Command {
  static override commandName = 'key:generate'
  static override description = 'Set the application key'
  static override options = [
    { flags: '--show', description: 'Display the key instead of modifying files' },
    { flags: '--force', description: 'Replace an existing key' },
  ]

  async handle() {
    const key = generateKey()
    if (this.input.boolean('show')) {
      this.output.line(key)
      return
    }
    const path = this.app.path('.env')
    if (!existsSync(path)) throw new CommandFailedError('There is no .env file. Copy .env.example to .env first (or run `npm run dev`).')
    const text = readFileSync(path, 'utf8')
    const current = /^APP_KEY=(.+)$/m.exec(text)?.[1]?.trim()
    if (current && !this.input.boolean('force')) {
      throw new CommandFailedError('An application key is already set. Rotating it invalidates queued payloads; pass --force to replace it (and list the old one in APP_PREVIOUS_KEYS).')
    }
    writeFileSync(path, setEnvValue(text, 'APP_KEY', key))
    this.output.info('Application key set successfully.')
  }
}
