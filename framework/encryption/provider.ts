import { MissingConfigError, type Application } from '../foundation/application.ts'
import type { ServiceProvider } from '../foundation/provider.ts'
import { Encrypter } from './encrypter.ts'
import { KeyRing, type KeyConfig } from './key-ring.ts'
import { Signer } from './signer.ts'

declare module '../foundation/services.ts' {
  interface Services {
    /** APP_KEY and APP_PREVIOUS_KEYS (config/app.ts), parsed. */
    keys: KeyRing
    /** AES-256-GCM with APP_KEY. */
    encrypter: Encrypter
    /** HMAC-SHA256 with APP_KEY (job payload signatures). */
    signer: Signer
  }
}

export const encryptionProvider: ServiceProvider = {
  register(app) {
    app.singleton('keys', () => KeyRing.fromConfig(keyConfig(app)))
    app.singleton('encrypter', () => new Encrypter(app.make('keys')))
    app.singleton('signer', () => new Signer(app.make('keys')))
  },
}

/** config/app.ts's keys; an app without that file (a bare test app) has no key, like an empty APP_KEY. */
function keyConfig(app: Application): KeyConfig {
  try {
    return app.config('app')
  } catch (error) {
    if (error instanceof MissingConfigError) return { key: '' }
    throw error
  }
}
