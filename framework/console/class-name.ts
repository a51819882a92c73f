import { InvalidInputError } from './errors.ts'

/** Accepts `SendReport` (PascalCase identifier); refuses paths, spaces and lowercase starts. */
export function assertClassName(name: string | undefined, kind: string): string {
  if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new InvalidInputError(`"${name ?? ''}" is not a valid ${kind} class name. Use PascalCase letters and digits, e.g. SendWelcomeEmail.`)
  }
  return name
}

/** `SendReport` -> `report:send`; a single word -> `app:<word>`, artisan's default namespace. */
export function commandNameFor(className: string): string {
  const words = className
    .replace(/Command$/, '')
    .split(/(?=[A-Z])/)
    .map((w) => w.toLowerCase())
    .filter(Boolean)
  if (words.length <= 1) return `app:${words[0] ?? 'command'}`
  const [verb, ...rest] = words
  return `${rest.join('-')}:${verb}`
}
