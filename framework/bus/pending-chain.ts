/**
 * What `Bus.chain([...])` returns: collects options, then `dispatch()` pushes the first job carrying
 * the rest. Unlike PendingDispatch it is not thenable: a chain is dispatched only by dispatch().
 *
 *   await Bus.chain([new ProcessOrder(id), new SendInvoice(id)]).onQueue('orders').catch(new OrderFailed(id)).dispatch()
 */
import { Application } from '../foundation/application.ts'
import type { Job } from '../queue/job.ts'
import { busRecorder } from './bus-recorder.ts'
import { prepareChain, push, type ChainOptions } from './chain.ts'

export class PendingChain {
  private readonly chainOptions: ChainOptions = {}

  constructor(readonly jobs: readonly Job[]) {}

  /** The connection of every job that names none (the first job's own `connection` still wins). */
  onConnection(name: string): this {
    this.chainOptions.connection = name
    return this
  }

  /** The queue of every job that names none. */
  onQueue(name: string): this {
    this.chainOptions.queue = name
    return this
  }

  /** Delays the first job: seconds from now, or a Date. */
  delay(delay: number | Date): this {
    this.chainOptions.delay = delay
    return this
  }

  /**
   * The job pushed when a link fails for good (a job, not a closure: closures cannot cross processes).
   * Inside it, `this.failure()` tells which job failed and why.
   */
  catch(job: Job): this {
    this.chainOptions.catch = job
    return this
  }

  /** The options collected so far (Bus.fake() assertions read them). */
  get options(): Readonly<ChainOptions> {
    return this.chainOptions
  }

  /** Pushes the first job; yields its id. */
  async dispatch(): Promise<string> {
    const app = Application.current()
    const recorder = busRecorder(app)
    if (recorder) return recorder.recordChain(this)
    return push(app, await prepareChain(app, this.jobs, this.chainOptions))
  }
}
