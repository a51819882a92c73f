/**
 * A thin typed query over a model's table that returns models: `User.where('votes', '>', 100).get()`.
 * Clauses are recorded and applied when the query runs, because the knex connection is opened lazily
 * (and a knex builder is itself thenable, so it cannot be handed out from a promise). `tap()` adds any
 * knex clause the typed methods do not cover.
 */
import type { Knex } from 'knex'
import { ModelNotFoundError } from './errors.ts'
import { modelNameOf, type AttributesOf, type BaseModel, type Key, type ModelClass } from './model.ts'
import { toDatabaseRow, toDatabaseValue } from './model-rows.ts'

export type Column<M> = keyof AttributesOf<M> & string
export type Operator = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | 'like' | 'not like' | 'ilike'
/** Returning `false` stops the chunking. */
export type ChunkCallback<M> = (models: M[], page: number) => unknown

type Clause = (query: Knex.QueryBuilder, db: Knex) => void

export class ModelQuery<M extends BaseModel<object>> {
  private readonly clauses: Clause[] = []
  private readonly orders: Clause[] = []
  private limitTo: number | undefined

  constructor(private readonly model: ModelClass<M>) {}

  where<K extends Column<M>>(column: K, value: AttributesOf<M>[K] | null): this
  where(column: Column<M>, operator: Operator, value: unknown): this
  where(column: Column<M>, ...rest: [unknown] | [Operator, unknown]): this {
    if (rest.length === 2) {
      const [operator, value] = rest
      this.clauses.push((q, db) => void q.where(column, operator, toBinding(db, value)))
    } else {
      const [value] = rest
      this.clauses.push((q, db) => void (value === null ? q.whereNull(column) : q.where(column, toBinding(db, value))))
    }
    return this
  }

  whereIn<K extends Column<M>>(column: K, values: readonly AttributesOf<M>[K][]): this {
    this.clauses.push((q, db) => void q.whereIn(column, values.map((value) => toBinding(db, value))))
    return this
  }

  whereNull(column: Column<M>): this {
    this.clauses.push((q) => void q.whereNull(column))
    return this
  }

  whereNotNull(column: Column<M>): this {
    this.clauses.push((q) => void q.whereNotNull(column))
    return this
  }

  whereKey(key: Key): this {
    const column = this.model.primaryKey
    this.clauses.push((q) => void q.where(column, key))
    return this
  }

  orderBy(column: Column<M>, direction: 'asc' | 'desc' = 'asc'): this {
    this.orders.push((q) => void q.orderBy(column, direction))
    return this
  }

  limit(count: number): this {
    this.limitTo = count
    return this
  }

  /** Any knex clause (`whereRaw`, joins, ...), applied to the table's builder when the query runs. */
  tap(clause: (query: Knex.QueryBuilder) => void): this {
    this.clauses.push(clause)
    return this
  }

  async get(): Promise<M[]> {
    const rows = (await this.select()) as Record<string, unknown>[]
    return rows.map((row) => hydrate(this.model, row))
  }

  async first(): Promise<M | null> {
    this.limitTo = 1
    const [model] = await this.get()
    return model ?? null
  }

  async firstOrFail(): Promise<M> {
    const model = await this.first()
    if (!model) throw new ModelNotFoundError(modelNameOf(this.model))
    return model
  }

  async count(): Promise<number> {
    const { query } = await this.builder()
    const [row] = (await query.count({ count: '*' })) as { count: number | string }[]
    return Number(row?.count ?? 0)
  }

  async exists(): Promise<boolean> {
    return (await this.count()) > 0
  }

  /** Updates every matching row (updated_at too); returns the number of rows changed. */
  async update(values: Partial<AttributesOf<M>>): Promise<number> {
    const { query, db } = await this.builder()
    const row: Record<string, unknown> = { ...(values as object) }
    if (this.model.timestamps && !('updated_at' in row)) row.updated_at = new Date()
    return query.update(toDatabaseRow(db, row))
  }

  /** Deletes every matching row; returns how many. */
  async delete(): Promise<number> {
    const { query } = await this.builder()
    return query.delete()
  }

  /** Calls `fn` with `size` models at a time, paging by primary key (Laravel's chunkById). `false` stops. */
  async chunk(size: number, fn: ChunkCallback<M>): Promise<boolean> {
    let page = 1
    for await (const models of this.pages(size)) {
      if ((await fn(models, page++)) === false) return false
    }
    return true
  }

  /** The matching models one at a time, `chunkSize` rows per query, so memory stays flat. */
  async *cursor(chunkSize = 100): AsyncGenerator<M> {
    for await (const models of this.pages(chunkSize)) yield* models
  }

  /** Pages by key (`where id > last order by id limit n`): rows changed meanwhile are neither skipped nor repeated. */
  private async *pages(size: number): AsyncGenerator<M[]> {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`The chunk size must be a positive integer, got ${size}.`)
    const key = this.model.primaryKey
    let last: unknown
    for (;;) {
      const { query } = await this.builder({ ordered: false, limited: false })
      if (last !== undefined) query.where(key, '>', last as Knex.Value)
      const rows = (await query.orderBy(key, 'asc').limit(size)) as Record<string, unknown>[]
      if (rows.length === 0) return
      last = rows[rows.length - 1]![key]
      yield rows.map((row) => hydrate(this.model, row))
      if (rows.length < size) return
    }
  }

  /** The table's builder with the clauses applied, wrapped: a bare knex builder is thenable and would run when awaited. */
  private async builder(options = { ordered: true, limited: true }): Promise<{ query: Knex.QueryBuilder; db: Knex }> {
    const db = await this.model.db()
    const query = db(this.model.table)
    for (const clause of this.clauses) clause(query, db)
    if (options.ordered) for (const order of this.orders) order(query, db)
    if (options.limited && this.limitTo !== undefined) query.limit(this.limitTo)
    return { query, db }
  }

  private async select(): Promise<unknown> {
    const { query } = await this.builder()
    return query.select('*')
  }
}

function hydrate<M extends BaseModel<object>>(cls: ModelClass<M>, row: Record<string, unknown>): M {
  return cls.hydrate(row) as M
}

function toBinding(db: Knex, value: unknown): Knex.Value {
  return toDatabaseValue(db, value) as Knex.Value
}
