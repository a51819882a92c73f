/**
 * A slim model over knex (no ORM): a row of one table as an object whose attributes are its own
 * properties (`user.email`), with Eloquent's names for the everyday operations.
 *
 *   interface UserAttributes { id: number; name: string; email: string; newsletters_sent: number }
 *   export class User extends Model<UserAttributes> {
 *     static override table = 'users'
 *     static override hidden = ['password', 'remember_token']
 *   }
 *
 *   const user = await User.create({ name: 'Ada', email: 'ada@example.com' })
 *   await user.increment('newsletters_sent')
 *   for await (const u of User.where('subscribed', true).cursor()) ...
 *
 * A model held by a queued job travels as its class name and key only (see model-codec.ts) and is
 * fetched fresh when the job runs.
 */
import type { Knex } from 'knex'
import { Application } from '../foundation/application.ts'
import { MissingModelTableError, ModelNotFoundError, ModelNotPersistedError } from './errors.ts'
import { ModelQuery, type ChunkCallback, type Column, type Operator } from './model-query.ts'
import { castRow, insertRow, toDatabaseRow, type Cast } from './model-rows.ts'
// Registers the payload codec's hook for models (a cycle by design: it only uses this module lazily).
import './model-codec.ts'

export type Key = number | string
export type { Cast, ChunkCallback, Column, Operator }
export { ModelQuery }

/** The static side every model class has; statics take `this: ModelClass<M>` so they return `M`. */
export interface ModelClass<M extends BaseModel<object> = BaseModel<object>> {
  new (...args: never[]): M
  readonly prototype: M
  readonly name: string
  table: string
  primaryKey: string
  keyType: 'number' | 'string'
  incrementing: boolean
  timestamps: boolean
  hidden: readonly string[]
  casts: Readonly<Record<string, Cast>>
  connection?: string
  modelName?: string
  db(): Promise<Knex>
  // Not in terms of M: inference of M must come from the constructor alone (these statics are generic).
  find(id: Key): Promise<BaseModel<object> | null>
  hydrate(row: Record<string, unknown>): BaseModel<object>
}

/** Type-only brand carrying a model's attribute type (nothing is stored under it). */
declare const ATTRIBUTES: unique symbol

/** The attribute type a model class was declared with (`Model<UserAttributes>` -> UserAttributes). */
export type AttributesOf<M> = M extends { readonly [ATTRIBUTES]?: infer A } ? A : never

/** Attribute names whose values are numbers (what increment() accepts). */
export type NumericColumn<M> = { [K in keyof AttributesOf<M>]-?: NonNullable<AttributesOf<M>[K]> extends number ? K : never }[keyof AttributesOf<M>] & string

interface ModelState {
  exists: boolean
  /** Attribute values as last read from or written to the database (for dirty checks). */
  original: Record<string, unknown>
}

const states = new WeakMap<object, ModelState>()

export class BaseModel<A extends object = Record<string, unknown>> {
  declare readonly [ATTRIBUTES]?: A

  /** The table; every model sets it. */
  static table = ''
  static primaryKey = 'id'
  /** 'number' casts numeric keys read back as strings (PostgreSQL bigints) to numbers. */
  static keyType: 'number' | 'string' = 'number'
  /** Whether the database assigns the key (auto-increment). */
  static incrementing = true
  /** Manage created_at / updated_at, as Eloquent does. */
  static timestamps = true
  /** Attributes left out of toJSON(). */
  static hidden: readonly string[] = []
  /** Attribute casts applied when rows are read: 'number' | 'boolean' | 'date' | 'json'. */
  static casts: Readonly<Record<string, Cast>> = {}
  /** A connection of config/database.ts; the default connection when unset. */
  static connection?: string
  /** The name payloads store for this class (SerializesModels); the class name when unset. */
  static modelName?: string

  constructor(attributes: Partial<A> = {}) {
    states.set(this, { exists: false, original: {} })
    this.fill(attributes)
  }

  // --- finding --------------------------------------------------------------------------------------

  static query<M extends BaseModel<object>>(this: ModelClass<M>): ModelQuery<M> {
    return new ModelQuery(this)
  }

  static where<M extends BaseModel<object>, K extends Column<M>>(this: ModelClass<M>, column: K, value: AttributesOf<M>[K] | null): ModelQuery<M>
  static where<M extends BaseModel<object>>(this: ModelClass<M>, column: Column<M>, operator: Operator, value: unknown): ModelQuery<M>
  static where<M extends BaseModel<object>>(this: ModelClass<M>, column: Column<M>, ...rest: [unknown] | [Operator, unknown]): ModelQuery<M> {
    return new ModelQuery(this).where(column, ...(rest as [Operator, unknown]))
  }

  static async find<M extends BaseModel<object>>(this: ModelClass<M>, id: Key): Promise<M | null> {
    return new ModelQuery(this).whereKey(id).first()
  }

  /** find(), or E_MODEL_NOT_FOUND: "No query results for model [User] 42." */
  static async findOrFail<M extends BaseModel<object>>(this: ModelClass<M>, id: Key): Promise<M> {
    const model = await new ModelQuery(this).whereKey(id).first()
    if (!model) throw new ModelNotFoundError(modelNameOf(this), [id])
    return model
  }

  static async all<M extends BaseModel<object>>(this: ModelClass<M>): Promise<M[]> {
    return new ModelQuery(this).get()
  }

  static async create<M extends BaseModel<object>>(this: ModelClass<M>, attributes: Partial<AttributesOf<M>>): Promise<M> {
    const model = new (this as unknown as new (attributes: Partial<AttributesOf<M>>) => M)(attributes)
    return model.save()
  }

  /** The first model matching `attributes`, or a new one created from `attributes` + `values`. */
  static async firstOrCreate<M extends BaseModel<object>>(this: ModelClass<M>, attributes: Partial<AttributesOf<M>>, values: Partial<AttributesOf<M>> = {}): Promise<M> {
    const existing = await matching(this, attributes).first()
    return existing ?? new (this as unknown as new (attributes: Partial<AttributesOf<M>>) => M)({ ...attributes, ...values }).save()
  }

  /** Updates the first model matching `attributes` with `values`, or creates it (an import's "create or update by email"). */
  static async updateOrCreate<M extends BaseModel<object>>(this: ModelClass<M>, attributes: Partial<AttributesOf<M>>, values: Partial<AttributesOf<M>> = {}): Promise<M> {
    const existing = await matching(this, attributes).first()
    if (existing) return existing.fill(values as Partial<object>).save()
    return new (this as unknown as new (attributes: Partial<AttributesOf<M>>) => M)({ ...attributes, ...values }).save()
  }

  /** Calls `fn` with `size` models at a time, paging by key (rows added meanwhile are not skipped). `false` stops. */
  static chunk<M extends BaseModel<object>>(this: ModelClass<M>, size: number, fn: ChunkCallback<M>): Promise<boolean> {
    return new ModelQuery(this).chunk(size, fn)
  }

  /** Every model, one at a time, read `chunkSize` rows per query so memory stays flat. */
  static cursor<M extends BaseModel<object>>(this: ModelClass<M>, chunkSize?: number): AsyncGenerator<M> {
    return new ModelQuery(this).cursor(chunkSize)
  }

  /** The knex connection of this model (for anything the model layer does not cover). */
  static db(this: ModelClass): Promise<Knex> {
    return Application.current().make('db').connection(this.connection)
  }

  /** A model for a row read from the database (exists, casts applied). */
  static hydrate<M extends BaseModel<object>>(this: ModelClass<M>, row: Record<string, unknown>): M {
    const model = new (this as unknown as new () => M)()
    const attributes = castRow(this, row)
    assign(model, attributes)
    states.set(model, { exists: true, original: { ...attributes } })
    return model
  }

  // --- one model ------------------------------------------------------------------------------------

  /** Sets attributes without saving. */
  fill(attributes: Partial<A>): this {
    assign(this, attributes as Record<string, unknown>)
    return this
  }

  getAttributes(): A {
    return { ...(this as object) } as A
  }

  getKey(): Key | undefined {
    const value = (this as Record<string, unknown>)[classOf(this).primaryKey]
    return typeof value === 'number' || typeof value === 'string' ? value : undefined
  }

  /** Whether the model has a row (it was read, or created). */
  isPersisted(): boolean {
    return state(this).exists
  }

  /** Inserts the model, or updates its changed attributes. */
  async save(): Promise<this> {
    const cls = classOf(this)
    const db = await cls.db()
    const current = state(this)
    const now = new Date()
    if (current.exists) {
      const dirty = this.dirtyAttributes() as Record<string, unknown>
      if (Object.keys(dirty).length === 0) return this
      if (cls.timestamps && !('updated_at' in dirty)) dirty.updated_at = now
      assign(this, dirty)
      await db(cls.table).where(cls.primaryKey, this.requireKey('update')).update(toDatabaseRow(db, dirty))
    } else {
      if (!cls.table) throw new MissingModelTableError(modelNameOf(cls))
      if (cls.timestamps) {
        const self = this as Record<string, unknown>
        assign(this, { created_at: self.created_at ?? now, updated_at: self.updated_at ?? now })
      }
      const row = this.getAttributes() as Record<string, unknown>
      const key = await insertRow(db, cls.table, toDatabaseRow(db, row), cls.primaryKey, cls.incrementing)
      if (key !== undefined && cls.incrementing) assign(this, { [cls.primaryKey]: castKey(cls, key) })
    }
    states.set(this, { exists: true, original: { ...(this.getAttributes() as object) } })
    return this
  }

  async update(attributes: Partial<A>): Promise<this> {
    this.requireKey('update')
    return this.fill(attributes).save()
  }

  /** Deletes the row; the instance keeps its attributes but is no longer persisted. */
  async delete(): Promise<boolean> {
    const cls = classOf(this)
    const db = await cls.db()
    const deleted = await db(cls.table).where(cls.primaryKey, this.requireKey('delete')).delete()
    state(this).exists = false
    return deleted > 0
  }

  /** Adds `by` in the database (atomically: `col = col + by`) and here; touches updated_at. */
  async increment(column: NumericColumn<this>, by = 1): Promise<this> {
    const cls = classOf(this)
    const db = await cls.db()
    const key = this.requireKey('increment')
    const changes: Record<string, unknown> = { [column]: db.raw('?? + ?', [column, by]) }
    const now = new Date()
    if (cls.timestamps) changes.updated_at = now
    await db(cls.table).where(cls.primaryKey, key).update(toDatabaseRow(db, changes))
    const self = this as Record<string, unknown>
    const updated: Record<string, unknown> = { [column]: Number(self[column] ?? 0) + by }
    if (cls.timestamps) updated.updated_at = now
    assign(this, updated)
    Object.assign(state(this).original, updated)
    return this
  }

  decrement(column: NumericColumn<this>, by = 1): Promise<this> {
    return this.increment(column, -by)
  }

  /** Reloads the attributes from the database; E_MODEL_NOT_FOUND if the row is gone. */
  async refresh(): Promise<this> {
    const cls = classOf(this)
    const key = this.requireKey('refresh')
    const fresh = await new ModelQuery(cls).whereKey(key).first()
    if (!fresh) throw new ModelNotFoundError(modelNameOf(cls), [key])
    for (const name of Object.keys(this)) delete (this as Record<string, unknown>)[name]
    assign(this, fresh.getAttributes() as Record<string, unknown>)
    states.set(this, { exists: true, original: { ...(fresh.getAttributes() as object) } })
    return this
  }

  /** Attributes changed since the model was read or saved. */
  dirtyAttributes(): Partial<A> {
    const original = state(this).original
    const dirty: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(this)) if (!sameValue(original[key], value)) dirty[key] = value
    return dirty as Partial<A>
  }

  /** The attributes minus `static hidden` (what JSON.stringify and HTTP responses show). */
  toJSON(): Partial<A> {
    const hidden = new Set(classOf(this).hidden)
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(this)) if (!hidden.has(key)) out[key] = value
    return out as Partial<A>
  }

  private requireKey(action: string): Key {
    const key = this.getKey()
    if (key === undefined) throw new ModelNotPersistedError(modelNameOf(classOf(this)), action)
    return key
  }
}

type ModelConstructor = new <A extends object = Record<string, unknown>>(attributes?: Partial<A>) => BaseModel<A> & A

/**
 * The class apps extend: `class User extends Model<UserAttributes>`. It is BaseModel, typed so that
 * instances also carry their attributes as properties (`user.email`).
 */
export const Model = BaseModel as unknown as Omit<typeof BaseModel, 'prototype'> & ModelConstructor & { readonly prototype: BaseModel<object> }
export type Model<A extends object = Record<string, unknown>> = BaseModel<A> & A

export function isModel(value: unknown): value is BaseModel<object> {
  return value instanceof BaseModel
}

export function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && value.prototype instanceof BaseModel
}

/** The name a model class is registered and stored under. */
export function modelNameOf(model: BaseModel<object> | ModelClass): string {
  const cls = (model instanceof BaseModel ? model.constructor : model) as ModelClass
  return Object.hasOwn(cls, 'modelName') && cls.modelName ? cls.modelName : cls.name
}

export function castKey(cls: Pick<ModelClass, 'keyType'>, key: unknown): Key {
  if (cls.keyType === 'number' && typeof key === 'string' && /^-?\d+$/.test(key) && Number.isSafeInteger(Number(key))) return Number(key)
  if (cls.keyType === 'number' && typeof key === 'bigint') return Number(key)
  return key as Key
}

function matching<M extends BaseModel<object>>(cls: ModelClass<M>, attributes: Partial<AttributesOf<M>>): ModelQuery<M> {
  const query = new ModelQuery(cls)
  for (const [column, value] of Object.entries(attributes)) query.where(column as Column<M>, value as AttributesOf<M>[Column<M>])
  return query
}

function classOf(model: BaseModel<object>): ModelClass {
  return model.constructor as ModelClass
}

function state(model: BaseModel<object>): ModelState {
  let current = states.get(model)
  if (!current) states.set(model, (current = { exists: false, original: {} }))
  return current
}

/** Own data properties, set without invoking setters (a column named like a setter stays data). */
function assign(target: object, attributes: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (key === '__proto__') continue
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return JSON.stringify(a) === JSON.stringify(b)
  return Object.is(a, b)
}
