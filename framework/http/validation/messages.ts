/**
 * Laravel's English validation messages (lang/en/validation.php), so a Kiln API answers exactly what a
 * Laravel client expects. Size rules pick the variant from the field's declared type.
 */
export type SizeType = 'numeric' | 'string' | 'array'

export const defaultMessages: Record<string, string | Record<SizeType, string>> = {
  required: 'The :attribute field is required.',
  string: 'The :attribute field must be a string.',
  email: 'The :attribute field must be a valid email address.',
  integer: 'The :attribute field must be an integer.',
  numeric: 'The :attribute field must be a number.',
  boolean: 'The :attribute field must be true or false.',
  array: 'The :attribute field must be an array.',
  in: 'The selected :attribute is invalid.',
  confirmed: 'The :attribute field confirmation does not match.',
  min: {
    numeric: 'The :attribute field must be at least :min.',
    string: 'The :attribute field must be at least :min characters.',
    array: 'The :attribute field must have at least :min items.',
  },
  max: {
    numeric: 'The :attribute field must not be greater than :max.',
    string: 'The :attribute field must not be greater than :max characters.',
    array: 'The :attribute field must not have more than :max items.',
  },
}

/** `first_name` -> "first name", `firstName` -> "first name", as Laravel shows attribute names. */
export function displayAttribute(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/_/g, ' ')
}

export function fillMessage(template: string, replacements: Record<string, string>): string {
  return template.replace(/:([a-z]+)/g, (match, key: string) => replacements[key] ?? match)
}
