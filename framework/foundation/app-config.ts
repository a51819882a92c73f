export interface AppConfig {
  name: string
  /** local | production | testing */
  env: string
  /** `base64:...` 32-byte key; signs and encrypts payloads. */
  key: string
  /** Older keys still accepted for verification/decryption (rotation). */
  previousKeys: string[]
  /** Show stack traces in HTTP responses and CLI errors. */
  debug: boolean
  url: string
}

export function defineAppConfig(config: AppConfig): AppConfig {
  return config
}
