import { Command as Commander, CommanderError, Help } from 'commander'
import { Application } from '../foundation/application.ts'
import { describeError, isKilnError } from '../support/errors.ts'
import { KILN_VERSION } from '../version.ts'
import type { CommandClass } from './command.ts'
import { discoverCommands } from './discovery.ts'
import { Input } from './input.ts'
import { renderCommandList } from './list.ts'
import { Output } from './output.ts'

export interface KernelOptions {
  basePath: string
  output?: Output
}

/**
 * The craft kernel: discovers command classes, declares them to commander (which parses, suggests
 * "did you mean", and names wrong flags), boots the application only for a command that needs it, and
 * turns errors into a message and exit code 1 instead of a stack trace.
 */
export class Kernel {
  private readonly output: Output

  constructor(private readonly options: KernelOptions) {
    this.output = options.output ?? new Output()
  }

  async handle(argv: string[]): Promise<number> {
    let commands: CommandClass[]
    try {
      commands = await discoverCommands(this.options.basePath)
    } catch (error) {
      return this.report(error)
    }
    let exitCode = 0
    const program = this.program(commands, (code) => (exitCode = code))
    try {
      await program.parseAsync(argv.length === 0 ? ['list'] : argv, { from: 'user' })
    } catch (error) {
      if (error instanceof CommanderError) return error.exitCode
      return this.report(error)
    }
    return exitCode
  }

  private program(commands: CommandClass[], setExitCode: (code: number) => void): Commander {
    const output = this.output
    const listText = () => {
      const lines: string[] = []
      renderCommandList([...commands, listCommand], new Output(collect(lines), collect(lines), output.colors), KILN_VERSION)
      return lines.join('')
    }
    const program: Commander = new Commander('craft')
      .version(KILN_VERSION, '-V, --version', 'Display this application version')
      .exitOverride()
      .showSuggestionAfterError(true)
      .configureOutput({
        writeOut: (text) => output.line(text.trimEnd()),
        writeErr: (text) => process.stderr.write(text),
        outputError: (text, write) => write(output.colors ? `\x1b[31m${text}\x1b[0m` : text),
      })
      .configureHelp({
        formatHelp: (cmd, helper): string => (cmd === program ? listText() : Help.prototype.formatHelp.call(helper, cmd, helper)),
      })

    program
      .command(listCommand.commandName)
      .description(listCommand.description)
      .action(() => output.line(listText().trimEnd()))

    for (const commandClass of commands) {
      const sub = program.command(commandClass.commandName).description(commandClass.description)
      for (const arg of commandClass.arguments) {
        const name = `${arg.name}${arg.variadic ? '...' : ''}`
        sub.argument(arg.required ? `<${name}>` : `[${name}]`, arg.description)
      }
      for (const option of commandClass.options) sub.option(option.flags, option.description, option.default)
      sub.action(async (...values: unknown[]) => {
        const args: Record<string, string | string[] | undefined> = {}
        commandClass.arguments.forEach((arg, i) => (args[arg.name] = values[i] as string | string[] | undefined))
        const opts = sub.opts<Record<string, string | boolean | string[] | undefined>>()
        setExitCode(await this.run(commandClass, new Input(args, opts)))
      })
    }
    return program
  }

  private async run(commandClass: CommandClass, input: Input): Promise<number> {
    let app: Application | undefined
    try {
      app = await Application.create({ basePath: this.options.basePath })
      const command = new commandClass(app, input, this.output)
      const code = await command.handle()
      return typeof code === 'number' ? code : 0
    } catch (error) {
      return this.report(error, app)
    } finally {
      await app?.shutdown()
    }
  }

  /** A known error prints its message; anything else its name and message, and the stack only in debug. */
  private report(error: unknown, app?: Application): number {
    const debug = app ? safeDebug(app) : process.env.APP_DEBUG === 'true'
    if (isKilnError(error)) {
      this.output.error(error.message)
    } else {
      this.output.error(describeError(error))
      if (!debug) process.stderr.write('  Run with APP_DEBUG=true to see the stack trace.\n\n')
    }
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
    return 1
  }
}

const listCommand = {
  commandName: 'list',
  description: 'List commands',
} as CommandClass

function safeDebug(app: Application): boolean {
  try {
    return app.config('app').debug
  } catch {
    return false
  }
}

function collect(lines: string[]) {
  return { write: (chunk: string) => (lines.push(chunk), true) } as unknown as NodeJS.WritableStream & import('node:stream').Writable
}
