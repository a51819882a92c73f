import { Mailable, html, text, type Content, type Envelope } from '#kiln/mail/mail'
import type { User } from '#app/Models/User'

/**
 * An example mailable: `await Mail.to(user).send(new WelcomeEmail(user))` sends it now;
 * `Mail.to(user).queue(new WelcomeEmail(user))` hands it to a worker, which fetches the user fresh.
 */
export class WelcomeEmail extends Mailable {
  constructor(public user: User) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Welcome to Kiln, ${this.user.name}!`, tags: ['welcome'] }
  }

  content(): Content {
    return {
      html: html`<h1>Welcome, ${this.user.name}!</h1>
<p>Your account <strong>${this.user.email}</strong> is ready.</p>`,
      text: text`Welcome, ${this.user.name}!

Your account ${this.user.email} is ready.`,
    }
  }
}
