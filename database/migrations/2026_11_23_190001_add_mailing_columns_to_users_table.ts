import { defineMigration } from '#kiln/database/migration'

/** What the newsletter needs: who wants it, whose address bounced, and how many each received. */
export default defineMigration({
  async up(db) {
    await db.schema.alterTable('users', (table) => {
      table.boolean('subscribed').notNullable().defaultTo(true)
      table.boolean('email_bounced').notNullable().defaultTo(false)
      table.integer('newsletters_sent').notNullable().defaultTo(0)
    })
  },

  async down(db) {
    await db.schema.alterTable('users', (table) => {
      table.dropColumn('subscribed')
      table.dropColumn('email_bounced')
      table.dropColumn('newsletters_sent')
    })
  },
})
