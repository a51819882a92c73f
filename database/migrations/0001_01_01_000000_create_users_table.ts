import { defineMigration } from '#kiln/database/migration'

export default defineMigration({
  async up(db) {
    await db.schema.createTable('users', (table) => {
      table.bigIncrements('id')
      table.string('name').notNullable()
      table.string('email').notNullable().unique()
      table.timestamp('email_verified_at').nullable()
      table.string('password').notNullable()
      table.string('remember_token', 100).nullable()
      table.timestamp('created_at').nullable()
      table.timestamp('updated_at').nullable()
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('users')
  },
})
