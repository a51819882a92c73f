/**
 * Scenario 8: delayed jobs while the workers are restarted (rolling, SIGTERM) every 5 s. Pass: no job
 * starts before its time (its available second: queues keep whole seconds, like Laravel), 99 % start
 * within 2 s of it, lost = 0.
 */
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { percentile, result, sleep, workerEnv, type Scenario } from './context.ts'

const WORKERS = 3
const RESTART_EVERY_MS = 5000

export const delayedJobs: Scenario = {
  id: '8',
  title: 'delayed + restarts',
  queues: ['default'],
  async run(context) {
    const jobs = context.ci ? 200 : 2000
    const maxDelay = context.ci ? 10 : 30
    const startedAt = Date.now()
    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=2'],
    })
    supervisor.start(WORKERS)
    await sleep(2000)
    // Due times: `earliest` is the start of the second the job becomes available, `due` the exact ms asked for.
    const due = new Map<string, { earliest: number; due: number }>()
    for (let delay = 1; delay <= maxDelay; delay++) {
      const keys = Array.from({ length: Math.ceil(jobs / maxDelay) }, (_, i) => `s8-${delay}-${i}`)
      const now = Date.now()
      for (const key of keys) due.set(key, { earliest: (Math.floor(now / 1000) + delay) * 1000, due: now + delay * 1000 })
      await context.backend.driver.bulkRaw(
        keys.map((key) => encodeJob(new SoakJob(key, 2)).payload),
        'default',
        { delay },
      )
    }
    try {
      const deadline = Date.now() + maxDelay * 1000 + 60_000
      let lastRestart = Date.now()
      while (context.ledger.finishedKeys('s8-') < due.size && Date.now() < deadline) {
        await sleep(250)
        if (Date.now() - lastRestart >= RESTART_EVERY_MS) {
          await supervisor.restartAll()
          lastRestart = Date.now()
        }
      }
      await supervisor.stopAll('SIGTERM')
      const counts = context.ledger.counts('s8-', due.size)
      const failed = (await context.backend.failedJobs()).length
      const firstStarts = new Map<string, number>()
      for (const run of context.ledger.executions('s8-')) if (!firstStarts.has(run.key)) firstStarts.set(run.key, run.startedAt)
      let early = 0
      let late = 0
      const lateness: number[] = []
      for (const [key, start] of firstStarts) {
        const times = due.get(key)!
        if (start < times.earliest) early++
        if (start - times.due > 2000) late++
        lateness.push(start - times.due)
      }
      lateness.sort((a, b) => a - b)
      const p99 = percentile(lateness, 0.99) ?? 0
      const onTime = firstStarts.size === 0 ? 0 : (firstStarts.size - late) / firstStarts.size
      const reasons: string[] = []
      if (counts.lost !== 0) reasons.push(`${counts.lost} lost`)
      if (early !== 0) reasons.push(`${early} started before their time`)
      if (onTime < 0.99) reasons.push(`${(onTime * 100).toFixed(1)}% within 2s < 99%`)
      if (failed !== 0) reasons.push(`${failed} failed`)
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed,
        passLine: 'none early, >=99% within 2s of due, lost=0',
        notes: [`${due.size} jobs delayed 1-${maxDelay}s`, `${(onTime * 100).toFixed(1)}% within 2s`, `p99 ${(p99 / 1000).toFixed(2)}s after due`, `${supervisor.all.length} worker starts`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}
