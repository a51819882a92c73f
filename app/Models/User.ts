import { Model } from '#kiln/model/model'

export interface UserAttributes {
  id: number
  name: string
  email: string
  email_verified_at: Date | null
  /** scrypt hash, see app/Support/Hash.ts; never the plain password. */
  password: string
  remember_token: string | null
  /** Receives the newsletter. */
  subscribed: boolean
  /** A newsletter to this address finally failed; no more newsletters go there. */
  email_bounced: boolean
  newsletters_sent: number
  created_at: Date | null
  updated_at: Date | null
}

/** A row of `users`. `User.find(1)`, `User.create({...})`, `user.toJSON()` (password hidden). */
export class User extends Model<UserAttributes> {
  static override table = 'users'
  static override hidden = ['password', 'remember_token']
  static override casts = {
    subscribed: 'boolean',
    email_bounced: 'boolean',
    newsletters_sent: 'number',
    email_verified_at: 'date',
    created_at: 'date',
    updated_at: 'date',
  } as const
}
