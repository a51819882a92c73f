import { mkdir, writeFile } from 'node:fs/promises'
import { Application } from '#kiln/foundation/application'
import { QueuedJob } from '#kiln/queue/job'
import type { User } from '#app/Models/User'

/** Writes the new user's membership certificate to storage/app/certificates/user-<id>.txt. */
export class GenerateCertificate extends QueuedJob {
  override tries = 3
  deleteWhenMissingModels = true

  constructor(public user: User) {
    super()
  }

  async handle(): Promise<void> {
    const dir = Application.current().storagePath('app', 'certificates')
    await mkdir(dir, { recursive: true })
    const issued = new Date().toISOString().slice(0, 10)
    await writeFile(`${dir}/user-${this.user.id}.txt`, `Certificate of membership\n\n${this.user.name} <${this.user.email}>\nMember #${this.user.id} since ${issued}\n`)
  }
}
