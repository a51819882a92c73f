import { User } from '#app/Models/User'
import { hashPassword } from '#app/Support/Hash'

/** `bin/craft db:seed`: a few users to try the app with (password "password"); safe to run twice. */
export default class DatabaseSeeder {
  async run(): Promise<void> {
    const password = await hashPassword('password')
    const users = [
      { name: 'Ada Lovelace', email: 'ada@example.com' },
      { name: 'Grace Hopper', email: 'grace@example.com' },
      { name: 'Alan Turing', email: 'alan@example.com' },
      { name: 'Barbara Liskov', email: 'barbara@example.com', subscribed: false },
    ]
    for (const user of users) await User.updateOrCreate({ email: user.email }, { ...user, password })
  }
}
