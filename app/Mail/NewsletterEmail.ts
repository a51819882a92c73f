import { Mailable, html, text, type Content, type Envelope } from '#kiln/mail/mail'
import type { User } from '#app/Models/User'

/** One newsletter to one recipient (SendNewsletterEmail, in the batch of `POST /newsletter`). */
export class NewsletterEmail extends Mailable {
  constructor(
    public user: User,
    public subject: string,
    public body: string,
  ) {
    super()
  }

  envelope(): Envelope {
    return { subject: this.subject, tags: ['newsletter'] }
  }

  content(): Content {
    return {
      html: html`<p>Hello ${this.user.name},</p>
<div>${this.body}</div>`,
      text: text`Hello ${this.user.name},

${this.body}`,
    }
  }
}
