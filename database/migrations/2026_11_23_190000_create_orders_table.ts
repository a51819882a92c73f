import { defineMigration } from '#kiln/database/migration'

export default defineMigration({
  async up(db) {
    await db.schema.createTable('orders', (table) => {
      table.bigIncrements('id')
      table.string('email').notNullable()
      table.string('product').notNullable()
      table.integer('quantity').notNullable()
      table.decimal('amount', 10, 2).nullable()
      // pending -> paid (ProcessPayment)
      table.string('status', 20).notNullable().defaultTo('pending')
      table.timestamp('paid_at').nullable()
      table.string('invoice_path').nullable()
      table.timestamp('created_at').nullable()
      table.timestamp('updated_at').nullable()
    })
  },

  async down(db) {
    await db.schema.dropTableIfExists('orders')
  },
})
