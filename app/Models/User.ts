import { Model } from '#kiln/model/model'

export interface UserAttributes {
  id: number
  name: string
  email: string
  email_verified_at: Date | null
  password: string
  remember_token: string | null
  created_at: Date | null
  updated_at: Date | null
}

/** A row of `users`. `User.find(1)`, `User.create({...})`, `user.toJSON()` (password hidden). */
export class User extends Model<UserAttributes> {
  static override table = 'users'
  static override hidden = ['password', 'remember_token']
  static override casts = { email_verified_at: 'date', created_at: 'date', updated_at: 'date' } as const
}
