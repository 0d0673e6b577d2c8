import type { Compilable, CompiledQuery, Kysely, QueryResult } from "kysely";

/** Where a prepared query takes the value given at each run (the index into its values). */
class Slot {
  constructor(readonly index: number) {}
}

/** A query compiled once: its SQL, and where each parameter comes from (a value's index, or a constant). */
interface Compiled {
  query: CompiledQuery;
  sources: (Slot | { constant: unknown })[];
}

/** Builds a query on `db` with `slot(i)` where the i-th value of each run goes. */
export type Build<DB, O> = (db: Kysely<DB>, slot: <T>(index: number) => T) => Compilable<O>;

/** Distinct shapes kept; the hot queries are a few dozen, so this is a guard against a caller's mistake only. */
const MAX_SHAPES = 128;

/**
 * Kysely queries built and compiled once per shape and run again with new values: building and compiling a
 * query cost a login more than SQLite's work on it. The same builder code serves every dialect (each store
 * compiles with its own), so SQLite and PostgreSQL keep one code path. The key names the shape: a query whose
 * shape depends on its input (the number of buckets) puts that in the key.
 */
export class PreparedQueries<DB> {
  private readonly shapes = new Map<string, Compiled>();

  constructor(private readonly db: Kysely<DB>) {}

  /** Runs the query of this shape on `on` (the database or a transaction of it) with these values. */
  async run<O>(on: Kysely<DB>, key: string, build: Build<DB, O>, values: readonly unknown[]): Promise<QueryResult<O>> {
    let shape = this.shapes.get(key);
    if (!shape) {
      if (this.shapes.size >= MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
      const query = build(this.db, (index) => new Slot(index) as never).compile();
      shape = { query, sources: query.parameters.map((p) => (p instanceof Slot ? p : { constant: p })) };
      // A slot the query never reads, or one past the values, would bind the wrong value without a word.
      const read = new Set(shape.sources.flatMap((s) => (s instanceof Slot ? [s.index] : [])));
      if (read.size !== values.length || [...read].some((i) => i < 0 || i >= values.length))
        throw new Error(`prepared query ${key}: it reads slots ${[...read].sort().join(",") || "none"} of ${values.length} values`);
      this.shapes.set(key, shape);
    }
    const parameters = shape.sources.map((s) => (s instanceof Slot ? values[s.index] : s.constant));
    return on.executeQuery<O>({ ...shape.query, parameters });
  }

  /** The first row of the query's answer, as Kysely's executeTakeFirst gives it. */
  async first<O>(on: Kysely<DB>, key: string, build: Build<DB, O>, values: readonly unknown[]): Promise<O | undefined> {
    return (await this.run(on, key, build, values)).rows[0];
  }
}
