import { defineMigration } from '#kiln/database/migration'

// Which jobs each batch has counted (`ok:<uuid>`, `fail:<uuid>`) and which job claimed its then/catch/finally
// callbacks (`owner`): a job that runs again after its worker died is not counted twice.
export default defineMigration({
  async up(db) {
    await db.schema.createTable('job_batch_marks', (table) => {
      table.string('batch_id').notNullable()
      table.string('mark', 64).notNullable()
      table.string('owner', 64).nullable()
      table.primary(['batch_id', 'mark'])
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('job_batch_marks')
  },
})
