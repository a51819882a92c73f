/**
 * `npm run soak [-- --ci] [--scenario=1,7] [--driver=sqlite,redis]`: the reliability soak. Drives real
 * `craft queue:work` processes against real servers, counts every execution in a ledger of its own and
 * prints one table (scenario × driver × lost × duplicates × failed × time × pass/fail). Exits 1 when any
 * pass line is missed. See soak/README.md.
 */
// The Application first: job files reached through the scenarios import it back (an import cycle otherwise).
import { Application } from '../framework/foundation/application.ts'
import { backendAvailable, BACKENDS, openBackend, type BackendName } from './backends.ts'
import { Ledger } from './ledger.ts'
import { renderTable, type ScenarioResult } from './report.ts'
import type { Scenario } from './scenarios/context.ts'
import { SCENARIOS } from './scenarios/index.ts'

interface RunOptions {
  ci: boolean
  scenarios: string[]
  drivers: BackendName[]
}

async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv)
  const started = Date.now()
  const log = (message: string) => process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}\n`)
  const results: ScenarioResult[] = []
  const ledger = await Ledger.create()
  try {
    for (const name of options.drivers) {
      if (!(await backendAvailable(name))) {
        log(`${name}: server not reachable, skipped`)
        continue
      }
      const backend = await openBackend(name)
      try {
        for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.id))) {
          if (scenario.drivers && !scenario.drivers.includes(name)) continue
          await backend.reset(scenario.queues)
          ledger.reset()
          // Scenarios that open a private backend create (and shut down) apps of their own.
          Application.makeCurrent(backend.app)
          log(`scenario ${scenario.id} (${scenario.title}) on ${backend.label}`)
          const row = await scenario.run({ backend, ledger, ci: options.ci, log: (m) => log(`  ${backend.label} ${scenario.id}: ${m}`) }).catch((error: unknown) => crashed(scenario, backend.label, error))
          log(`  ${row.pass ? 'PASS' : 'FAIL'} in ${row.seconds.toFixed(1)}s ${row.notes.join('; ')}`)
          results.push(row)
        }
      } finally {
        await backend.close()
      }
    }
  } finally {
    ledger.close()
  }
  process.stdout.write(`\nKiln soak (${options.ci ? 'CI' : 'full'} run, ${((Date.now() - started) / 1000).toFixed(0)}s)\n\n${renderTable(results)}\n`)
  const failures = results.filter((r) => !r.pass).length
  process.stdout.write(`\n${results.length - failures} passed, ${failures} failed\n`)
  return failures === 0 && results.length > 0 ? 0 : 1
}

/** A scenario that threw is a failed row (with the error), not the end of the whole run. */
function crashed(scenario: Scenario, driver: string, error: unknown): ScenarioResult {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  const message = error instanceof Error ? error.message : String(error)
  return { scenario: `${scenario.id} ${scenario.title}`, driver, lost: 0, duplicates: 0, failed: 0, seconds: 0, pass: false, passLine: '(the scenario crashed)', notes: [`FAIL: crashed: ${message}`] }
}

function parseArgs(argv: string[]): RunOptions {
  const value = (flag: string) => argv.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3)
  const list = (flag: string) => value(flag)?.split(',').map((s) => s.trim()).filter(Boolean)
  const drivers = (list('driver') ?? BACKENDS) as BackendName[]
  const unknown = drivers.filter((d) => !BACKENDS.includes(d))
  if (unknown.length > 0) throw new UsageError(`Unknown --driver ${unknown.join(',')}: use ${BACKENDS.join(', ')}.`)
  const known = SCENARIOS.map((s) => s.id)
  // A scenario that covers several of the numbers ("10+11") answers to each of them.
  const byNumber = (n: string) => known.find((id) => id === n || id.split('+').includes(n)) ?? n
  const scenarios = [...new Set((list('scenario') ?? known).map(byNumber))]
  const missing = scenarios.filter((s) => !known.includes(s))
  if (missing.length > 0) throw new UsageError(`Unknown --scenario ${missing.join(',')}: implemented are ${known.join(', ')}.`)
  return { ci: argv.includes('--ci'), scenarios, drivers }
}

/** A wrong flag: the message says what to type instead, a stack would say nothing more. */
class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const detail = error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
    process.stderr.write(`soak: ${detail}\n`)
    process.exit(1)
  },
)
