import { ValidationError } from '#kiln/http/errors'
import type { HttpRequest } from '#kiln/http/request'
import { json, type JsonResponse } from '#kiln/http/response'
import { CreateCrmProfile } from '#app/Jobs/CreateCrmProfile'
import { GenerateCertificate } from '#app/Jobs/GenerateCertificate'
import { NotifySlack } from '#app/Jobs/NotifySlack'
import { SendWelcomeEmail } from '#app/Jobs/SendWelcomeEmail'
import { User } from '#app/Models/User'
import { hashPassword } from '#app/Support/Hash'

const EMAIL_TAKEN = 'The email has already been taken.'

/** `POST /register`: stores the user, queues the welcome work, answers 201 at once. */
export class RegisterController {
  async store(request: HttpRequest): Promise<JsonResponse> {
    const input = request.validate({ name: 'required|string|max:255', email: 'required|email|max:255', password: 'required|string|min:8' })
    if (await User.where('email', input.email).exists()) throw emailTaken()
    const user = await createUser(input.name, input.email, await hashPassword(input.password))

    await Promise.all([
      SendWelcomeEmail.dispatch(user).onQueue('emails'),
      CreateCrmProfile.dispatch(user),
      NotifySlack.dispatch(`New user: ${user.name} <${user.email}>`),
      GenerateCertificate.dispatch(user).onQueue('documents'),
    ])
    return json({ id: user.id, name: user.name, email: user.email }, 201)
  }
}

/** Two requests racing past the exists() check: the unique index refuses the second, answered the same way. */
async function createUser(name: string, email: string, password: string): Promise<User> {
  try {
    return await User.create({ name, email, password })
  } catch (error) {
    if (await User.where('email', email).exists()) throw emailTaken()
    throw error
  }
}

function emailTaken(): ValidationError {
  return new ValidationError({ email: [EMAIL_TAKEN] })
}
