import { join } from 'node:path'
import { repoRoot } from './craft.ts'

/** Type-checks files with the repo's compiler options (generated code must compile as written); returns their diagnostics only. */
export async function typeErrors(files: string[]): Promise<string[]> {
  const ts = (await import('typescript')).default
  const config = ts.getParsedCommandLineOfConfigFile(join(repoRoot, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })
  if (!config) throw new Error('tsconfig.json could not be read')
  const program = ts.createProgram(files, config.options)
  return files.flatMap((file) => {
    const source = program.getSourceFile(file)
    if (!source) return [`${file}: not found`]
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => `${file}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
  })
}
