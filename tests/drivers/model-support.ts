/**
 * Shared setup for the model tests: an Application on a throwaway database of one engine, and a
 * `posts` table with the column kinds the model layer has to read back the same on every engine.
 */
import { join } from 'node:path'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import { Model } from '../../framework/model/model.ts'
import type { TestDatabase } from '../support/services.ts'

export const repoRoot = join(import.meta.dirname, '..', '..')

export interface PostAttributes {
  id: number
  title: string
  views: number
  score: number | null
  published: boolean
  meta: { tags: string[] } | null
  secret: string | null
  created_at: Date | null
  updated_at: Date | null
}

export class Post extends Model<PostAttributes> {
  static override table = 'posts'
  static override hidden = ['secret']
  static override casts = { published: 'boolean', meta: 'json', created_at: 'date', updated_at: 'date' } as const
}

export function appOn(database: TestDatabase): Promise<Application> {
  return Application.create({
    basePath: repoRoot,
    loadEnv: false,
    config: { database: { default: 'testdb', connections: { testdb: database.config, other: database.config } } },
  })
}

export async function createPostsTable(db: Knex): Promise<void> {
  await db.schema.createTable('posts', (table) => {
    table.bigIncrements('id')
    table.string('title').notNullable()
    table.integer('views').notNullable().defaultTo(0)
    table.integer('score').nullable()
    table.boolean('published').notNullable().defaultTo(false)
    table.text('meta').nullable()
    table.string('secret').nullable()
    table.timestamp('created_at').nullable()
    table.timestamp('updated_at').nullable()
  })
}
