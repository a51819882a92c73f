import { defineMigration } from '#kiln/database/migration'

// The database cache store (Laravel's `cache` and `cache_locks` tables). Values are JSON text; expiration
// is unix seconds by the database server's clock.
export default defineMigration({
  async up(db) {
    await db.schema.createTable('cache', (table) => {
      table.string('key').primary()
      table.text('value', 'mediumtext').notNullable()
      table.integer('expiration').notNullable()
    })

    await db.schema.createTable('cache_locks', (table) => {
      table.string('key').primary()
      table.string('owner').notNullable()
      table.integer('expiration').notNullable()
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('cache')
    await db.schema.dropTableIfExists('cache_locks')
  },
})
