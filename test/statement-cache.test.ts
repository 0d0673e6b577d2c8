import type { SqliteDatabase } from "kysely";
import Database from "libsql";
import { describe, expect, it } from "vitest";
import { cachingStatements } from "../src/store/statement-cache.ts";

function database() {
  const raw = new Database(":memory:");
  raw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b'), ('c');");
  let prepared = 0;
  const counting: SqliteDatabase = {
    close: () => raw.close(),
    prepare(sql) {
      prepared++;
      return raw.prepare(sql) as never;
    },
  };
  return { db: cachingStatements(counting), prepared: () => prepared, raw };
}

describe("cachingStatements", () => {
  it("prepares each SQL text once and gives each run its own parameters", () => {
    const { db, prepared } = database();
    const select = "SELECT name FROM t WHERE id >= ? ORDER BY id";
    expect(db.prepare(select).all([1])).toEqual([{ name: "a" }, { name: "b" }, { name: "c" }]);
    expect(db.prepare(select).all([3])).toEqual([{ name: "c" }]);
    expect(db.prepare(select).reader).toBe(true);
    expect(prepared()).toBe(1);
  });

  it("reruns a statement whose previous iteration was left unfinished", () => {
    const { db } = database();
    const select = "SELECT name FROM t ORDER BY id";
    const iterator = db.prepare(select).iterate([]);
    expect(iterator.next().value).toEqual({ name: "a" });
    expect(db.prepare(select).all([])).toHaveLength(3);
  });

  it("runs writes and sees their effect, and follows a schema change", () => {
    const { db, raw } = database();
    const update = db.prepare("UPDATE t SET name = ? WHERE id = ?");
    expect(update.reader).toBe(false);
    expect(Number(update.run(["x", 1]).changes)).toBe(1);
    expect(Number(db.prepare("UPDATE t SET name = ? WHERE id = ?").run(["y", 2]).changes)).toBe(1);
    const select = "SELECT * FROM t WHERE id = ?";
    expect(db.prepare(select).all([1])).toEqual([{ id: 1, name: "x" }]);
    raw.exec("ALTER TABLE t ADD COLUMN extra TEXT");
    expect(db.prepare(select).all([2])).toEqual([{ id: 2, name: "y", extra: null }]);
  });

  it("stays bounded: past its size the oldest text is prepared again when next used", () => {
    const { db, prepared } = database();
    for (let i = 0; i < 300; i++) expect(db.prepare(`SELECT ${i} AS n`).all([])).toEqual([{ n: i }]);
    expect(prepared()).toBe(300);
    db.prepare("SELECT 299 AS n"); // still cached
    expect(prepared()).toBe(300);
    expect(db.prepare("SELECT 0 AS n").all([])).toEqual([{ n: 0 }]); // evicted, prepared anew
    expect(prepared()).toBe(301);
  });
});
