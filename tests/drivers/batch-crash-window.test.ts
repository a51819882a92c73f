/**
 * A worker that dies (SIGKILL, OOM) right after acknowledging a batched or chained job, before the bus
 * has counted it or pushed the next link. Soak scenario 9 hits this window a few times per run: the
 * batch's pending_jobs never reaches its end, so `finally` (or `then`) is never pushed, and a chain
 * stops. The acknowledge hook below deletes the reservation and then throws, which is what a kill at
 * that instant leaves behind; a restarted worker then drains the queue.
 *
 * KNOWN BUG, marked `it.fails`: the bus counts and continues only after the ack, and a second count
 * would not be idempotent, so there is no order of ack and count that survives a kill. Making it exact
 * needs a per-job marker stored with the counters (see the soak README, scenario 9). When that lands,
 * these tests turn red: flip them to `it`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { busTestApp, type BusTestApp } from './bus-support.ts'

const log: string[] = []

class Member extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
  }
}

class Done extends QueuedJob {
  handle() {
    log.push('finally')
  }
}

class Killed extends Error {}

describe('a worker killed right after acknowledging a batched or chained job (sqlite)', () => {
  let ctx: BusTestApp

  beforeAll(async () => {
    ctx = await busTestApp('sqlite', [Member, Done])
  }, 60_000)

  afterAll(async () => {
    await ctx?.close()
  })

  beforeEach(async () => {
    log.length = 0
    await ctx.reset()
  })

  /** Runs the next job; with `killAfterAck`, the process "dies" the instant its ack is written. */
  async function runNext(killAfterAck: boolean): Promise<void> {
    const [reserved] = await (await ctx.app.make('queue').connection(ctx.connection)).pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    const acknowledge = async (job: ReservedJob) => {
      await job.delete()
      throw new Killed('SIGKILL')
    }
    await processJob(ctx.app, reserved, workerOptions({ tries: 1, sleep: 0 }), killAfterAck ? { acknowledge } : {}).catch((error: unknown) => {
      if (!(error instanceof Killed)) throw error
    })
  }

  it.fails('still counts the member and runs finally once', async () => {
    const batch = await Bus.batch([new Member('one'), new Member('two')]).finally(new Done()).dispatch()
    await runNext(false)
    await runNext(true)
    await ctx.drain()
    expect(log).toEqual(['one', 'two', 'finally'])
    expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 2, pendingJobs: 0, failedJobs: 0 })
  })

  it.fails('still pushes the next link of the chain', async () => {
    await Bus.chain([new Member('first'), new Member('second')]).dispatch()
    await runNext(true)
    await ctx.drain()
    expect(log).toEqual(['first', 'second'])
  })

  it('runs both to the end when nothing dies (the tests above fail for the kill alone)', async () => {
    const batch = await Bus.batch([new Member('one'), new Member('two')]).finally(new Done()).dispatch()
    await Bus.chain([new Member('first'), new Member('second')]).dispatch()
    await runNext(false)
    await ctx.drain()
    expect(log.sort()).toEqual(['finally', 'first', 'one', 'second', 'two'])
    expect(await Bus.findBatch(batch.id)).toMatchObject({ pendingJobs: 0 })
  })
})
