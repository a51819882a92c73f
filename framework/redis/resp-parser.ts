/** One RESP2 reply: a status or bulk string, an integer, a nil (null), an error reply or an array of replies. */
export type RespReply = number | string | null | RespErrorReply | RespReply[]

/** An error reply: Redis answered that the command failed (a script may have run part of its steps first). */
export class RespErrorReply {
  constructor(readonly message: string) {}
}

/** The bytes are not RESP2 (a type byte it does not have): the connection cannot be trusted further. */
export class RespProtocolError extends Error {
  override name = 'RespProtocolError'
}

const INCOMPLETE = Symbol('incomplete')
const CR = 13

/**
 * Splits the bytes a Redis connection receives into replies. Bulk strings are cut by their byte length
 * before decoding (UTF-8), so a job body with multi-byte characters or "\r\n" inside stays whole. A reply
 * split across reads waits, buffered, until the bytes it needs have arrived, then parses from its start.
 * A fed chunk is only borrowed (the connection reads into one buffer it reuses): what waits is copied.
 */
export class RespParser {
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Bytes the buffered reply needs at least before it is worth parsing again. */
  private neededBytes = 0
  /** Parse cursor, and where the buffered reply is known to end at the earliest (absolute offsets). */
  private pos = 0
  private need = 0

  /** Feeds one read; `onReply` gets each complete reply in order and may return false to stop. Throws RespProtocolError. */
  feed(chunk: Buffer, onReply: (reply: RespReply) => boolean): void {
    let buf = chunk
    if (this.pendingBytes > 0) {
      this.pendingBytes += chunk.length
      if (this.pendingBytes < this.neededBytes) {
        this.pending.push(Buffer.from(chunk))
        return
      }
      this.pending.push(chunk)
      buf = Buffer.concat(this.pending, this.pendingBytes)
      this.pending = []
      this.pendingBytes = 0
    }
    let start = 0
    while (start < buf.length) {
      this.pos = start
      const reply = this.parse(buf)
      if (reply === INCOMPLETE) {
        // A copy (a concat of pending chunks is the parser's own already): the next read may overwrite the chunk.
        this.pending.push(buf === chunk ? Buffer.from(buf.subarray(start)) : buf.subarray(start))
        this.pendingBytes = buf.length - start
        this.neededBytes = this.need - start
        return
      }
      start = this.pos
      if (!onReply(reply)) return
    }
  }

  private parse(buf: Buffer): RespReply | typeof INCOMPLETE {
    const type = buf[this.pos]
    const lineStart = this.pos + 1
    const lineEnd = buf.indexOf(CR, lineStart)
    if (lineEnd < 0 || lineEnd + 1 >= buf.length) {
      this.need = buf.length + 1
      return INCOMPLETE
    }
    this.pos = lineEnd + 2
    switch (type) {
      case 58 /* : */:
        return integer(buf, lineStart, lineEnd)
      case 43 /* + */:
        return buf.toString('utf8', lineStart, lineEnd)
      case 45 /* - */:
        return new RespErrorReply(buf.toString('utf8', lineStart, lineEnd))
      case 36 /* $ */: {
        const length = integer(buf, lineStart, lineEnd)
        if (length < 0) return null
        const end = this.pos + length
        if (end + 2 > buf.length) {
          this.need = end + 2
          return INCOMPLETE
        }
        const text = buf.toString('utf8', this.pos, end)
        this.pos = end + 2
        return text
      }
      case 42 /* * */: {
        const count = integer(buf, lineStart, lineEnd)
        if (count < 0) return null
        const items: RespReply[] = new Array<RespReply>(count)
        for (let i = 0; i < count; i++) {
          const item = this.parse(buf)
          if (item === INCOMPLETE) return INCOMPLETE
          items[i] = item
        }
        return items
      }
      default:
        throw new RespProtocolError(`unexpected reply "${buf.toString('utf8', lineStart - 1, Math.min(lineEnd, lineStart + 40))}"`)
    }
  }
}

/** The decimal integer in buf[start, end), without making a string of it. */
function integer(buf: Buffer, start: number, end: number): number {
  const negative = buf[start] === 45 /* - */
  let value = 0
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const digit = (buf[i] as number) - 48
    if (digit < 0 || digit > 9) throw new RespProtocolError(`"${buf.toString('utf8', start, end)}" is not an integer`)
    value = value * 10 + digit
  }
  return negative ? -value : value
}
