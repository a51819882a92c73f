/**
 * The script pipe's reply parser (framework/redis/resp-parser.ts) on the bytes a Redis server sends: a
 * worker's ack-and-claim reply carries job bodies, which may hold multi-byte characters and "\r\n", and
 * arrives in whatever reads the kernel makes of it.
 */
import { describe, expect, it } from 'vitest'
import { RespErrorReply, RespParser, RespProtocolError, type RespReply } from '../../framework/redis/resp-parser.ts'

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`
}

/** What a pop-style script reply looks like: flags, a next-due time, then id, body, attempts, token per job. */
const body = JSON.stringify({ job: 'SendWelcomeEmail', data: { name: 'Zoë 🚀', note: 'line one\r\nline two' } })
const reply = `*6\r\n:1\r\n:-1\r\n${bulk('41')}${bulk(body)}:3\r\n${bulk('tok.1')}`
const bytes = Buffer.from(`+OK\r\n${reply}$-1\r\n*-1\r\n-NOSCRIPT No matching script\r\n*2\r\n*1\r\n:7\r\n*0\r\n`)
const expected: RespReply[] = ['OK', [1, -1, '41', body, 3, 'tok.1'], null, null, new RespErrorReply('NOSCRIPT No matching script'), [[7], []]]

function parseAll(chunks: Buffer[]): RespReply[] {
  const parser = new RespParser()
  const replies: RespReply[] = []
  for (const chunk of chunks) parser.feed(chunk, (value) => replies.push(value) > 0)
  return replies
}

describe('RespParser', () => {
  it('reads statuses, integers, bulk strings by byte length, nils, errors and nested arrays', () => {
    expect(parseAll([bytes])).toEqual(expected)
  })

  it('gives the same replies however the bytes are split into reads', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]), `split at byte ${cut}`).toEqual(expected)
    }
    expect(parseAll([...bytes].map((byte) => Buffer.from([byte])))).toEqual(expected)
  })

  it('keeps what it buffers intact when the caller reuses the read buffer (as the script pipe does)', () => {
    for (const size of [1, 3, 7, 16]) {
      const parser = new RespParser()
      const replies: RespReply[] = []
      const shared = Buffer.alloc(size)
      for (let at = 0; at < bytes.length; at += size) {
        const n = bytes.copy(shared, 0, at, at + size)
        parser.feed(shared.subarray(0, n), (value) => replies.push(value) > 0)
        shared.fill(0x21) // the next read overwrites the buffer
      }
      expect(replies, `reads of ${size} bytes`).toEqual(expected)
    }
  })

  it('stops handing out replies when the consumer says so', () => {
    const parser = new RespParser()
    const seen: RespReply[] = []
    parser.feed(Buffer.from(':1\r\n:2\r\n:3\r\n'), (value) => seen.push(value) < 2)
    expect(seen).toEqual([1, 2])
  })

  it('refuses a type byte RESP2 does not have, and an integer that is not one', () => {
    expect(() => parseAll([Buffer.from('%1\r\n+a\r\n+b\r\n')])).toThrow(RespProtocolError)
    expect(() => parseAll([Buffer.from(':12x\r\n')])).toThrow(/"12x" is not an integer/)
  })
})
