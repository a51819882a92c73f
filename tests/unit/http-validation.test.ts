import { describe, expect, expectTypeOf, it } from 'vitest'
import { ValidationError } from '../../framework/http/errors.ts'
import type { RuleSet } from '../../framework/http/validation/types.ts'
import { validate } from '../../framework/http/validation/validator.ts'

/** The `errors` of a failed validation (fails the test if validation passed). */
function errorsOf(data: unknown, rules: RuleSet, messages?: Record<string, string>): Record<string, string[]> {
  try {
    validate(data, rules, messages)
  } catch (error) {
    if (error instanceof ValidationError) return error.errors
    throw error
  }
  throw new Error('expected validation to fail')
}

describe('Laravel messages per rule', () => {
  it.each([
    ['required', {}, 'The field name field is required.'],
    ['string', { field_name: 5 }, 'The field name field must be a string.'],
    ['email', { field_name: 'not-an-email' }, 'The field name field must be a valid email address.'],
    ['integer', { field_name: '1.5' }, 'The field name field must be an integer.'],
    ['numeric', { field_name: 'abc' }, 'The field name field must be a number.'],
    ['boolean', { field_name: 'yes' }, 'The field name field must be true or false.'],
    ['array', { field_name: 'a' }, 'The field name field must be an array.'],
    ['in:draft,published', { field_name: 'deleted' }, 'The selected field name is invalid.'],
    ['string|min:3', { field_name: 'ab' }, 'The field name field must be at least 3 characters.'],
    ['string|max:3', { field_name: 'abcd' }, 'The field name field must not be greater than 3 characters.'],
    ['integer|min:3', { field_name: 2 }, 'The field name field must be at least 3.'],
    ['numeric|max:3', { field_name: '3.5' }, 'The field name field must not be greater than 3.'],
    ['array|min:2', { field_name: [1] }, 'The field name field must have at least 2 items.'],
    ['array|max:1', { field_name: [1, 2] }, 'The field name field must not have more than 1 items.'],
    ['confirmed', { field_name: 'a', field_name_confirmation: 'b' }, 'The field name field confirmation does not match.'],
  ])('%s', (rules, data, message) => {
    expect(errorsOf(data, { field_name: rules })).toEqual({ field_name: [message] })
  })

  it('shows camelCase and snake_case names as words', () => {
    expect(errorsOf({}, { firstName: 'required' })).toEqual({ firstName: ['The first name field is required.'] })
  })
})

describe('which rules run', () => {
  it('passes values each rule accepts', () => {
    const data = { a: 'x@y.io', b: '42', c: -3, d: '1', e: false, f: { k: 1 }, g: 'draft', h: '  12.5e1 ' }
    expect(() =>
      validate(data, { a: 'email', b: 'integer', c: 'integer|max:0', d: 'boolean', e: 'boolean', f: 'array', g: 'in:draft,live', h: 'numeric' }),
    ).not.toThrow()
  })

  it('treats empty strings, whitespace, null and empty arrays as missing for required', () => {
    for (const value of ['', '   ', null, []]) expect(errorsOf({ name: value }, { name: 'required|string' })).toEqual({ name: ['The name field is required.'] })
  })

  it('skips every other rule when an optional field is absent or blank', () => {
    expect(validate({ bio: '' }, { nick: 'string|min:3', bio: 'string|min:3' })).toEqual({ bio: '' })
  })

  it('fails a present null unless the field is nullable', () => {
    expect(errorsOf({ nick: null }, { nick: 'string' })).toEqual({ nick: ['The nick field must be a string.'] })
    expect(validate({ nick: null }, { nick: 'nullable|string|min:3' })).toEqual({ nick: null })
  })

  it('reports every failing rule of a field, unless bail stops at the first', () => {
    expect(errorsOf({ age: 'x' }, { age: 'integer|in:1,2' })).toEqual({ age: ['The age field must be an integer.', 'The selected age is invalid.'] })
    expect(errorsOf({ age: 'x' }, { age: 'bail|integer|in:1,2' })).toEqual({ age: ['The age field must be an integer.'] })
  })

  it('stops a field after required fails', () => {
    expect(errorsOf({}, { name: 'required|string|min:3' })).toEqual({ name: ['The name field is required.'] })
  })

  it('measures strings by characters, not bytes', () => {
    expect(() => validate({ name: 'héllo' }, { name: 'string|max:5' })).not.toThrow()
  })

  it('checks every item of an array with in', () => {
    expect(errorsOf({ tags: ['a', 'z'] }, { tags: 'array|in:a,b' })).toEqual({ tags: ['The selected tags is invalid.'] })
  })

  it('reads and returns nested fields with dots', () => {
    expect(validate({ user: { name: 'Ada', extra: 1 } }, { 'user.name': 'required|string' })).toEqual({ user: { name: 'Ada' } })
    expect(errorsOf({ user: {} }, { 'user.name': 'required' })).toEqual({ 'user.name': ['The user.name field is required.'] })
  })
})

describe('the result', () => {
  it('keeps only fields with rules and casts numbers and booleans', () => {
    const result = validate({ id: '7', price: '9.5', active: '1', extra: 'dropped' }, { id: 'required|integer', price: 'numeric', active: 'boolean' })
    expect(result).toEqual({ id: 7, price: 9.5, active: true })
  })

  it('is typed from the rule strings', () => {
    const result = validate({ email: 'a@b.io', flag: true }, { id: 'sometimes|integer', email: 'required|email', tags: ['array'], note: 'nullable|string', flag: 'required|boolean' })
    expectTypeOf(result).toEqualTypeOf<{
      email: string
      flag: boolean
      id?: number
      tags?: unknown[] | Record<string, unknown>
      note?: string | null
    }>()

    const built: RuleSet = { name: 'required|string' }
    expectTypeOf(validate({ name: 'x' }, built).name).toEqualTypeOf<unknown>()
  })
})

describe('the error', () => {
  it('summarises the first message with the count of the others', () => {
    const error = (() => {
      try {
        validate({}, { a: 'required', b: 'required' })
      } catch (caught) {
        return caught as ValidationError
      }
    })()
    expect(error?.code).toBe('E_VALIDATION_FAILED')
    expect(error?.message).toBe('The a field is required. (and 1 more error)')
  })

  it('uses custom messages by field.rule, then by rule, with placeholders', () => {
    expect(errorsOf({ name: 'ab' }, { name: 'string|min:3' }, { 'name.min': ':attribute needs :min letters' })).toEqual({ name: ['name needs 3 letters'] })
    expect(errorsOf({}, { name: 'required' }, { required: 'Fill in :attribute.' })).toEqual({ name: ['Fill in name.'] })
  })

  it('refuses unknown rules and size rules without a number', () => {
    expect(() => validate({}, { name: 'requried' })).toThrow(expect.objectContaining({ code: 'E_INVALID_VALIDATION_RULE' }))
    expect(() => validate({}, { name: 'max:lots' })).toThrow(expect.objectContaining({ code: 'E_INVALID_VALIDATION_RULE' }))
  })
})
