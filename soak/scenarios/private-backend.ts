/**
 * Scenarios 2 and 3 take their server down, so they never touch the shared one: each runs against a
 * backend on a private server of the context's kind (soak/private-servers.ts), stopped and removed
 * afterwards whatever happens.
 */
import { openBackend, type BackendName } from '../backends.ts'
import { missingServerBinary, startPrivateServer, type PrivateServer } from '../private-servers.ts'
import type { ScenarioResult } from '../report.ts'
import { result, type Scenario, type ScenarioContext } from './context.ts'

export async function withPrivateBackend(
  context: ScenarioContext,
  scenario: Scenario,
  passLine: string,
  run: (context: ScenarioContext, server: PrivateServer, startedAt: number) => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  const startedAt = Date.now()
  const name = context.backend.name as Exclude<BackendName, 'sqlite'>
  // A failed row, not a skip: a soak that quietly left out the outage would prove nothing about it.
  const missing = missingServerBinary(name)
  if (missing) return result(context, scenario, startedAt, { lost: 0, duplicates: 0, failed: 0, passLine, notes: [], reasons: [`${missing} is not installed: cannot run a private ${name} server`] })
  const server = await startPrivateServer(name)
  context.log(`private ${name} server on port ${server.port} (init ${server.timings.initMs} ms, start ${server.timings.startMs} ms)`)
  let backend: Awaited<ReturnType<typeof openBackend>> | undefined
  try {
    backend = await openBackend(name, { server })
    return await run({ ...context, backend }, server, startedAt)
  } finally {
    await backend?.close().catch((error: unknown) => context.log(`closing the private backend: ${String(error)}`))
    await server.destroy()
  }
}
