/**
 * The only file that knows the Redis queue's Lua protocol: key names, script names, argument order and
 * reply shapes. Each script lives in `lua/<verb>-<numKeys>.lua` with a KEYS/ARGV header; shared Lua
 * lives in `lua/includes/` and is pulled in by `--- @include "name"` lines (BullMQ's convention).
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'

/** Every key of one queue. They share the hash tag `{queue}`, so they live in one Redis Cluster slot. */
export interface QueueKeys {
  waiting: string
  delayed: string
  reserved: string
  notify: string
  jobs: string
  attempts: string
  tokens: string
  id: string
  /** Restart marker: when the server last started, and how long workers hold off after it (restart-hold.lua). */
  boot: string
  /** The nine keys of the pop scripts, in their KEYS order. */
  pop: readonly string[]
  /** The five keys of the push script, in its KEYS order. */
  push: readonly string[]
  /** The five keys of the withdraw script, in its KEYS order. */
  withdraw: readonly string[]
}

/** Built once per queue name and cached: the hot path (pop, ack) builds no strings. */
export function queueKeys(queue: string): QueueKeys {
  let keys = keyCache.get(queue)
  if (!keys) {
    const base = `queues:{${queue}}`
    const [waiting, delayed, reserved, notify, jobs, attempts, tokens, id, boot] = [base, ...['delayed', 'reserved', 'notify', 'jobs', 'attempts', 'tokens', 'id', 'boot'].map((s) => `${base}:${s}`)] as [
      string, string, string, string, string, string, string, string, string,
    ]
    keys = {
      waiting, delayed, reserved, notify, jobs, attempts, tokens, id, boot,
      pop: [waiting, delayed, reserved, notify, jobs, attempts, tokens, id, boot],
      push: [waiting, delayed, notify, jobs, id],
      withdraw: [waiting, delayed, jobs, attempts, id],
    }
    // Bounded: a worker uses a handful of queues; a producer naming queues at random must not leak.
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear()
    keyCache.set(queue, keys)
  }
  return keys
}

export interface PoppedJob {
  id: string
  body: string
  attempts: number
  token: string
}

export interface PopResult {
  jobs: PoppedJob[]
  /**
   * Milliseconds until the queue's next delayed job is due (or, after a pop that found nothing, its next
   * reservation expires, whichever is first); null when there is none.
   */
  nextDueMs: number | null
}

/** A finished reservation to acknowledge: its job id and the token that must still own it. */
export interface Acknowledgement {
  id: string
  token: string
}

/** Most payloads one push script carries; larger bulks are split into pipelined calls. */
export const PUSH_CHUNK = 1000

/** The queue scripts, defined once per connection (ioredis sends EVALSHA and reloads after a restart). */
export class QueueScripts {
  private readonly client: ScriptClient

  constructor(client: Redis) {
    for (const [name, definition] of Object.entries(definitions())) {
      if (!(name in client)) client.defineCommand(name, definition)
    }
    this.client = client as unknown as ScriptClient
  }

  /** Stores payloads (at most PUSH_CHUNK); returns their ids in order. */
  async push(keys: QueueKeys, bodies: string[], delayMs: number): Promise<string[]> {
    const last = Number(await this.client.kilnQueuePush(...keys.push, pushDelay(delayMs), ...bodies))
    return pushedIds(last, bodies.length)
  }

  /**
   * The push script as one EVALSHA command for a connection that sends commands as they are
   * (RespPipe), with every key prefixed by `keyPrefix` as ioredis would. Its integer reply goes to
   * pushedIds; a NOSCRIPT reply means Redis lost its scripts: push() sends the script again.
   */
  static pushCommand(keys: QueueKeys, bodies: readonly string[], delayMs: number, keyPrefix: string): string[] {
    return scriptCommand('EVALSHA', 'kilnQueuePush', keys.push, keyPrefix, [String(pushDelay(delayMs))], bodies)
  }

  /** pop() as one EVALSHA command for a RespPipe (see pushCommand); its reply goes to popResult. */
  static popCommand(keys: QueueKeys, max: number, retryAfterMs: number, keyPrefix: string): string[] {
    return scriptCommand('EVALSHA', 'kilnQueuePop', keys.pop, keyPrefix, [String(max), String(retryAfterMs), nonce()])
  }

  /** deleteAndPop() as one EVALSHA command for a RespPipe (see pushCommand); its reply goes to deleteAndPopResult. */
  static deleteAndPopCommand(keys: QueueKeys, id: string, token: string, max: number, retryAfterMs: number, keyPrefix: string): string[] {
    return scriptCommand('EVALSHA', 'kilnQueueDeleteAndPop', keys.pop, keyPrefix, [id, token, String(max), String(retryAfterMs), nonce()])
  }

  /** deleteManyAndPop() as one EVALSHA command for a RespPipe; its reply goes to deleteManyAndPopResult. */
  static deleteManyAndPopCommand(keys: QueueKeys, acks: readonly Acknowledgement[], max: number, retryAfterMs: number, keyPrefix: string): string[] {
    const command = scriptCommand('EVALSHA', 'kilnQueueDeleteManyAndPop', keys.pop, keyPrefix, [String(max), String(retryAfterMs), nonce()])
    for (const ack of acks) command.push(ack.id, ack.token)
    return command
  }

  /** withdraw() as one EVAL command (the script itself: the server may not hold it) for a RespPipe; see pushCommand. */
  static withdrawCommand(keys: QueueKeys, bodies: readonly string[], window: number, keyPrefix: string): string[] {
    return scriptCommand('EVAL', 'kilnQueueWithdraw', keys.withdraw, keyPrefix, [String(window)], bodies)
  }

  async pop(keys: QueueKeys, max: number, retryAfterMs: number): Promise<PopResult> {
    return popResult((await this.client.kilnQueuePop(...keys.pop, max, retryAfterMs, nonce())) as PopReply)
  }

  /** Deletes reservation (id, token) and reserves the next jobs, in one round trip. */
  async deleteAndPop(keys: QueueKeys, id: string, token: string, max: number, retryAfterMs: number): Promise<PopResult & { deleted: boolean }> {
    return deleteAndPopResult((await this.client.kilnQueueDeleteAndPop(...keys.pop, id, token, max, retryAfterMs, nonce())) as PopReply)
  }

  /** Deletes every reservation of `acks` whose token still owns it and reserves the next jobs, in one round trip. */
  async deleteManyAndPop(keys: QueueKeys, acks: readonly Acknowledgement[], max: number, retryAfterMs: number): Promise<PopResult & { deleted: boolean[] }> {
    const args: ScriptArg[] = [...keys.pop, max, retryAfterMs, nonce()]
    for (const ack of acks) args.push(ack.id, ack.token)
    return deleteManyAndPopResult((await this.client.kilnQueueDeleteManyAndPop(...args)) as PopReply, acks.length)
  }

  /** True when the token still owned the job. */
  async delete(keys: QueueKeys, id: string, token: string): Promise<boolean> {
    return (await this.client.kilnQueueDelete(keys.reserved, keys.tokens, keys.jobs, keys.attempts, id, token)) === 1
  }

  /**
   * Deletes reservation (id, token) and stores `pushes` on their queues, atomically; the follow-ups' ids
   * in order, or null (nothing stored) when the token no longer owns the job.
   */
  async deleteAndPush(keys: QueueKeys, id: string, token: string, pushes: readonly { keys: QueueKeys; body: string; delayMs: number }[]): Promise<string[] | null> {
    const targets: QueueKeys[] = []
    const args: ScriptArg[] = [id, token]
    for (const push of pushes) {
      let target = targets.indexOf(push.keys)
      if (target < 0) target = targets.push(push.keys) - 1
      args.push(target + 1, Math.max(0, Math.ceil(push.delayMs)), push.body)
    }
    const keyList = [keys.reserved, keys.tokens, keys.jobs, keys.attempts, ...targets.flatMap((t) => [t.waiting, t.delayed, t.notify, t.jobs, t.id])]
    const reply = (await this.client.kilnQueueDeleteAndPush(keyList.length, ...keyList, ...args)) as (string | number)[]
    return reply[0] === 1 ? reply.slice(1).map(String) : null
  }

  async release(keys: QueueKeys, id: string, token: string, delayMs: number): Promise<boolean> {
    const delay = Math.max(0, Math.ceil(delayMs))
    return (await this.client.kilnQueueRelease(keys.reserved, keys.tokens, keys.waiting, keys.delayed, keys.notify, id, token, delay)) === 1
  }

  async touch(keys: QueueKeys, id: string, token: string, retryAfterMs: number): Promise<boolean> {
    return (await this.client.kilnQueueTouch(keys.reserved, keys.tokens, id, token, retryAfterMs)) === 1
  }

  /**
   * Removes the jobs of `bodies` that are still waiting or delayed, looking through the queue's newest
   * `window` ids: for pushes whose reply was lost (see InDoubtPushes).
   */
  async withdraw(keys: QueueKeys, bodies: readonly string[], window: number): Promise<{ withdrawn: number; claimed: number }> {
    const [withdrawn, claimed] = (await this.client.kilnQueueWithdraw(...keys.withdraw, window, ...bodies)) as [number, number]
    return { withdrawn, claimed }
  }

  async size(keys: QueueKeys): Promise<number> {
    return Number(await this.client.kilnQueueSize(keys.waiting, keys.delayed, keys.reserved))
  }

  async clear(keys: QueueKeys): Promise<number> {
    const { waiting, delayed, reserved, notify, jobs, attempts, tokens } = keys
    return Number(await this.client.kilnQueueClear(waiting, delayed, reserved, notify, jobs, attempts, tokens))
  }
}

/** The ids of `count` jobs stored by one push script call whose reply (the last id) was `last`. */
export function pushedIds(last: number, count: number): string[] {
  const ids: string[] = []
  for (let id = last - count + 1; id <= last; id++) ids.push(String(id))
  return ids
}

/** The reply of pop-9.lua (ioredis's or a RespPipe's): the next due time, then id, body, attempts and token per job. */
export function popResult(reply: PopReply): PopResult {
  return parsePop(reply, 0)
}

/** The reply of delete-and-pop-9.lua (ioredis's or a RespPipe's): the deleted flag, then pop-9.lua's reply. */
export function deleteAndPopResult(reply: PopReply): PopResult & { deleted: boolean } {
  const result = parsePop(reply, 1) as PopResult & { deleted: boolean }
  result.deleted = reply[0] === 1
  return result
}

/** The reply of delete-many-and-pop-9.lua for `count` acknowledgements: their deleted flags as one string, then pop-9.lua's reply. */
export function deleteManyAndPopResult(reply: PopReply, count: number): PopResult & { deleted: boolean[] } {
  const flags = String(reply[0])
  const result = parsePop(reply, 1) as PopResult & { deleted: boolean[] }
  result.deleted = Array.from({ length: count }, (_, index) => flags[index] === '1')
  return result
}

function pushDelay(delayMs: number): number {
  return Math.max(0, Math.ceil(delayMs))
}

/**
 * Script `name` as one command for a RespPipe, named by its SHA1 (EVALSHA) or sent whole (EVAL): its keys
 * (their count read off the list) prefixed by `keyPrefix` as ioredis would, then `args`, then `rest`
 * (payloads, up to PUSH_CHUNK of them).
 */
function scriptCommand(verb: 'EVALSHA' | 'EVAL', name: keyof ScriptClient, keys: readonly string[], keyPrefix: string, args: readonly string[], rest: readonly string[] = []): string[] {
  const command = [verb, verb === 'EVAL' ? scriptSource(name) : scriptSha(name), String(keys.length)]
  for (const key of keys) command.push(keyPrefix + key)
  for (const arg of args) command.push(arg)
  for (const arg of rest) command.push(arg)
  return command
}

const shas = new Map<keyof ScriptClient, string>()

/** The SHA1 EVALSHA names a script by: the one ioredis computes for the same source. */
function scriptSha(name: keyof ScriptClient): string {
  let sha = shas.get(name)
  if (!sha) shas.set(name, (sha = createHash('sha1').update(scriptSource(name)).digest('hex')))
  return sha
}

type ScriptArg = string | number
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>
type ScriptClient = Record<
  | 'kilnQueuePush'
  | 'kilnQueuePop'
  | 'kilnQueueDeleteAndPop'
  | 'kilnQueueDeleteManyAndPop'
  | 'kilnQueueDelete'
  | 'kilnQueueDeleteAndPush'
  | 'kilnQueueRelease'
  | 'kilnQueueTouch'
  | 'kilnQueueWithdraw'
  | 'kilnQueueSize'
  | 'kilnQueueClear',
  ScriptFn
>
export type PopReply = readonly unknown[]

/** Command name -> script file. The key count is read from the file name. */
const SCRIPT_FILES: Record<keyof ScriptClient, string> = {
  kilnQueuePush: 'push-5.lua',
  kilnQueuePop: 'pop-9.lua',
  kilnQueueDeleteAndPop: 'delete-and-pop-9.lua',
  kilnQueueDeleteManyAndPop: 'delete-many-and-pop-9.lua',
  kilnQueueDelete: 'delete-4.lua',
  kilnQueueDeleteAndPush: 'delete-and-push-n.lua',
  kilnQueueRelease: 'release-5.lua',
  kilnQueueTouch: 'touch-2.lua',
  kilnQueueWithdraw: 'withdraw-5.lua',
  kilnQueueSize: 'size-3.lua',
  kilnQueueClear: 'clear-7.lua',
}

const LUA_DIR = new URL('./lua/', import.meta.url)
const KEY_CACHE_MAX = 1000
const keyCache = new Map<string, QueueKeys>()

let loaded: Record<string, { lua: string; numberOfKeys?: number }> | undefined

function definitions(): Record<string, { lua: string; numberOfKeys?: number }> {
  loaded ??= Object.fromEntries(
    Object.entries(SCRIPT_FILES).map(([name, file]) => {
      // `-n.lua`: a variable number of keys, passed by the caller as the first argument.
      const numberOfKeys = /-(\d+)\.lua$/.exec(file)?.[1]
      const lua = resolveIncludes(readLua(file), new Set())
      return [name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys: Number(numberOfKeys) }]
    }),
  )
  return loaded
}

function scriptSource(name: keyof ScriptClient): string {
  const definition = definitions()[name]
  if (!definition) throw new Error(`No Lua script is defined for ${name}`)
  return definition.lua
}

function readLua(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), 'utf8')
}

/** Inlines `--- @include "name"` lines from lua/includes/, each file once per script. */
function resolveIncludes(source: string, seen: Set<string>): string {
  return source.replace(/^--- @include "([\w-]+)"$/gm, (_line, name: string) => {
    if (seen.has(name)) return ''
    seen.add(name)
    return resolveIncludes(readLua(`includes/${name}.lua`), seen)
  })
}

/**
 * Reservation tokens are `<nonce>.<n>`. A nonce is this process's random 128-bit prefix plus a counter:
 * unique across processes and pops, and unguessable by anyone who has not seen a token of this process,
 * without a randomBytes call (and its syscall) per pop.
 */
const NONCE_PREFIX = randomBytes(16).toString('base64url')
let nonceCounter = 0

function nonce(): string {
  return NONCE_PREFIX + (nonceCounter++).toString(36)
}

function parsePop(reply: PopReply, offset: number): PopResult {
  const next = reply[offset] as number
  const jobs: PoppedJob[] = []
  for (let i = offset + 1; i + 3 < reply.length; i += 4) {
    jobs.push({ id: reply[i] as string, body: reply[i + 1] as string, attempts: reply[i + 2] as number, token: reply[i + 3] as string })
  }
  return { jobs, nextDueMs: next < 0 ? null : next }
}
