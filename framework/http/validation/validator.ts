import { InvalidValidationRuleError, ValidationError, type ValidationMessages } from '../errors.ts'
import { defaultMessages, displayAttribute, fillMessage, type SizeType } from './messages.ts'
import { checks, implicitRules, isNumeric, isPlainObject, markerRules, readPath, sizeRules } from './rules.ts'
import type { CustomMessages, FieldRules, RuleSet, Validated } from './types.ts'

/**
 * Validates `data` against Laravel-style rules and returns the validated fields, or throws a
 * `ValidationError` carrying every failed message by field (the HTTP kernel answers it with 422).
 *
 * As in Laravel: an absent or blank field only runs `required`; a failed `required` stops that field;
 * `nullable` lets null through; `bail` stops a field at its first failure; `sometimes` skips an absent
 * field entirely. Unlike Laravel, the returned values are cast to the declared type (a numeric string
 * under `integer` becomes a number, `'1'` under `boolean` becomes true), so the static type is honest.
 */
export function validate<const R extends RuleSet>(data: unknown, rules: R, messages: CustomMessages = {}): Validated<R> {
  const errors: ValidationMessages = {}
  const validated: Record<string, unknown> = {}
  for (const [field, fieldRules] of Object.entries(rules)) {
    const parsed = parseRules(field, fieldRules)
    const value = readPath(data, field)
    const failures = validateField(field, value, data, parsed, messages)
    if (failures.length > 0) errors[field] = failures
    else if (value !== undefined) writePath(validated, field, cast(value, parsed))
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return validated as Validated<R>
}

interface ParsedRule {
  name: string
  parameters: string[]
}

function validateField(field: string, value: unknown, data: unknown, rules: ParsedRule[], messages: CustomMessages): string[] {
  const has = (name: string) => rules.some((rule) => rule.name === name)
  if (has('sometimes') && value === undefined) return []
  const failures: string[] = []
  for (const rule of rules) {
    if (markerRules.has(rule.name)) continue
    const implicit = implicitRules.has(rule.name)
    if (!implicit && !isPresent(value)) continue
    if (!implicit && value === null && has('nullable')) continue
    const check = checks[rule.name]
    if (!check) continue
    if (check(value, { field, data, parameters: rule.parameters, has })) continue
    failures.push(messageFor(field, rule, sizeType(has), messages))
    if (implicit || has('bail')) break
  }
  return failures
}

/** Absent fields and blank strings skip every rule but `required`, as in Laravel. */
function isPresent(value: unknown): boolean {
  if (value === undefined) return false
  return typeof value !== 'string' || value.trim() !== ''
}

function sizeType(has: (rule: string) => boolean): SizeType {
  if (has('numeric') || has('integer')) return 'numeric'
  if (has('array')) return 'array'
  return 'string'
}

function messageFor(field: string, rule: ParsedRule, type: SizeType, custom: CustomMessages): string {
  const fallback = defaultMessages[rule.name] ?? 'The :attribute field is invalid.'
  const template = custom[`${field}.${rule.name}`] ?? custom[rule.name] ?? (typeof fallback === 'string' ? fallback : fallback[type])
  const replacements: Record<string, string> = { attribute: displayAttribute(field), values: rule.parameters.join(', ') }
  if (sizeRules.has(rule.name)) replacements[rule.name] = rule.parameters[0] ?? ''
  return fillMessage(template, replacements)
}

/** Splits `'required|max:255'` and checks every rule exists, so a typo fails loudly instead of passing. */
function parseRules(field: string, rules: FieldRules): ParsedRule[] {
  const list = typeof rules === 'string' ? rules.split('|') : rules
  return list
    .map((rule) => rule.trim())
    .filter(Boolean)
    .map((rule) => {
      const colon = rule.indexOf(':')
      const name = colon === -1 ? rule : rule.slice(0, colon)
      const parameters = colon === -1 ? [] : rule.slice(colon + 1).split(',')
      if (!checks[name] && !markerRules.has(name)) {
        throw new InvalidValidationRuleError(field, name, `is not a known rule. Known rules: ${[...Object.keys(checks), ...markerRules].join(', ')}.`)
      }
      if (sizeRules.has(name) && !isNumeric(parameters[0])) throw new InvalidValidationRuleError(field, rule, 'needs a number, e.g. "max:255".')
      if (name === 'in' && parameters.length === 0) throw new InvalidValidationRuleError(field, rule, 'needs the allowed values, e.g. "in:draft,published".')
      return { name, parameters }
    })
}

function cast(value: unknown, rules: ParsedRule[]): unknown {
  const has = (name: string) => rules.some((rule) => rule.name === name)
  if (typeof value === 'string' && (has('integer') || has('numeric')) && isNumeric(value)) return Number(value)
  if (has('boolean') && (value === 0 || value === 1 || value === '0' || value === '1')) return value === 1 || value === '1'
  return value
}

function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  let current = target
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {}
    current = current[key] as Record<string, unknown>
  }
  current[keys[keys.length - 1] as string] = value
}
