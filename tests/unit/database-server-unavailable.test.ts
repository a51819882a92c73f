/**
 * Which database errors mean "the server cannot be used now" (a dispatch answers 503 and a worker backs
 * off) and which are a statement's own failure or a busy pool, which must not be reported as an outage.
 */
import { describe, expect, it } from 'vitest'
import { serverUnavailableReason } from '../../framework/database/server-unavailable.ts'

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

/** knex's acquire timeout, with tarn's cause: the last connection error, or none when the pool was only full. */
function knexTimeout(causeMessage: string): Error {
  const error = new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?', { cause: new Error(causeMessage) })
  error.name = 'KnexTimeoutError'
  return error
}

describe('serverUnavailableReason', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a dual-stack refusal', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '')],
    ['the pg connect timeout', new Error('timeout expired')],
    ['a pg connection dropped mid-statement', new Error('INSERT INTO "jobs" (queue) VALUES ($1) - Connection terminated unexpectedly')],
    ['PostgreSQL shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL starting up', withCode('the database system is starting up', '57P03')],
    ['a mysql2 connect timeout', withCode('connect ETIMEDOUT', 'ETIMEDOUT')],
    ['a MariaDB connection lost', withCode('Connection lost: The server closed the connection.', 'PROTOCOL_CONNECTION_LOST')],
    ['an acquire timeout while connects were failing', knexTimeout('connect ECONNREFUSED 127.0.0.1:3306')],
  ])('reports %s', (_label, error) => {
    expect(serverUnavailableReason(error)).toEqual(expect.any(String))
  })

  it.each([
    ['a full pool (no connection error behind the timeout)', knexTimeout('operation timed out for an unknown reason')],
    ['a unique violation', withCode('duplicate key value violates unique constraint "failed_jobs_uuid_unique"', '23505')],
    ['a MariaDB deadlock', withCode('Deadlock found when trying to get lock', 'ER_LOCK_DEADLOCK')],
    ['a missing table', withCode('relation "jobs" does not exist', '42P01')],
    ['a thrown string', 'boom'],
  ])('does not report %s', (_label, error) => {
    expect(serverUnavailableReason(error)).toBeUndefined()
  })
})
