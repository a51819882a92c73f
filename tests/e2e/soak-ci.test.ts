/**
 * The reliability soak's CI variant (`soak/run.ts --ci`): real `craft queue:work` processes killed,
 * restarted, stopped and fed poison and hostile payloads on every reachable backend, counted in a ledger
 * of their own. One run, then one assertion per scenario and backend on the printed table's pass/fail
 * column (the pass lines themselves are checked inside the soak; see soak/scenarios/*.ts).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/craft.ts'
import { probeService } from '../support/services.ts'

interface Row {
  scenario: string
  driver: string
  result: string
  line: string
}

const SCENARIOS = ['1 SIGKILL storm', '2 server restart', '3 producers while down', '7 graceful stop', '4 poison jobs', '5 hung and CPU-bound', '10+11 hostile payloads', '6 crowd, no faults', '8 delayed + restarts', '9 batch + chain under kills', '12 __proto__ in job data', '13 encrypted job secrets', '14 tampered signed payloads']
/** Scenario 6 is about SQL claim races: it runs on the database driver only. */
const SQL_ONLY = new Set(['6 crowd, no faults'])
/** Scenarios 2 and 3 stop a server of their own (Redis, PostgreSQL, MariaDB): SQLite has none. */
const SERVER_ONLY = new Set(['2 server restart', '3 producers while down'])
let rows: Row[] = []
let output = ''
const drivers: string[] = ['database/sqlite']

/**
 * Two soak processes side by side, each on half the backends (each has its own ledger and databases),
 * so the whole CI soak stays under ten minutes; most of a scenario's time is waiting for kills, restarts
 * and delays, not CPU.
 */
const GROUPS = [
  ['sqlite', 'mysql'],
  ['pgsql', 'redis'],
]

beforeAll(async () => {
  const reachable = new Set(['sqlite'])
  for (const [name, label] of [['pgsql', 'database/pgsql'], ['mysql', 'database/mysql'], ['redis', 'redis']] as const) {
    if (!(await probeService(name))) continue
    reachable.add(name)
    drivers.push(label)
  }
  const runs = await Promise.all(
    GROUPS.map((group) => group.filter((name) => reachable.has(name)))
      .filter((group) => group.length > 0)
      .map((group) => soak(['--ci', `--driver=${group.join(',')}`])),
  )
  output = runs.map((run) => run.output).join('\n')
  rows = runs.flatMap((run) => parseTable(run.stdout))
  // The tables themselves, for the CI log.
  console.log(runs.map((run) => run.stdout).join('\n'))
}, 600_000)

describe('the CI soak', () => {
  it('prints one table row per scenario and reachable backend', () => {
    expect(rows.map((row) => `${row.scenario} @ ${row.driver}`).sort(), output).toEqual(SCENARIOS.flatMap((s) => drivers.filter((d) => (!SQL_ONLY.has(s) || d !== 'redis') && (!SERVER_ONLY.has(s) || d !== 'database/sqlite')).map((d) => `${s} @ ${d}`)).sort())
  })

  for (const scenario of SCENARIOS) {
    it(`${scenario}: meets its pass line on every backend`, () => {
      const mine = rows.filter((row) => row.scenario === scenario)
      expect(mine.length).toBeGreaterThan(0)
      for (const row of mine) expect(row.result, row.line).toBe('PASS')
    })
  }
})

function soak(args: string[]): Promise<{ stdout: string; output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './framework/loader/register.mjs', join('soak', 'run.ts'), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), (output += chunk)))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), 580_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ stdout, output, code })
    })
  })
}

/** The rows of the soak's table: `scenario | driver | lost | dup | failed | time | result | pass line | notes`. */
function parseTable(stdout: string): Row[] {
  return stdout
    .split('\n')
    .map((line) => line.split(' | ').map((cell) => cell.trim()))
    .filter((cells) => cells.length >= 8 && (cells[6] === 'PASS' || cells[6] === 'FAIL'))
    .map((cells) => ({ scenario: cells[0]!, driver: cells[1]!, result: cells[6]!, line: cells.join(' | ') }))
}
