import { defineDatabaseConfig } from '#kiln/database/config'
import { env } from '#kiln/foundation/env'

export default defineDatabaseConfig({
  default: env.string('DB_CONNECTION', 'sqlite'),

  connections: {
    sqlite: {
      driver: 'sqlite',
      database: env.string('DB_DATABASE_SQLITE', 'database/database.sqlite'),
      foreignKeys: env.boolean('DB_FOREIGN_KEYS', true),
      busyTimeout: env.number('DB_BUSY_TIMEOUT', 5000),
    },

    pgsql: {
      driver: 'pgsql',
      url: env.string('DB_URL', '') || undefined,
      host: env.string('DB_HOST', '127.0.0.1'),
      port: env.number('DB_PORT', 5432),
      database: env.string('DB_DATABASE', 'kiln'),
      username: env.string('DB_USERNAME', 'postgres'),
      password: env.string('DB_PASSWORD', ''),
      schema: env.string('DB_SCHEMA', 'public'),
      connectTimeout: env.number('DB_CONNECT_TIMEOUT', 2000),
    },

    mysql: {
      driver: 'mysql',
      url: env.string('DB_URL', '') || undefined,
      host: env.string('DB_HOST', '127.0.0.1'),
      port: env.number('DB_PORT', 3306),
      database: env.string('DB_DATABASE', 'kiln'),
      username: env.string('DB_USERNAME', 'root'),
      password: env.string('DB_PASSWORD', ''),
      connectTimeout: env.number('DB_CONNECT_TIMEOUT', 2000),
    },
  },

  migrations: { table: 'migrations' },
})
