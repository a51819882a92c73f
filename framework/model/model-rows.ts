/**
 * Rows in and out of the database, where the engines differ: how an insert reports its new key, how
 * dates and JSON are stored, and the casts that make a row read the same on SQLite, PostgreSQL and MySQL.
 */
import type { Knex } from 'knex'

export type Cast = 'number' | 'boolean' | 'date' | 'json'

interface CastSource {
  primaryKey: string
  keyType: 'number' | 'string'
  casts: Readonly<Record<string, Cast>>
}

/** Applies the model's casts (and its key type) to a row read from the database. */
export function castRow(cls: CastSource, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    const cast = key === cls.primaryKey && cls.keyType === 'number' ? 'number' : cls.casts[key]
    out[key] = value === null || value === undefined || !cast ? value : castValue(cast, value)
  }
  return out
}

/** A row ready for knex: Dates as UTC datetime text on SQLite (readable, sortable), JSON casts stringified. */
export function toDatabaseRow(db: Knex, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) out[key] = isPlainData(value) ? JSON.stringify(value) : toDatabaseValue(db, value)
  return out
}

/** A value as it is stored (and so compared in a where clause): Dates as UTC text on SQLite. */
export function toDatabaseValue(db: Knex, value: unknown): unknown {
  if (value instanceof Date && isSqlite(db)) return value.toISOString().replace('T', ' ').replace('Z', '')
  return value
}

/** Inserts `row`, returning the key the database assigned (or undefined when it assigns none). */
export async function insertRow(db: Knex, table: string, row: Record<string, unknown>, primaryKey: string, incrementing: boolean): Promise<unknown> {
  if (!incrementing) {
    await db(table).insert(row)
    return row[primaryKey]
  }
  if (isMysql(db)) {
    // MySQL has no RETURNING; knex yields the insert id.
    const [id] = (await db(table).insert(row)) as unknown[]
    return id
  }
  const [inserted] = (await db(table).insert(row).returning(primaryKey)) as unknown[]
  return typeof inserted === 'object' && inserted !== null ? (inserted as Record<string, unknown>)[primaryKey] : inserted
}

export function isSqlite(db: Knex): boolean {
  return String(db.client.dialect).startsWith('sqlite')
}

function isMysql(db: Knex): boolean {
  return String(db.client.dialect).startsWith('mysql')
}

function castValue(cast: Cast, value: unknown): unknown {
  switch (cast) {
    case 'number': {
      const number = typeof value === 'number' ? value : Number(value)
      return Number.isFinite(number) ? number : value
    }
    case 'boolean':
      return value === true || value === 1 || value === '1' || value === 't' || value === 'true'
    case 'date':
      if (value instanceof Date) return value
      return new Date(typeof value === 'number' ? value : /^\d{4}-\d\d-\d\d \d\d:\d\d/.test(String(value)) && !/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? `${String(value).replace(' ', 'T')}Z` : String(value))
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value
  }
}

/** Arrays and plain objects (a 'json' attribute); Dates, Buffers and raw SQL pass through to knex. */
function isPlainData(value: unknown): boolean {
  if (Array.isArray(value)) return true
  if (typeof value !== 'object' || value === null) return false
  return Object.getPrototypeOf(value) === Object.prototype
}
