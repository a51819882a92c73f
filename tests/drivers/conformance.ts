/**
 * The one queue-driver conformance suite. Every driver runs it against its real server:
 *
 *   runQueueConformance('database (sqlite)', makeDriver)
 *
 * `makeDriver()` returns a NEW driver (with its own connections) on the SAME store each time it is
 * called, so two drivers stand for two workers. Tests isolate themselves by queue name, never by
 * truncating, and close every driver they make.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { QueueDriver, ReservedJob } from '../../framework/queue/contracts.ts'

export interface ConformanceDriver {
  driver: QueueDriver
  /** Closes what this driver opened (not the shared store). */
  cleanup(): Promise<void>
  /** The driver's retry_after in seconds; keep it at 1-2 so expiry tests stay short. */
  retryAfter: number
  /**
   * How `waitForJobs` wakes early: 'server' = a push from any connection wakes it (LISTEN/NOTIFY,
   * blocking pops); 'local' = only a push through the same driver does; 'none' = it only sleeps.
   */
  wakeUp?: 'server' | 'local' | 'none'
}

export function runQueueConformance(label: string, makeDriver: () => Promise<ConformanceDriver>): void {
  describe(`queue driver conformance: ${label}`, () => {
    const opened: ConformanceDriver[] = []
    const open = async () => {
      const made = await makeDriver()
      opened.push(made)
      return made
    }
    const queueName = () => `q-${randomBytes(4).toString('hex')}`

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((made) => made.cleanup()))
    })

    it('hands jobs out first in, first out within a queue', async () => {
      const { driver } = await open()
      const queue = queueName()
      for (const n of [1, 2, 3, 4, 5]) await driver.pushRaw(`job-${n}`, queue)
      const seen: string[] = []
      for (let i = 0; i < 5; i++) {
        const [job] = await driver.pop(queue)
        seen.push(job!.rawBody)
        await job!.delete()
      }
      expect(seen).toEqual(['job-1', 'job-2', 'job-3', 'job-4', 'job-5'])
      expect(await driver.pop(queue)).toEqual([])
    })

    it('keeps queues apart', async () => {
      const { driver } = await open()
      const [a, b] = [queueName(), queueName()]
      await driver.pushRaw('on-a', a)
      expect(await driver.pop(b)).toEqual([])
      expect(await driver.size(a)).toBe(1)
      expect(await driver.size(b)).toBe(0)
      const [job] = await driver.pop(a)
      expect(job!.rawBody).toBe('on-a')
      expect(job!.queue).toBe(a)
      expect(job!.connectionName).toBe(driver.connectionName)
    })

    it('claims up to max jobs at once, in order', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.bulkRaw(Array.from({ length: 10 }, (_, i) => `job-${i}`), queue)
      const first = await driver.pop(queue, 4)
      expect(first.map((job) => job.rawBody)).toEqual(['job-0', 'job-1', 'job-2', 'job-3'])
      const rest = await driver.pop(queue, 10)
      expect(rest.map((job) => job.rawBody)).toEqual(['job-4', 'job-5', 'job-6', 'job-7', 'job-8', 'job-9'])
      expect(await driver.pop(queue, 10)).toEqual([])
    })

    it('returns bulkRaw ids in payload order, and those are the ids the jobs are reserved under', async () => {
      const { driver } = await open()
      const queue = queueName()
      const payloads = Array.from({ length: 25 }, (_, i) => `bulk-${i}`)
      const ids = await driver.bulkRaw(payloads, queue)
      expect(ids).toHaveLength(25)
      expect(new Set(ids).size).toBe(25)
      const jobs = await driver.pop(queue, 25)
      expect(jobs.map((job) => job.rawBody)).toEqual(payloads)
      expect(jobs.map((job) => job.id)).toEqual(ids)
      expect(await driver.bulkRaw([], queue)).toEqual([])
    })

    it('returns the id from pushRaw that the reservation carries', async () => {
      const { driver } = await open()
      const queue = queueName()
      const id = await driver.pushRaw('one', queue)
      const [job] = await driver.pop(queue)
      expect(job!.id).toBe(id)
    })

    it('keeps the payload byte for byte', async () => {
      const { driver } = await open()
      const queue = queueName()
      const payload = '{"uuid":"x","data":{"s":"é ü 漢字 😀 \\u0000 \\" \\\\"}}  \n\t{not json at all <>&\'"'
      await driver.pushRaw(payload, queue)
      const [job] = await driver.pop(queue)
      expect(job!.rawBody).toBe(payload)
      expect(Buffer.from(job!.rawBody).equals(Buffer.from(payload))).toBe(true)
    })

    it('makes a delayed job available only after its delay', async () => {
      const { driver } = await open()
      const queue = queueName()
      const pushedAt = Date.now()
      await driver.pushRaw('later', queue, { delay: 2 })
      expect(await driver.pop(queue)).toEqual([])
      expect(await driver.size(queue)).toBe(1)
      const job = await popWithin(driver, queue, 6000)
      expect(job.rawBody).toBe('later')
      expect(Date.now() - pushedAt).toBeGreaterThanOrEqual(1900)
    })

    it('counts attempts across reservations, starting at 1', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.pushRaw('retry-me', queue)
      const attempts: number[] = []
      for (let i = 0; i < 3; i++) {
        const [job] = await driver.pop(queue)
        attempts.push(job!.attempts)
        await job!.release(0)
      }
      expect(attempts).toEqual([1, 2, 3])
    })

    it('release(0) makes the job available again at once; release(n) only after n seconds', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.pushRaw('bounce', queue)
      const [first] = await driver.pop(queue)
      await first!.release(0)
      const [second] = await driver.pop(queue)
      expect(second!.rawBody).toBe('bounce')
      const releasedAt = Date.now()
      await second!.release(2)
      expect(await driver.pop(queue)).toEqual([])
      expect(await driver.size(queue)).toBe(1)
      const third = await popWithin(driver, queue, 6000)
      expect(third.attempts).toBe(3)
      expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(1900)
    })

    it('does not hand out a reserved job while its reservation is live', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.pushRaw('held', queue)
      const [job] = await driver.pop(queue)
      expect(job).toBeDefined()
      expect(await driver.pop(queue)).toEqual([])
    })

    it('hands a job out again once its reservation outlives retry_after (the worker died)', async () => {
      const { driver, retryAfter } = await open()
      const queue = queueName()
      await driver.pushRaw('orphan', queue)
      const [first] = await driver.pop(queue)
      expect(first!.attempts).toBe(1)
      const again = await popWithin(driver, queue, (retryAfter + 4) * 1000)
      expect(again.rawBody).toBe('orphan')
      expect(again.attempts).toBe(2)
      expect(again.reservationToken).not.toBe(first!.reservationToken)
    })

    it('ignores delete/release from a stale reservation after the job was reserved again', async () => {
      const { driver, retryAfter } = await open()
      const other = await open()
      const queue = queueName()
      await driver.pushRaw('contested', queue)
      const [stale] = await driver.pop(queue)
      const fresh = await popWithin(other.driver, queue, (retryAfter + 4) * 1000)

      await stale!.delete()
      expect(await driver.size(queue)).toBe(1)
      await stale!.release(0)
      expect(await driver.pop(queue)).toEqual([])

      await fresh.delete()
      expect(await driver.size(queue)).toBe(0)
    })

    it('acknowledges with delete(): the job is gone when it resolves', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.bulkRaw(['a', 'b', 'c'], queue)
      const jobs = await driver.pop(queue, 3)
      await Promise.all(jobs.map((job) => job.delete()))
      expect(await driver.size(queue)).toBe(0)
    })

    it('renews a live reservation with touch() and keeps its token valid', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.pushRaw('long', queue)
      const [job] = await driver.pop(queue)
      if (!job!.touch) return
      await job!.touch()
      expect(await driver.pop(queue)).toEqual([])
      await job!.delete()
      expect(await driver.size(queue)).toBe(0)
    })

    it('never gives the same job to two concurrent consumers', async () => {
      const consumers = [await open(), await open(), await open()]
      const queue = queueName()
      const ids = await consumers[0]!.driver.bulkRaw(
        Array.from({ length: 200 }, (_, i) => `job-${i}`),
        queue,
      )
      const seen: string[] = []
      await Promise.all(
        consumers.map(async ({ driver }, n) => {
          for (let empty = 0; empty < 3; ) {
            const jobs = await driver.pop(queue, 1 + n * 2)
            if (jobs.length === 0) {
              empty++
              await sleep(20)
              continue
            }
            empty = 0
            seen.push(...jobs.map((job) => job.id))
            await Promise.all(jobs.map((job) => job.delete()))
          }
        }),
      )
      expect(seen).toHaveLength(200)
      expect(new Set(seen)).toEqual(new Set(ids))
      expect(await consumers[0]!.driver.size(queue)).toBe(0)
    })

    it('counts waiting, delayed and reserved jobs in size()', async () => {
      const { driver } = await open()
      const queue = queueName()
      await driver.pushRaw('reserved', queue)
      await driver.pop(queue)
      await driver.pushRaw('waiting', queue)
      await driver.pushRaw('delayed', queue, { delay: 60 })
      expect(await driver.size(queue)).toBe(3)
    })

    it('clears one queue and reports how many jobs it removed', async () => {
      const { driver } = await open()
      const [queue, other] = [queueName(), queueName()]
      await driver.bulkRaw(['a', 'b', 'c'], queue)
      await driver.pushRaw('d', queue, { delay: 60 })
      await driver.pushRaw('keep', other)
      expect(await driver.clear(queue)).toBe(4)
      expect(await driver.size(queue)).toBe(0)
      expect(await driver.size(other)).toBe(1)
    })

    it('waitForJobs resolves by its timeout and at once when aborted', async () => {
      const { driver } = await open()
      if (!driver.waitForJobs) return
      const queue = queueName()
      await driver.waitForJobs([queue], 50, new AbortController().signal)
      let started = Date.now()
      await driver.waitForJobs([queue], 400, new AbortController().signal)
      expect(Date.now() - started).toBeLessThan(2500)
      const controller = new AbortController()
      started = Date.now()
      setTimeout(() => controller.abort(), 100)
      await driver.waitForJobs([queue], 20_000, controller.signal)
      expect(Date.now() - started).toBeLessThan(5000)
    })

    it('waitForJobs wakes early when a job is pushed', async () => {
      const waiter = await open()
      const { driver } = waiter
      if (!driver.waitForJobs || (waiter.wakeUp ?? 'none') === 'none') return
      const pusher = waiter.wakeUp === 'server' ? (await open()).driver : driver
      const queue = queueName()
      // The first wait may only set up the wake-up channel; let it.
      await driver.waitForJobs([queue], 50, new AbortController().signal)
      const started = Date.now()
      setTimeout(() => void pusher.pushRaw('wake', queue), 150)
      await driver.waitForJobs([queue, 'unrelated'], 15_000, new AbortController().signal)
      expect(Date.now() - started).toBeLessThan(5000)
      const [job] = await driver.pop(queue)
      expect(job!.rawBody).toBe('wake')
    })

    it('waitForJobs ends once a delayed job or an expired reservation is due, not at its timeout', async () => {
      const { driver, retryAfter } = await open()
      if (!driver.waitForJobs) return
      const queue = queueName()
      const never = new AbortController().signal
      // The first wait may only set up the wake-up channel; let it.
      await driver.waitForJobs([queue], 50, never)
      await driver.pushRaw('due', queue, { delay: 1 })
      // As a worker does: a claim that finds nothing, then the wait.
      expect(await driver.pop(queue)).toEqual([])
      let started = Date.now()
      await driver.waitForJobs([queue], 15_000, never)
      // The delay, plus up to a second where a driver keeps whole seconds.
      expect(Date.now() - started).toBeLessThan(3000)
      const [job] = await driver.pop(queue)
      expect(job?.rawBody).toBe('due')

      // Its worker "dies": no ack. The reservation is claimable retry_after (+1 s in whole seconds) later.
      expect(await driver.pop(queue)).toEqual([])
      started = Date.now()
      await driver.waitForJobs([queue], 15_000, never)
      expect(Date.now() - started).toBeLessThan((retryAfter + 2) * 1000)
      const [again] = await driver.pop(queue)
      expect(again?.rawBody).toBe('due')
      expect(again?.attempts).toBe(2)
    })
  })
}

/** Pops one job, polling until `timeoutMs`; fails the test when none came. */
async function popWithin(driver: QueueDriver, queue: string, timeoutMs: number): Promise<ReservedJob> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const [job] = await driver.pop(queue)
    if (job) return job
    await sleep(100)
  }
  throw new Error(`No job became available on "${queue}" within ${timeoutMs} ms`)
}
