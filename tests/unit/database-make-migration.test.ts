import { describe, expect, it } from 'vitest'
import { guessTable, migrationName, renderStub } from '../../framework/console/commands/make-migration.ts'

describe('make:migration naming', () => {
  it.each([
    ['create_flights_table', 'create_flights_table'],
    ['CreateFlightsTable', 'create_flights_table'],
    ['addSeatsToFlights', 'add_seats_to_flights'],
    ['backfill_2026_data', 'backfill_2026_data'],
  ])('%s becomes %s', (raw, expected) => {
    expect(migrationName(raw)).toBe(expected)
  })

  it.each(['1bad', '../x', 'a/b', 'drop-users', '', ' ', 'x.ts'])('refuses %j', (raw) => {
    expect(() => migrationName(raw)).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
  })

  it.each([
    ['create_flights_table', ['flights', true]],
    ['create_flights', ['flights', true]],
    ['add_seats_to_flights_table', ['flights', false]],
    ['remove_seats_from_flights', ['flights', false]],
    ['add_index_in_flight_legs_table', ['flight_legs', false]],
    ['backfill_data', [undefined, false]],
  ] as const)("guesses the table of %s like Laravel's TableGuesser", (name, expected) => {
    expect(guessTable(name)).toEqual(expected)
  })
})

describe('migration stubs', () => {
  it('fills the table into the create stub and leaves no placeholder', () => {
    const text = renderStub('migration.create.stub', { table: 'flights' })
    expect(text).toContain("createTable('flights'")
    expect(text).toContain("dropTableIfExists('flights')")
    expect(text).not.toContain('{{')
  })

  it('imports defineMigration the way app code does', () => {
    for (const stub of ['migration.stub', 'migration.create.stub', 'migration.update.stub']) {
      expect(renderStub(stub, { table: 't' })).toContain("import { defineMigration } from '#kiln/database/migration'")
    }
  })
})
