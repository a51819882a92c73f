import { randomBytes } from 'node:crypto'
import { ValidationError } from '#kiln/http/errors'
import { validate } from '#kiln/http/validation/validator'
import { QueuedJob } from '#kiln/queue/job'
import { User } from '#app/Models/User'
import { InvalidImportRowError } from '#app/Support/errors'
import { hashPassword } from '#app/Support/Hash'

/** One row of an import: creates the user, or updates the name of the user with that email. */
export class ImportUserRow extends QueuedJob {
  /** A bad row stays bad: fail it at once (it shows in queue:failed), the rest of the batch goes on. */
  override tries = 1

  constructor(
    public line: number,
    public name: string,
    public email: string,
  ) {
    super()
  }

  async handle(): Promise<void> {
    const row = this.validated()
    const existing = await User.where('email', row.email).first()
    if (existing) {
      await existing.update({ name: row.name })
      return
    }
    // Imported users set their own password later (a reset link); until then none matches.
    await User.create({ name: row.name, email: row.email, password: await hashPassword(randomBytes(32).toString('base64')) })
  }

  private validated(): { name: string; email: string } {
    try {
      return validate({ name: this.name, email: this.email.toLowerCase() }, { name: 'required|string|max:255', email: 'required|email|max:255' })
    } catch (error) {
      if (error instanceof ValidationError) throw new InvalidImportRowError(this.line, error.message)
      throw error
    }
  }
}
