/**
 * The checks behind each rule name. A check answers "does this value pass?"; deciding which checks run
 * (absent fields, `nullable`, `bail`) and which message to show is the validator's job.
 */
export interface RuleContext {
  field: string
  /** All the input, for rules that compare fields (`confirmed`). */
  data: unknown
  parameters: string[]
  /** True when the field also carries this rule (size rules read numbers only under numeric/integer). */
  has(rule: string): boolean
}

type Check = (value: unknown, context: RuleContext) => boolean

/** Rules that run even when the field is absent or empty. */
export const implicitRules = new Set(['required'])

/** Rules that only change how the others run. */
export const markerRules = new Set(['nullable', 'bail', 'sometimes'])

/** Rules whose parameter is a number, checked when the rules are parsed. */
export const sizeRules = new Set(['min', 'max'])

export const checks: Record<string, Check> = {
  required: (value) => !isEmpty(value),
  string: (value) => typeof value === 'string',
  email: (value) => typeof value === 'string' && EMAIL.test(value),
  integer: (value) => isInteger(value),
  numeric: (value) => isNumeric(value),
  boolean: (value) => BOOLEANS.includes(value as never),
  array: (value) => Array.isArray(value) || isPlainObject(value),
  in: (value, { parameters, has }) => {
    if ((Array.isArray(value) || isPlainObject(value)) && has('array')) return Object.values(value).every((item) => parameters.includes(scalarText(item)))
    return !Array.isArray(value) && !isPlainObject(value) && parameters.includes(scalarText(value))
  },
  min: (value, context) => sizeOf(value, context) >= Number(context.parameters[0]),
  max: (value, context) => sizeOf(value, context) <= Number(context.parameters[0]),
  confirmed: (value, { field, data }) => readPath(data, `${field}_confirmation`) === value,
}

/** Numbers are measured by value only under a numeric rule, arrays by count, anything else by length. */
export function sizeOf(value: unknown, context: Pick<RuleContext, 'has'>): number {
  if ((context.has('numeric') || context.has('integer')) && isNumeric(value)) return Number(value)
  if (Array.isArray(value)) return value.length
  if (isPlainObject(value)) return Object.keys(value).length
  return [...scalarText(value)].length
}

export function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value)
  return typeof value === 'string' && NUMERIC.test(value)
}

export function isInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value)
  return typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

/** Reads `user.address.city` from nested input. */
export function readPath(data: unknown, path: string): unknown {
  let current = data
  for (const key of path.split('.')) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  if (isPlainObject(value)) return Object.keys(value).length === 0
  return false
}

function scalarText(value: unknown): string {
  if (value === true) return '1'
  if (value === false || value === null || value === undefined) return ''
  return String(value)
}

const BOOLEANS = [true, false, 0, 1, '0', '1']
// PHP's is_numeric: optional sign, digits with an optional fraction, optional exponent, outer whitespace.
const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/
// The HTML living standard's "valid e-mail address" (what browsers check in <input type=email>).
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/
