/**
 * Mail bodies as tagged template literals: `html` escapes every interpolated value, so a user's name
 * can never inject markup, while nested html`` fragments and raw() stay as they are.
 *
 *   content() {
 *     return {
 *       html: html`<p>Welcome, ${this.user.name}!</p><ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`,
 *       text: text`Welcome, ${this.user.name}!`,
 *     }
 *   }
 */

/** Markup that is already safe: the result of html`` or raw(). */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, i) => (out += renderHtml(value) + (strings[i + 1] ?? '')))
  return new SafeHtml(out)
}

/** Trusted markup, inserted without escaping. Never pass user input. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

/** Plain text: values are inserted as they are; null, undefined and false print nothing. */
export function text(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? ''
  values.forEach((value, i) => (out += renderText(value) + (strings[i + 1] ?? '')))
  return out
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ESCAPES[char]!)
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

function renderHtml(value: unknown): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(renderHtml).join('')
  return escapeHtml(renderText(value))
}

function renderText(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map(renderText).join('')
  if (value instanceof Date) return value.toISOString()
  return String(value)
}
