import type { Knex } from 'knex'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Application } from '../../framework/foundation/application.ts'
import { decodeModel, encodeModel, ModelIdentifier, restoreModels, shouldDeleteWhenMissingModels } from '../../framework/model/model-codec.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { decodePayload, encodeJob, hydrateJob } from '../../framework/queue/payload-codec.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { appOn, createPostsTable, Post } from './model-support.ts'

const engines = await availableEngines()

class PublishPost extends QueuedJob {
  deleteWhenMissingModels?: boolean
  constructor(
    public post: Post,
    public related: { featured: Post[]; note: string } = { featured: [], note: '' },
  ) {
    super()
  }

  handle(): void {}
}

const registry = { resolve: () => PublishPost }

/** Dispatch-side encode, then the worker's decode + hydrate, as two processes would. */
function roundTrip(job: PublishPost): { raw: string; job: PublishPost } {
  const { payload } = encodeJob(job)
  return { raw: payload, job: hydrateJob(decodePayload(payload), registry) as PublishPost }
}

describe.each(engines)('SerializesModels (model-codec) on %s', (engine) => {
  let database: TestDatabase
  let app: Application
  let db: Knex

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    app = await appOn(database)
    db = await app.make('db').connection()
    await createPostsTable(db)
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
  })

  beforeEach(async () => {
    await db('posts').delete()
  })

  it('encodes a model as its class name and key only, never its attributes', async () => {
    const post = await Post.create({ title: 'Top secret title', secret: 'hunter2' })
    expect(encodeModel(post)).toEqual({ __model: 'Post', key: post.id })
    const { raw } = roundTrip(new PublishPost(post))
    const data = (JSON.parse(raw) as { data: Record<string, unknown> }).data
    expect(data.post).toEqual({ $kiln: 'model', value: { __model: 'Post', key: post.id } })
    expect(raw).not.toContain('Top secret title')
    expect(raw).not.toContain('hunter2')
  })

  it('decodes to a placeholder, and restoreModels() fetches the row as it is when the job runs', async () => {
    const post = await Post.create({ title: 'Before', views: 1 })
    const { job } = roundTrip(new PublishPost(post))
    expect(job.post).toBeInstanceOf(ModelIdentifier)
    await db('posts').where('id', post.id).update({ title: 'After', views: 7 })

    await restoreModels(job)
    expect(job.post).toBeInstanceOf(Post)
    expect(job.post.id).toBe(post.id)
    expect(job.post.title).toBe('After')
    expect(job.post.views).toBe(7)
    expect(job.post.isPersisted()).toBe(true)
  })

  it('restores models nested in arrays and plain objects', async () => {
    const [a, b, c] = [await Post.create({ title: 'a' }), await Post.create({ title: 'b' }), await Post.create({ title: 'c' })]
    const { job } = roundTrip(new PublishPost(a, { featured: [b, c], note: 'n' }))
    await db('posts').where('id', c.id).update({ title: 'c2' })
    await restoreModels(job)
    expect(job.related.featured.map((post) => post.title)).toEqual(['b', 'c2'])
    expect(job.related.featured.every((post) => post instanceof Post)).toBe(true)
    expect(job.related.note).toBe('n')
  })

  it('a model deleted before the job runs is E_MODEL_NOT_FOUND; deleteWhenMissingModels tells the worker to drop the job', async () => {
    const post = await Post.create({ title: 'Short-lived' })
    const original = new PublishPost(post)
    original.deleteWhenMissingModels = true
    const { job } = roundTrip(original)
    await post.delete()

    const error = await restoreModels(job).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_MODEL_NOT_FOUND', model: 'Post', ids: [post.id] })
    expect(shouldDeleteWhenMissingModels(job, error)).toBe(true)
    expect(shouldDeleteWhenMissingModels(roundTrip(new PublishPost(await Post.create({ title: 'x' }))).job, error)).toBe(false)
    await expect(decodeModel({ __model: 'Post', key: post.id })).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND' })
  })

  it('resolves only registered model names: a payload naming anything else is E_UNKNOWN_MODEL', async () => {
    for (const name of ['Nope', '__proto__', '../../app/Models/User', 'node:fs']) {
      await expect(decodeModel({ __model: name, key: 1 })).rejects.toMatchObject({ code: 'E_UNKNOWN_MODEL' })
    }
  })

  it('finds the models of app/Models by discovery (a worker process that never imported them)', async () => {
    const models = await app.make('models').ready()
    expect(models.has('User')).toBe(true)
  })

  it('refuses at dispatch a model that was never saved (E_MODEL_NOT_PERSISTED)', () => {
    expect(() => encodeJob(new PublishPost(new Post({ title: 'unsaved' })))).toThrow(expect.objectContaining({ code: 'E_MODEL_NOT_PERSISTED' }))
  })
})
