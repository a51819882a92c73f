import { defineMigration } from '#kiln/database/migration'

// Job batches (Bus.batch): progress counters and options; the times are unix seconds.
export default defineMigration({
  async up(db) {
    await db.schema.createTable('job_batches', (table) => {
      table.string('id').primary()
      table.string('name').notNullable()
      table.integer('total_jobs').notNullable()
      table.integer('pending_jobs').notNullable()
      table.integer('failed_jobs').notNullable()
      table.text('failed_job_ids', 'longtext').notNullable()
      table.text('options', 'mediumtext').nullable()
      table.integer('cancelled_at').nullable()
      table.integer('created_at').notNullable()
      table.integer('finished_at').nullable()
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('job_batches')
  },
})
