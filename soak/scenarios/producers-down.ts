/**
 * Scenario 3: producers while the server is down. A real `craft serve` of the fixture app takes
 * `POST /jobs {key}` from concurrent clients before, during and after an outage of its queue's server
 * (a private one: soak/private-servers.ts), and the `craft soak:dispatch` CLI runs while it is up and
 * while it is down. Then workers drain the queue. Pass: every answer while the server is down is a 503
 * with a JSON message within 2 s; no answer other than 2xx or 503; the CLI exits non-zero with one
 * readable line while down and 0 while up; and the keys answered 2xx (plus successful CLI runs) are
 * exactly the keys executed: none accepted then lost, none refused then run anyway.
 * SQLite is embedded (there is no server to take away), so it is not part of this scenario.
 */
import { RETRY_AFTER, soakApp } from '../backends.ts'
import type { PrivateServer } from '../private-servers.ts'
import { produceOverCli, produceOverHttp, serve, type Answer, type CliRun } from '../producers.ts'
import { Supervisor } from '../supervisor.ts'
import { percentile, result, sleep, waitUntil, workerEnv, type Scenario, type ScenarioContext } from './context.ts'
import { withPrivateBackend } from './private-backend.ts'

/** An answer while the server is down must come within this (the issue's pass line). */
const DOWN_ANSWER_MS = 2000
const PREFIX = 's3-'
const PASS_LINE = `while down: every answer 503 JSON <= ${DOWN_ANSWER_MS / 1000}s, CLI exit != 0 in one line; 2xx + CLI ok == executed (lost=0, refused-yet-run=0)`

export const producersDown: Scenario = {
  id: '3',
  title: 'producers while down',
  queues: ['default'],
  drivers: ['redis', 'pgsql', 'mysql'],
  run(context) {
    return withPrivateBackend(context, this, PASS_LINE, (context, server, startedAt) => producersRun(context, server, startedAt, this))
  },
}

interface Timeline {
  stopBegan: number
  stopped: number
  startBegan: number
  accepted: number
}

async function producersRun(context: ScenarioContext, server: PrivateServer, startedAt: number, scenario: Scenario): Promise<ReturnType<typeof result>> {
  const loops = context.ci ? 10 : 20
  const pauseMs = context.ci ? 100 : 50
  const upMs = context.ci ? 3000 : 10_000
  const downMs = context.ci ? 5000 : 15_000
  // Request logs off: the warn line of each 503 is what is left to read.
  const env = workerEnv(context, { LOG_CHANNEL: 'stdout', HTTP_LOG_REQUESTS: 'false' })
  const http = await serve(env)
  context.log(`craft serve on ${http.url}`)
  const cli: { phase: 'up' | 'down'; run: CliRun }[] = []
  let timeline: Timeline
  let answers: Answer[]
  try {
    cli.push({ phase: 'up', run: await produceOverCli(env, `${PREFIX}cli-before`) })
    const producers = produceOverHttp(http.url, { loops, pauseMs, prefix: `${PREFIX}h`, timeoutMs: 30_000 })
    await sleep(upMs)
    const stopBegan = Date.now()
    await server.stop()
    const stopped = Date.now()
    context.log(`server stopped (${producers.answers.length} answers so far); down for ${downMs / 1000}s`)
    const downCli = produceOverCli(env, `${PREFIX}cli-down`)
    await sleep(downMs)
    cli.push({ phase: 'down', run: await downCli })
    const startBegan = Date.now()
    await server.start()
    timeline = { stopBegan, stopped, startBegan, accepted: server.acceptedAt }
    context.log('server accepting again')
    await sleep(upMs)
    await producers.stop()
    answers = producers.answers
    cli.push({ phase: 'up', run: await produceOverCli(env, `${PREFIX}cli-after`) })
  } finally {
    await http.stop()
  }

  const acceptedKeys = new Set([...answers.filter((a) => a.status >= 200 && a.status < 300).map((a) => a.key), ...cli.filter((c) => c.run.code === 0).map((c) => c.run.key)])
  context.log(`${answers.length} answers, ${acceptedKeys.size} accepted; draining`)
  const drained = await drain(context, acceptedKeys)

  const executions = context.ledger.executions(PREFIX).filter((row) => row.finishedAt !== null)
  const found = new Set(executions.map((row) => row.key))
  const lost = [...acceptedKeys].filter((key) => !found.has(key))
  const phantoms = [...found].filter((key) => !acceptedKeys.has(key))
  const failed = (await context.backend.failedJobs()).length

  // Requests sent while the server was down, early enough that their 2 s were over before it was restarted.
  const down = answers.filter((a) => a.at >= timeline.stopped && a.at + DOWN_ANSWER_MS <= timeline.startBegan)
  const badDown = down.filter((a) => a.status !== 503 || !a.jsonMessage || a.ms > DOWN_ANSWER_MS || a.retryAfter === null)
  const unexpected = answers.filter((a) => !(a.status >= 200 && a.status < 300) && a.status !== 503)
  const firstOkAfter = answers.filter((a) => a.status >= 200 && a.status < 300 && a.at >= timeline.accepted).sort((a, b) => a.at - b.at)[0]
  const downLatencies = down.map((a) => a.ms).sort((a, b) => a - b)
  const serverStack = http.lines.some((line) => /^at \S/.test(line.text))
  // Pushes in flight at the stop that Redis stored without replying, withdrawn by craft serve once it was back.
  const withdrawn = http.lines.reduce((sum, line) => sum + Number(/withdrew (\d+) job/.exec(line.text)?.[1] ?? 0), 0)

  const reasons: string[] = []
  if (lost.length > 0) reasons.push(`${lost.length} accepted then lost (${lost.slice(0, 3).join(', ')})`)
  if (phantoms.length > 0) reasons.push(`${phantoms.length} refused yet executed (${phantoms.slice(0, 3).map((key) => describePhantom(key, answers, timeline)).join(', ')})`)
  if (down.length === 0) reasons.push('no request was answered while the server was down')
  if (badDown.length > 0) reasons.push(`${badDown.length} answers while down were not a 503 JSON with Retry-After within ${DOWN_ANSWER_MS} ms (e.g. ${describe(badDown[0] as Answer)})`)
  if (unexpected.length > 0) reasons.push(`${unexpected.length} answers neither 2xx nor 503 (e.g. ${describe(unexpected[0] as Answer)})`)
  if (!firstOkAfter) reasons.push('no 2xx answer after the server came back')
  for (const { phase, run } of cli) {
    if (phase === 'up' && run.code !== 0) reasons.push(`CLI exited ${run.code} while the server was up: ${run.lines.join(' / ')}`)
    if (phase === 'down' && (run.code === 0 || run.code === null)) reasons.push(`CLI exited ${run.code} while the server was down`)
    if (phase === 'down' && (run.lines.length !== 1 || run.stackTrace)) reasons.push(`CLI printed ${run.lines.length} lines${run.stackTrace ? ' with a stack trace' : ''} while down: ${run.lines.slice(0, 4).join(' / ')}`)
  }
  if (serverStack) reasons.push('craft serve printed a stack trace')
  if (!drained) reasons.push('the accepted jobs were not all executed within the drain budget')
  if (failed !== 0) reasons.push(`${failed} failed`)

  const downCli = cli.find((c) => c.phase === 'down')?.run
  const counts = executions.length - found.size
  return result(context, scenario, startedAt, {
    lost: lost.length,
    duplicates: counts,
    failed,
    passLine: PASS_LINE,
    notes: [
      `${answers.length} answers (${acceptedKeys.size} accepted incl. CLI) from ${loops} clients`,
      `down ${((timeline.startBegan - timeline.stopped) / 1000).toFixed(1)}s: ${down.length} answers, 503 in p50 ${percentile(downLatencies, 0.5) ?? '-'} / p99 ${percentile(downLatencies, 0.99) ?? '-'} / max ${downLatencies.at(-1) ?? '-'} ms`,
      `CLI down: exit ${downCli?.code} in ${downCli ? (downCli.ms / 1000).toFixed(1) : '-'}s`,
      `first 2xx ${firstOkAfter ? ((firstOkAfter.at + firstOkAfter.ms - timeline.accepted) / 1000).toFixed(1) : '-'}s after the server accepted`,
      `${found.size} executed`,
      ...(withdrawn > 0 ? [`${withdrawn} in-doubt push(es) withdrawn after the restart`] : []),
    ],
    reasons,
  })
}

/** Workers run until every accepted key has executed (or the budget runs out); true when all did. */
async function drain(context: ScenarioContext, accepted: Set<string>): Promise<boolean> {
  const supervisor = new Supervisor({
    basePath: soakApp,
    env: workerEnv(context),
    args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=4', '--memory=1024'],
    respawn: true,
  })
  supervisor.start(2)
  try {
    const all = await waitUntil(() => context.ledger.finishedKeys(PREFIX) >= accepted.size, 120_000)
    // Anything queued beyond the accepted keys (a refused push that landed anyway) runs too, to be counted.
    await waitUntil(async () => (await context.backend.driver.size('default')) === 0, 30_000)
    await sleep(500)
    return all
  } finally {
    await supervisor.stopAll('SIGTERM', 15_000)
  }
}

function describe(answer: Answer): string {
  return `${answer.key} ${answer.status || 'no answer'} in ${answer.ms} ms${answer.jsonMessage ? '' : ' (no JSON message)'}${answer.body ? `: ${answer.body.slice(0, 160)}` : ''}`
}

/** A phantom key with when its request was sent and answered, relative to the server's stop: tells a request in flight at the stop from one sent later. */
function describePhantom(key: string, answers: Answer[], timeline: Timeline): string {
  const answer = answers.find((a) => a.key === key)
  if (!answer) return `${key}: no HTTP answer (CLI)`
  const sent = answer.at - timeline.stopBegan
  return `${key}: sent at stop${sent >= 0 ? '+' : ''}${sent} ms, ${answer.status} after ${answer.ms} ms`
}
