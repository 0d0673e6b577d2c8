import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Distinct SQL texts kept prepared; the store's queries are a few dozen shapes, so this is never reached in practice. */
const MAX_STATEMENTS = 256;

/**
 * A database for Kysely's SQLite dialect that prepares each SQL text once. Kysely prepares a statement on every
 * query, which costs more than running it (the benchmark's server_settings spent a fifth of its time there).
 * Reusing a statement is safe: Kysely runs one query at a time per database and each run rebinds and resets it,
 * and SQLite re-prepares a statement by itself when the schema changes.
 */
export function cachingStatements(database: SqliteDatabase): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
        const prepared = database.prepare(sql);
        // libsql answers `reader` with a native call each time; it cannot change for a given text.
        const reader = prepared.reader;
        statement = {
          reader,
          all: (parameters) => prepared.all(parameters),
          run: (parameters) => prepared.run(parameters),
          iterate: (parameters) => prepared.iterate(parameters),
        };
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
