/**
 * SerializesModels in the worker pipeline (needs /tmp/models-mail/process-job.patch applied): a job's
 * model is fetched fresh before handle(); a deleted one fails the job at once with E_MODEL_NOT_FOUND,
 * or drops it silently when the job sets deleteWhenMissingModels. Place as tests/drivers/model-worker.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Application } from '../../framework/foundation/application.ts'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { appOn, createPostsTable, Post } from './model-support.ts'

const seen: string[] = []

class AnnouncePost extends QueuedJob {
  deleteWhenMissingModels?: boolean

  constructor(public post: Post) {
    super()
  }

  handle(): void {
    seen.push(this.post.title)
  }
}

let database: TestDatabase
let app: Application

beforeAll(async () => {
  database = await createTestDatabase('sqlite')
  app = await appOn(database)
  await createPostsTable(await app.make('db').connection())
  app.make('jobs').register(AnnouncePost)
})

afterAll(async () => {
  await app?.shutdown()
  await database?.drop()
})

function reserve(rawBody: string): ReservedJob {
  return { id: randomUUID(), queue: 'default', connectionName: 'database', rawBody, attempts: 1, reservationToken: randomUUID(), delete: async () => undefined, release: async () => undefined }
}

it('handle() sees the model as it is when the job runs', async () => {
  const post = await Post.create({ title: 'old' })
  const { payload } = encodeJob(new AnnouncePost(post))
  await post.update({ title: 'new' })
  const result = await processJob(app, reserve(payload), workerOptions({ tries: 3 }), { logFailed: false })
  expect(result.decision.action).toBe('ack')
  expect(seen).toEqual(['new'])
})

it('a deleted model fails the job at once (tries left or not) with E_MODEL_NOT_FOUND', async () => {
  const post = await Post.create({ title: 'gone' })
  const { payload } = encodeJob(new AnnouncePost(post))
  await post.delete()
  const result = await processJob(app, reserve(payload), workerOptions({ tries: 3 }), { logFailed: false })
  expect(result.decision.action).toBe('fail')
  expect(result.error).toMatchObject({ code: 'E_MODEL_NOT_FOUND' })
  expect(seen).not.toContain('gone')
})

it('deleteWhenMissingModels drops the job silently instead', async () => {
  const post = await Post.create({ title: 'dropped' })
  const job = new AnnouncePost(post)
  job.deleteWhenMissingModels = true
  const { payload } = encodeJob(job)
  await post.delete()
  const result = await processJob(app, reserve(payload), workerOptions({ tries: 3 }), { logFailed: false })
  expect(result.decision.action).toBe('ack')
  expect(result.error).toBeNull()
  expect(seen).not.toContain('dropped')
})
