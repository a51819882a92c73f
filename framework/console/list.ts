import type { CommandClass } from './command.ts'
import type { Output } from './output.ts'

/** `craft list`: commands grouped by namespace, as `artisan list` shows them. */
export function renderCommandList(commands: CommandClass[], output: Output, version: string): void {
  const sorted = [...commands].sort((a, b) => a.commandName.localeCompare(b.commandName))
  const width = Math.max(...sorted.map((c) => c.commandName.length)) + 2
  output.line(`Kiln Framework ${output.style(version, 'green')}`)
  output.line()
  output.line(output.style('Usage:', 'yellow'))
  output.line('  craft <command> [options] [arguments]')
  output.line()
  output.line(output.style('Options:', 'yellow'))
  output.line(`  ${output.style('-h, --help'.padEnd(width), 'green')}Display help for the given command`)
  output.line(`  ${output.style('-V, --version'.padEnd(width), 'green')}Display this application version`)
  output.line()
  output.line(output.style('Available commands:', 'yellow'))
  const global = sorted.filter((c) => !c.commandName.includes(':'))
  const groups = new Map<string, CommandClass[]>()
  for (const command of sorted.filter((c) => c.commandName.includes(':'))) {
    const namespace = command.commandName.split(':')[0] ?? ''
    groups.set(namespace, [...(groups.get(namespace) ?? []), command])
  }
  const row = (c: CommandClass) => output.line(`  ${output.style(c.commandName.padEnd(width), 'green')}${c.description}`)
  global.forEach(row)
  for (const [namespace, members] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    output.line(` ${output.style(namespace, 'yellow')}`)
    members.forEach(row)
  }
}
