import type { Knex } from 'knex'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Application } from '../../framework/foundation/application.ts'
import { Model } from '../../framework/model/model.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { appOn, createPostsTable, Post, type PostAttributes } from './model-support.ts'

const engines = await availableEngines()

class OtherPost extends Model<PostAttributes> {
  static override table = 'posts'
  static override connection = 'other'
}

class Tag extends Model<{ slug: string; label: string }> {
  static override table = 'tags'
  static override primaryKey = 'slug'
  static override keyType = 'string' as const
  static override incrementing = false
  static override timestamps = false
}

describe.each(engines)('Model on %s', (engine) => {
  let database: TestDatabase
  let app: Application
  let db: Knex

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    app = await appOn(database)
    db = await app.make('db').connection()
    await createPostsTable(db)
    await db.schema.createTable('tags', (table) => {
      table.string('slug').primary()
      table.string('label').notNullable()
    })
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
  })

  beforeEach(async () => {
    await db('posts').delete()
  })

  it('create() inserts the row, takes the numeric key the database assigned, and sets both timestamps', async () => {
    const before = Date.now() - 1000
    const post = await Post.create({ title: 'Hello', views: 3 })
    expect(typeof post.id).toBe('number')
    expect(post.isPersisted()).toBe(true)
    expect(post.created_at).toBeInstanceOf(Date)
    expect(post.updated_at?.getTime()).toBe(post.created_at?.getTime())
    const row = await db('posts').where('id', post.id).first()
    expect(row.title).toBe('Hello')
    expect(Number(row.views)).toBe(3)
    expect(row.created_at).not.toBeNull()

    const found = await Post.find(post.id)
    expect(found).toBeInstanceOf(Post)
    expect(found!.id).toBe(post.id)
    expect(found!.title).toBe('Hello')
    expect(found!.published).toBe(false)
    expect(found!.created_at!.getTime()).toBeGreaterThanOrEqual(before)
  })

  it('find() gives null and findOrFail() E_MODEL_NOT_FOUND for a missing key', async () => {
    expect(await Post.find(424242)).toBeNull()
    const error = await Post.findOrFail(424242).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_MODEL_NOT_FOUND', model: 'Post', ids: [424242] })
    expect((error as Error).message).toContain('[Post] 424242')
  })

  it('update() writes only the given attributes and touches updated_at; other rows are untouched', async () => {
    const post = await Post.create({ title: 'Draft', updated_at: new Date('2020-01-01T00:00:00Z') })
    const other = await Post.create({ title: 'Other' })
    await post.update({ title: 'Final', published: true })
    const fresh = await Post.findOrFail(post.id)
    expect(fresh.title).toBe('Final')
    expect(fresh.published).toBe(true)
    expect(fresh.updated_at!.getFullYear()).toBeGreaterThan(2020)
    expect((await Post.findOrFail(other.id)).title).toBe('Other')
  })

  it('delete() removes the row; update() of a model never saved is E_MODEL_NOT_PERSISTED', async () => {
    const post = await Post.create({ title: 'Gone soon' })
    expect(await post.delete()).toBe(true)
    expect(await Post.find(post.id)).toBeNull()
    expect(post.isPersisted()).toBe(false)
    await expect(new Post({ title: 'x' }).update({ title: 'y' })).rejects.toMatchObject({ code: 'E_MODEL_NOT_PERSISTED' })
  })

  it('increment() adds in the database atomically (two stale copies both count) and updates the instance', async () => {
    const post = await Post.create({ title: 'Counter', views: 0 })
    const copyA = await Post.findOrFail(post.id)
    const copyB = await Post.findOrFail(post.id)
    await Promise.all([copyA.increment('views'), copyB.increment('views', 5)])
    expect(copyA.views).toBe(1)
    expect((await Post.findOrFail(post.id)).views).toBe(6)
    await post.decrement('views', 2)
    expect((await Post.findOrFail(post.id)).views).toBe(4)
  })

  it('where().get() / first() / count() return models matching the typed clauses', async () => {
    for (const [title, views, score] of [['a', 1, null], ['b', 5, 10], ['c', 9, 20], ['d', 12, null]] as const) await Post.create({ title, views, score })
    const popular = await Post.where('views', '>', 4).orderBy('views', 'desc').get()
    expect(popular.map((p) => p.title)).toEqual(['d', 'c', 'b'])
    expect(popular.every((p) => p instanceof Post)).toBe(true)
    expect((await Post.where('title', 'c').first())?.views).toBe(9)
    expect(await Post.where('title', 'zzz').first()).toBeNull()
    expect(await Post.where('score', null).count()).toBe(2)
    expect((await Post.query().whereIn('title', ['a', 'd']).orderBy('title').get()).map((p) => p.title)).toEqual(['a', 'd'])
    expect((await Post.query().tap((q) => void q.whereRaw('views * 2 > ?', [20])).get()).map((p) => p.title)).toEqual(['d'])
    expect(await Post.where('views', '<', 6).update({ published: true })).toBe(2)
    expect(await Post.where('published', true).count()).toBe(2)
    await expect(Post.where('title', 'zzz').firstOrFail()).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND' })
    // Dates compare as they are stored (UTC text on SQLite, timestamps elsewhere).
    const soon = new Date(Date.now() + 60_000)
    const past = new Date(Date.now() - 3_600_000)
    expect(await Post.where('created_at', '<', soon).count()).toBe(4)
    expect(await Post.where('created_at', '<', past).count()).toBe(0)
  })

  it('firstOrCreate() finds or creates; updateOrCreate() updates the match or creates it', async () => {
    const first = await Post.firstOrCreate({ title: 'Unique' }, { views: 3 })
    const again = await Post.firstOrCreate({ title: 'Unique' }, { views: 99 })
    expect(again.id).toBe(first.id)
    expect(again.views).toBe(3)
    const updated = await Post.updateOrCreate({ title: 'Unique' }, { views: 10 })
    expect(updated.id).toBe(first.id)
    expect((await Post.findOrFail(first.id)).views).toBe(10)
    const created = await Post.updateOrCreate({ title: 'Brand new' }, { views: 1 })
    expect(created.id).not.toBe(first.id)
    expect(await Post.query().count()).toBe(2)
  })

  it('chunk() pages by key, stops when the callback returns false; cursor() yields every row in key order', async () => {
    for (let i = 1; i <= 25; i++) await Post.create({ title: `p${i}`, views: i % 2 })
    const pages: number[] = []
    expect(await Post.chunk(10, (posts, page) => void pages.push(page * 100 + posts.length))).toBe(true)
    expect(pages).toEqual([110, 210, 305])

    const seen: string[] = []
    const finished = await Post.chunk(10, (posts) => {
      seen.push(...posts.map((p) => p.title))
      return false
    })
    expect(finished).toBe(false)
    expect(seen).toHaveLength(10)

    const titles: string[] = []
    for await (const post of Post.cursor(7)) titles.push(post.title)
    expect(titles).toEqual(Array.from({ length: 25 }, (_, i) => `p${i + 1}`))

    let odd = 0
    for await (const post of Post.where('views', 1).cursor(4)) odd += post.views
    expect(odd).toBe(13)
  })

  it('chunk() still visits every row when the callback updates the column it filters on', async () => {
    for (let i = 1; i <= 12; i++) await Post.create({ title: `q${i}`, published: false })
    let visited = 0
    await Post.where('published', false).chunk(5, async (posts) => {
      visited += posts.length
      for (const post of posts) await post.update({ published: true })
    })
    expect(visited).toBe(12)
  })

  it('toJSON() leaves out hidden attributes; casts read booleans and JSON back the same on every engine', async () => {
    const post = await Post.create({ title: 'Cast', secret: 's3cret', published: true, meta: { tags: ['a', 'b'] } })
    const fresh = await Post.findOrFail(post.id)
    expect(fresh.secret).toBe('s3cret')
    expect(fresh.meta).toEqual({ tags: ['a', 'b'] })
    expect(fresh.published).toBe(true)
    const json = JSON.parse(JSON.stringify(fresh)) as Record<string, unknown>
    expect(json).not.toHaveProperty('secret')
    expect(json).toMatchObject({ title: 'Cast', published: true, meta: { tags: ['a', 'b'] } })
  })

  it('a model uses its static connection, and string keys without timestamps work', async () => {
    expect(await OtherPost.db()).toBe(await app.make('db').connection('other'))
    expect(await OtherPost.db()).not.toBe(db)
    const tag = await Tag.create({ slug: 'node', label: 'Node.js' })
    expect(tag.getKey()).toBe('node')
    expect((await Tag.findOrFail('node')).label).toBe('Node.js')
    const row = await db('tags').where('slug', 'node').first()
    expect(row).not.toHaveProperty('created_at')
  })
})
