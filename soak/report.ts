/**
 * The soak's one table: scenario × driver × lost × duplicates × failed × time × pass/fail, with the
 * scenario's pass line and, when it failed, why.
 */
export interface ScenarioResult {
  scenario: string
  driver: string
  lost: number
  duplicates: number
  failed: number
  seconds: number
  pass: boolean
  /** The numeric pass line, e.g. "lost=0 failed=0 dup<=kills*2 (=24) drained<=35s". */
  passLine: string
  /** Measured values worth showing (kills, drain time, exit codes) and the reasons of a failure. */
  notes: string[]
}

export function renderTable(results: ScenarioResult[]): string {
  const header = ['scenario', 'driver', 'lost', 'dup', 'failed', 'time', 'result', 'pass line', 'notes']
  const rows = results.map((r) => [r.scenario, r.driver, String(r.lost), String(r.duplicates), String(r.failed), `${r.seconds.toFixed(1)}s`, r.pass ? 'PASS' : 'FAIL', r.passLine, r.notes.join('; ')])
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join(' | ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n')
}
