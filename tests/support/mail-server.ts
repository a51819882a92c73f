/**
 * A real SMTP server for mail tests (smtp-server on a free port), which parses every message it
 * receives with mailparser. `authOptional`, no STARTTLS: the client sends in plain text, as it would
 * to a local Mailpit.
 */
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  /** SMTP envelope: MAIL FROM and every RCPT TO (bcc recipients appear only here). */
  envelope: { from: string; to: string[] }
  /** The AUTH user, when the client logged in. */
  user: string | null
  parsed: ParsedMail
}

export interface TestMailServer {
  port: number
  received: ReceivedMail[]
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  close(): Promise<void>
}

export async function startMailServer(options: { credentials?: { username: string; password: string } } = {}): Promise<TestMailServer> {
  const received: ReceivedMail[] = []
  const waiters: (() => void)[] = []
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = options.credentials
      if (expected && auth.username === expected.username && auth.password === expected.password) return callback(null, { user: auth.username })
      callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          received.push({
            envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
            user: typeof session.user === 'string' ? session.user : null,
            parsed,
          })
          for (const wake of waiters.splice(0)) wake()
          callback()
        })
        .catch((error: Error) => callback(error))
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    received,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Expected ${count} message(s), received ${received.length}.`)), timeoutMs)
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer)
            resolve(received.slice(0, count))
          } else waiters.push(check)
        }
        check()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
