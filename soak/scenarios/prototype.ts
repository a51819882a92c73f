/**
 * Scenario 12: job data with `__proto__` and `constructor.prototype` keys, as raw JSON payloads (built by
 * hand, bypassing encodeJob: in the data, nested, in arrays, in a `$kiln` wrapper, at the payload's top
 * level) and through encodeJob (own `__proto__`/`constructor` properties on the job). One worker runs
 * them all; each ProtoProbeJob checks in the worker process that no prototype is polluted and records its
 * key (`:POLLUTED:...` appended otherwise), and clean probes pushed after them check the same process
 * again. Pass: every hostile payload ran clean or is in failed_jobs with an E_ code, no `:POLLUTED` row,
 * the later probes clean in the same worker pid, the worker never exited, no stack trace on stdout; a
 * nested `__proto__` key through encodeJob is refused at dispatch (E_UNSERIALIZABLE_JOB_DATA).
 */
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { ProtoProbeJob } from '../../tests/fixtures/soak-app/app/Jobs/ProtoProbeJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { result, waitUntil, workerEnv, type Scenario } from './context.ts'
import { pushRaw } from './keyed.ts'

const POLLUTE = '{"polluted":"yes","handle":"not a function"}'

export const prototypePollution: Scenario = {
  id: '12',
  title: '__proto__ in job data',
  queues: ['default'],
  async run(context) {
    const startedAt = Date.now()
    const hostile = hostilePayloads()
    const refused = refusedAtDispatch()
    const probes = context.ci ? 20 : 200
    const before = Array.from({ length: probes }, (_, i) => encodeJob(new ProtoProbeJob(`s12-before-${i}`)).payload)
    const after = Array.from({ length: probes }, (_, i) => encodeJob(new ProtoProbeJob(`s12-after-${i}`)).payload)
    await pushRaw(context, [...before, ...hostile.map((h) => h.raw), ...after])

    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [context.backend.connection, '--sleep=1', '--tries=1', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=2'],
    })
    const [worker] = supervisor.start(1)
    try {
      const settled = async () => {
        const failed = new Set((await context.backend.failedJobs()).map((row) => row.payload))
        return context.ledger.finishedKeys('s12-after-') >= probes && hostile.every((h) => failed.has(h.raw) || context.ledger.finishedKeys(h.key) > 0)
      }
      await waitUntil(settled, 60_000, 250)
      const exitedEarly = worker?.exit !== null
      await supervisor.stopAll('SIGTERM')

      const failedRows = await context.backend.failedJobs()
      const rows = context.ledger.executions('s12-')
      const polluted = rows.filter((row) => row.key.includes(':POLLUTED'))
      const reasons: string[] = []
      let ranClean = 0
      const failedCleanly: string[] = []
      for (const bad of hostile) {
        const failed = failedRows.find((row) => row.payload === bad.raw)
        if (rows.some((row) => row.key === bad.key && row.finishedAt !== null)) ranClean++
        else if (!failed) reasons.push(`${bad.label}: neither ran nor in failed_jobs`)
        else if (!/\[E_[A-Z_]+\]/.test(failed.exception)) reasons.push(`${bad.label}: failed without a Kiln error code: ${failed.exception.split('\n')[0]?.slice(0, 100)}`)
        else failedCleanly.push(`${bad.label} ${/\[(E_[A-Z_]+)\]/.exec(failed.exception)?.[1]}`)
      }
      if (polluted.length > 0) reasons.push(`polluted: ${polluted.map((row) => row.key).join(' ')}`)
      const afterRows = rows.filter((row) => row.key.startsWith('s12-after-') && row.finishedAt !== null)
      const lost = probes * 2 - context.ledger.finishedKeys('s12-before-') - context.ledger.finishedKeys('s12-after-')
      if (lost !== 0) reasons.push(`${lost} clean probes lost`)
      if (afterRows.some((row) => row.pid !== worker?.pid)) reasons.push('a later probe ran in another process')
      if (exitedEarly) reasons.push('the worker exited (pid changed)')
      if (worker?.stackOnStdout) reasons.push('a stack trace on stdout')
      for (const attempt of refused) if (attempt.outcome !== 'E_UNSERIALIZABLE_JOB_DATA') reasons.push(`encodeJob of ${attempt.label}: ${attempt.outcome} (want E_UNSERIALIZABLE_JOB_DATA at dispatch)`)
      return result(context, this, startedAt, {
        lost,
        duplicates: 0,
        failed: failedRows.length,
        passLine: `${hostile.length} hostile ran clean or failed with an E_ code; 0 polluted; later probes clean in the same pid; ${refused.length} refused at dispatch`,
        notes: [`${ranClean} ran clean`, `failed cleanly: ${failedCleanly.join(', ') || 'none'}`, `${polluted.length} polluted`, `${probes * 2} clean probes`, `pid ${worker?.pid}`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

interface Hostile {
  label: string
  key: string
  raw: string
}

/** Raw payloads whose JSON text carries the keys (JSON.parse makes them own properties, as a store would return them). */
function hostilePayloads(): Hostile[] {
  const raw = (key: string, data: string, extraFields = ''): string => {
    const fields = JSON.parse(encodeJob(new ProtoProbeJob(key)).payload) as Record<string, unknown>
    const { data: _data, ...rest } = fields
    return `${JSON.stringify(rest).slice(0, -1)},"data":${data}${extraFields}}`
  }
  const cases: [string, string, string?][] = [
    ['data.__proto__', `{"key":"%K","__proto__":${POLLUTE}}`],
    ['data.constructor.prototype', `{"key":"%K","constructor":{"prototype":${POLLUTE}}}`],
    ['nested __proto__ and constructor.prototype', `{"key":"%K","nested":{"__proto__":${POLLUTE},"constructor":{"prototype":${POLLUTE}}},"deep":{"a":{"b":{"__proto__":${POLLUTE}}}}}`],
    ['__proto__ inside an array', `{"key":"%K","list":[{"__proto__":${POLLUTE}},[{"constructor":{"prototype":${POLLUTE}}}]]}`],
    ['__proto__ in a $kiln object wrapper', `{"key":"%K","wrapped":{"$kiln":"object","value":{"__proto__":${POLLUTE},"constructor":{"prototype":${POLLUTE}}}}}`],
    ['data keys naming methods', `{"key":"%K","handle":"x","toString":"x","hasOwnProperty":"x","valueOf":{"__proto__":${POLLUTE}}}`],
    ['payload-level __proto__ and constructor', `{"key":"%K"}`, `,"__proto__":${POLLUTE},"constructor":{"prototype":${POLLUTE}}`],
    ['data.__proto__ as a JSON string twice', `{"key":"%K","__proto__":${POLLUTE},"__proto__":${POLLUTE}}`],
  ]
  const hostile = cases.map(([label, data, extra], i) => {
    const key = `s12-raw-${i}`
    return { label, key, raw: raw(key, data.replace('%K', key), extra) }
  })
  // Through encodeJob: own `__proto__` and `constructor` data properties on the job itself.
  const own = new ProtoProbeJob('s12-enc-own')
  Object.defineProperty(own, '__proto__', { value: JSON.parse(POLLUTE) as object, enumerable: true, configurable: true, writable: true })
  Object.defineProperty(own, 'constructor', { value: { prototype: JSON.parse(POLLUTE) as object }, enumerable: true, configurable: true, writable: true })
  hostile.push({ label: 'encodeJob of own __proto__/constructor properties', key: 's12-enc-own', raw: encodeJob(own).payload })
  return hostile
}

/** encodeJob of a job whose data holds a nested `__proto__` key must refuse it (it could not be restored safely). */
function refusedAtDispatch(): { label: string; outcome: string }[] {
  const job = new ProtoProbeJob('s12-refused') as ProtoProbeJob & { options?: unknown }
  job.options = JSON.parse(`{"a":1,"__proto__":${POLLUTE}}`) as object
  try {
    encodeJob(job)
    return [{ label: 'nested __proto__ data', outcome: 'dispatched' }]
  } catch (error) {
    return [{ label: 'nested __proto__ data', outcome: String((error as { code?: unknown }).code ?? (error as Error).message) }]
  }
}
