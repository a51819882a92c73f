import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Application } from '../../framework/foundation/application.ts'

/** Replaces `app`'s logger with a real pino logger whose lines land in the returned array (level and message). */
export function captureLog(app: Application): { level: number; msg: string }[] {
  const lines: { level: number; msg: string }[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string })
      done()
    },
  })
  app.instance('log', pino({ level: 'info' }, sink))
  return lines
}
