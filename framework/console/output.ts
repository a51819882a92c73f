import { Writable } from 'node:stream'

const codes = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1, dim: 2 } as const
type Style = keyof typeof codes

/**
 * What commands print, in artisan's look: `INFO`/`ERROR` badges, dotted two-column lines, tables.
 * Colour only on a terminal (and never with NO_COLOR), so tests and logs get plain text.
 */
export class Output {
  readonly colors: boolean

  constructor(
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
    colors?: boolean,
  ) {
    this.colors = colors ?? (Boolean((stdout as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR)
  }

  style(text: string, ...styles: Style[]): string {
    if (!this.colors || styles.length === 0) return text
    return `\x1b[${styles.map((s) => codes[s]).join(';')}m${text}\x1b[0m`
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`)
  }

  info(message: string): void {
    this.line(`\n  ${this.style(' INFO ', 'blue', 'bold')} ${message}\n`)
  }

  success(message: string): void {
    this.line(`\n  ${this.style(' DONE ', 'green', 'bold')} ${message}\n`)
  }

  warn(message: string): void {
    this.stderr.write(`\n  ${this.style(' WARN ', 'yellow', 'bold')} ${message}\n\n`)
  }

  error(message: string): void {
    this.stderr.write(`\n  ${this.style(' ERROR ', 'red', 'bold')} ${message}\n\n`)
  }

  /** `  label ........................ value` padded to the terminal width. */
  twoColumn(label: string, value = '', width = this.width()): void {
    const visible = stripAnsi(label).length + stripAnsi(value).length
    const dots = Math.max(1, width - visible - 6)
    this.line(`  ${label} ${this.style('.'.repeat(dots), 'gray')} ${value}`)
  }

  table(headers: string[], rows: (string | number | null | undefined)[][]): void {
    const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))))
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => stripAnsi(row[i] ?? '').length)))
    const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`
    const render = (row: string[]) => `| ${row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - stripAnsi(cell).length)).join(' | ')} |`
    this.line(border)
    this.line(render(headers))
    this.line(border)
    for (const row of cells) this.line(render(row))
    this.line(border)
  }

  width(): number {
    const columns = (this.stdout as { columns?: number }).columns
    return Math.min(columns ?? 100, 120)
  }
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '')
}
