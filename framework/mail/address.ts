import type { MailAddress } from './config.ts'
import { InvalidMailAddressError } from './errors.ts'

/** Who a message goes to: "a@b.c", { address, name }, or anything with an email (a User model). */
export type Recipient = string | MailAddress | { email: string; name?: string | null }
export type Recipients = Recipient | readonly Recipient[]

/** Plain addresses, so recipients can travel in a queued job's payload. */
export function normalizeAddresses(recipients: Recipients): MailAddress[] {
  const list: readonly Recipient[] = Array.isArray(recipients) ? recipients : [recipients as Recipient]
  return list.map(normalizeAddress)
}

export function normalizeAddress(recipient: Recipient): MailAddress {
  if (typeof recipient === 'string') return { address: checked(recipient.trim()) }
  if (typeof recipient === 'object' && recipient !== null) {
    const record = recipient as { address?: unknown; email?: unknown; name?: unknown }
    const address = typeof record.address === 'string' ? record.address : typeof record.email === 'string' ? record.email : undefined
    if (address !== undefined) {
      const name = typeof record.name === 'string' && record.name !== '' ? record.name : null
      return name ? { address: checked(address.trim()), name } : { address: checked(address.trim()) }
    }
  }
  throw new InvalidMailAddressError(describe(recipient))
}

/** "Name <address>" as mail headers show it. */
export function formatAddress(address: MailAddress): string {
  return address.name ? `${JSON.stringify(address.name)} <${address.address}>` : address.address
}

function checked(address: string): string {
  // One @, no spaces or angle brackets: enough to catch a name or an id passed by mistake.
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new InvalidMailAddressError(JSON.stringify(address))
  return address
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'object') return `An object with keys ${Object.keys(value).join(', ') || '(none)'}`
  return JSON.stringify(value)
}
