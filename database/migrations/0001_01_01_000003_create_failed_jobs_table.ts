import { defineMigration } from '#kiln/database/migration'

// Jobs that failed for good: `craft queue:failed`, `queue:retry`, `queue:forget` read this table.
export default defineMigration({
  async up(db) {
    await db.schema.createTable('failed_jobs', (table) => {
      table.bigIncrements('id')
      table.string('uuid').notNullable().unique()
      table.text('connection').notNullable()
      table.text('queue').notNullable()
      table.text('payload', 'longtext').notNullable()
      table.text('exception', 'longtext').notNullable()
      table.timestamp('failed_at').notNullable().defaultTo(db.fn.now())
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('failed_jobs')
  },
})
