/**
 * Turns samples into the printed tables: one row per metric with Kiln's figure, the peer's, their ratio
 * (Kiln/peer), the target the issue sets and whether it is met; plus the JSON written to bench/results/.
 */
import { cpus } from 'node:os'
import { median, percentile } from './stats.ts'

/** Every raw number measured, by key (e.g. `pg.kiln.enqueue`): one per repeat, or every latency sample. */
export type Samples = Map<string, number[]>

export interface Target {
  /** `ratio` compares Kiln/peer; `absolute` compares Kiln's own figure. */
  kind: 'ratio' | 'absolute'
  op: '>=' | '<='
  value: number
}

export interface RowSpec {
  metric: string
  unit: 'jobs/s' | 'pairs/s' | 'req/s' | 'ms' | 'MB' | '%'
  /** Sample key of Kiln's figure; absent for reference rows (a raw loop shown on its own). */
  kiln?: string
  peer?: { label: string; key: string }
  /** How a row's samples become one figure: the median of per-repeat values, or a percentile of all samples. */
  aggregate?: 'median' | 'p50' | 'p99'
  target?: Target
}

export interface Section {
  title: string
  rows: RowSpec[]
  notes: string[]
}

export interface RowResult {
  metric: string
  unit: string
  kiln: number | null
  peer: number | null
  peerLabel: string | null
  ratio: number | null
  target: string | null
  met: boolean | null
  samples: { kiln: number[]; peer: number[] }
}

export interface Environment {
  date: string
  node: string
  cpu: string
  cores: number
  command: string
}

export function environment(argv: string[]): Environment {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    command: ['npm run bench --', ...argv].join(' '),
  }
}

export function evaluate(section: Section, samples: Samples): RowResult[] {
  return section.rows.map((row) => {
    const kilnSamples = row.kiln ? (samples.get(row.kiln) ?? []) : []
    const peerSamples = row.peer ? (samples.get(row.peer.key) ?? []) : []
    const kiln = row.kiln ? aggregate(kilnSamples, row.aggregate) : null
    const peer = row.peer ? aggregate(peerSamples, row.aggregate) : null
    // A ratio of two percentages (RSS growth) means nothing; show both figures only.
    const ratio = row.unit === '%' ? null : kilnOverPeer(kilnSamples, peerSamples, kiln, peer, row.aggregate)
    return {
      metric: row.metric,
      unit: row.unit,
      kiln,
      peer,
      peerLabel: row.peer?.label ?? null,
      ratio,
      target: row.target ? describeTarget(row.target, row.unit) : null,
      met: row.target ? isMet(row.target, kiln, ratio) : null,
      samples: { kiln: kilnSamples, peer: peerSamples },
    }
  })
}

/** A plain-text table: metric | Kiln | peer (mode) | ratio | target | met?. */
export function renderSection(title: string, rows: RowResult[], notes: string[]): string {
  const header = ['metric', 'Kiln', 'peer (mode)', 'ratio', 'target', 'met?']
  const body = rows.map((row) => [
    `${row.metric} (${row.unit})`,
    formatValue(row.kiln, row.unit),
    row.peerLabel === null ? '-' : `${formatValue(row.peer, row.unit)} (${row.peerLabel})`,
    row.ratio === null ? '-' : `${row.ratio.toFixed(2)}x`,
    row.target ?? '-',
    row.met === null ? '-' : row.met ? 'yes' : 'NO',
  ])
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((line) => (line[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 || i === 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-')
  return [`== ${title}`, line(header), rule, ...body.map(line), ...notes.map((note) => `  * ${note}`)].join('\n')
}

export function renderEnvironment(env: Environment, settings: string): string {
  return [`Kiln bench, ${env.date}`, `node ${env.node} | ${env.cpu} | ${env.cores} cores`, settings, `command: ${env.command}`].join('\n')
}

/**
 * Kiln/peer. When both have one figure per repeat, measured back to back, the median of the per-repeat
 * ratios: a change in the machine's load between repeats then cancels out instead of skewing the result.
 */
function kilnOverPeer(kilnSamples: number[], peerSamples: number[], kiln: number | null, peer: number | null, how: RowSpec['aggregate'] = 'median'): number | null {
  if (kiln === null || peer === null || peer <= 0) return null
  const paired = how === 'median' && kilnSamples.length === peerSamples.length && kilnSamples.length > 1
  if (!paired) return kiln / peer
  return median(kilnSamples.map((value, i) => value / (peerSamples[i] ?? Number.NaN)).filter(Number.isFinite))
}

function aggregate(values: number[], how: RowSpec['aggregate'] = 'median'): number | null {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return null
  if (how === 'p50') return percentile(finite, 50)
  if (how === 'p99') return percentile(finite, 99)
  return median(finite)
}

function isMet(target: Target, kiln: number | null, ratio: number | null): boolean | null {
  const value = target.kind === 'ratio' ? ratio : kiln
  if (value === null) return null
  return target.op === '>=' ? value >= target.value : value <= target.value
}

function describeTarget(target: Target, unit: string): string {
  const op = target.op === '>=' ? '>=' : '<='
  return target.kind === 'ratio' ? `${op} ${target.value.toFixed(1)}x` : `${op} ${target.value} ${unit}`
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'n/a'
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value.toFixed(1)
  if (unit === 'MB' || unit === '%') return value.toFixed(1)
  return Math.round(value).toLocaleString('en-US')
}
