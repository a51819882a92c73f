/**
 * A real SMTP server like tests/support/mail-server.ts, which also refuses some recipients for good
 * (`550 5.1.1 mailbox unavailable` at RCPT TO), the way a mailbox that no longer exists bounces.
 */
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { ReceivedMail } from '../support/mail-server.ts'

export interface BouncingMailServer {
  port: number
  received: ReceivedMail[]
  /** Recipients refused with 550 from now on. */
  bouncing: Set<string>
  close(): Promise<void>
}

export async function startBouncingMailServer(): Promise<BouncingMailServer> {
  const received: ReceivedMail[] = []
  const bouncing = new Set<string>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!bouncing.has(address.address)) return callback()
      callback(Object.assign(new Error('5.1.1 The mailbox does not exist'), { responseCode: 550 }))
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = session.envelope.rcptTo.map((rcpt) => rcpt.address)
          received.push({ envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to }, user: null, parsed })
          callback()
        })
        .catch((error: Error) => callback(error))
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    bouncing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
