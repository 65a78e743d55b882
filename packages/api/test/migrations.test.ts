import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  type Dependent,
  type DependentsGraph,
  findUnsafeDrops,
  joinStatements,
  makeRebuildsSafe,
  splitStatements,
} from '../scripts/lib/migration-safety';

// Runs on MIGRATION_TEST_DB, an empty D1 database of its own (vitest.config.ts), so migrations
// can be replayed one at a time on a database that is full of rows.
const db = env.MIGRATION_TEST_DB;
const IGNORED = /^(sqlite_|_cf_|d1_migrations$|__keep_|trap_)/;

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}
interface ForeignKey {
  table: string;
  from: string;
  to: string;
  on_delete: string;
}

async function tables(): Promise<Array<{ name: string; sql: string }>> {
  const { results } = await db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all<{ name: string; sql: string }>();
  return results.filter((t) => !IGNORED.test(t.name));
}

async function foreignKeys(table: string): Promise<ForeignKey[]> {
  const { results } = await db
    .prepare('SELECT * FROM pragma_foreign_key_list(?)')
    .bind(table)
    .all<ForeignKey>();
  return results;
}

/** The live database's destructive foreign keys, as the guard needs them. */
async function liveGraph(prefix?: RegExp): Promise<DependentsGraph> {
  const graph = new Map<string, Dependent[]>();
  const { results } = await db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all<{ name: string }>();
  // D1's own tables (_cf_*) refuse PRAGMA functions; they hold no foreign keys of ours anyway.
  const ours = results.filter((t) => !/^(sqlite_|_cf_)/.test(t.name));
  for (const { name } of ours.filter((t) => !prefix || prefix.test(t.name))) {
    for (const fk of await foreignKeys(name)) {
      const action = fk.on_delete.toUpperCase();
      if (action !== 'CASCADE' && action !== 'SET NULL') continue;
      graph.set(fk.table, [
        ...(graph.get(fk.table) ?? []),
        { child: name, column: fk.from, onDelete: action },
      ]);
    }
  }
  return graph;
}

async function countRows(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { name } of await tables()) {
    const row = await db.prepare(`SELECT count(*) AS n FROM "${name}"`).first<{ n: number }>();
    counts.set(name, row?.n ?? 0);
  }
  return counts;
}

let counter = 0;

/**
 * Puts `rows` generic rows into every table, parents first: unique values everywhere, the first
 * allowed value for CHECK (… IN (…)) columns, and an existing parent row for every foreign key
 * (so cascades have something to destroy).
 */
async function fillEveryTable(rows: number): Promise<void> {
  const all = await tables();
  const fks = new Map(
    await Promise.all(all.map(async (t) => [t.name, await foreignKeys(t.name)] as const)),
  );
  const done = new Set<string>();
  while (done.size < all.length) {
    const ready = all.filter(
      (t) =>
        !done.has(t.name) &&
        (fks.get(t.name) ?? []).every((fk) => done.has(fk.table) || fk.table === t.name),
    );
    expect(ready.length, 'foreign keys form a cycle').toBeGreaterThan(0);
    for (const table of ready) {
      const { results: columns } = await db
        .prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)')
        .bind(table.name)
        .all<Column>();
      const allowed = new Map(
        [...table.sql.matchAll(/"(\w+)"\s+IN\s*\(([^)]*)\)/g)].map((m) => [
          m[1],
          m[2]?.split(',')[0]?.trim().replace(/^'|'$/g, ''),
        ]),
      );
      const autoIncrement =
        columns.filter((c) => c.pk > 0).length === 1 &&
        columns.some((c) => c.pk > 0 && c.type === 'INTEGER');
      const insertable = columns.filter((c) => !(autoIncrement && c.pk > 0));
      for (let i = 0; i < rows; i++) {
        const values: unknown[] = [];
        for (const column of insertable) {
          counter++;
          const fk = fks.get(table.name)?.find((f) => f.from === column.name);
          if (fk) {
            // Row i takes the i-th newest parent, so composite unique keys never collide.
            const parent = await db
              .prepare(
                `SELECT "${fk.to}" AS v FROM "${fk.table}" ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
              )
              .bind(i)
              .first<{ v: unknown }>();
            values.push(parent?.v ?? null);
          } else if (allowed.has(column.name)) values.push(allowed.get(column.name));
          else if (column.type === 'INTEGER') values.push(counter);
          else if (column.type === 'REAL') values.push(counter + 0.5);
          else values.push(`fill-${counter}`);
        }
        const names = insertable.map((c) => `"${c.name}"`).join(', ');
        await db
          .prepare(
            `INSERT INTO "${table.name}" (${names}) VALUES (${insertable.map(() => '?').join(', ')})`,
          )
          .bind(...values)
          .run();
      }
      done.add(table.name);
    }
  }
}

describe('committed migrations', () => {
  it('apply in order on a full database without losing a row, and no DROP TABLE is unguarded', async () => {
    const migrations = env.TEST_MIGRATIONS;
    expect(migrations.length).toBeGreaterThan(0);
    for (let i = 0; i < migrations.length; i++) {
      const migration = migrations[i];
      if (!migration) continue;
      expect(findUnsafeDrops(migration.queries, await liveGraph()), migration.name).toEqual([]);
      const before = await countRows();
      await applyD1Migrations(db, migrations.slice(0, i + 1));
      const after = await countRows();
      for (const [table, rows] of before) {
        expect(
          after.get(table) ?? 0,
          `${migration.name} lost rows of ${table}`,
        ).toBeGreaterThanOrEqual(rows);
      }
      await fillEveryTable(2);
    }
    const filled = await countRows();
    expect(filled.size).toBeGreaterThanOrEqual(22);
    for (const [table, rows] of filled) expect(rows, table).toBeGreaterThanOrEqual(2);
  }, 60_000); // every migration applied and every table filled in turn: seconds, not ms
});

describe('table rebuilds on D1', () => {
  const SCHEMA = [
    'CREATE TABLE trap_parent (id TEXT PRIMARY KEY NOT NULL, name TEXT)',
    'CREATE TABLE trap_child (id TEXT PRIMARY KEY NOT NULL, parent_id TEXT NOT NULL REFERENCES trap_parent(id) ON DELETE CASCADE)',
    'CREATE TABLE trap_grandchild (id TEXT PRIMARY KEY NOT NULL, child_id TEXT NOT NULL REFERENCES trap_child(id) ON DELETE CASCADE)',
    'CREATE TABLE trap_link (id TEXT PRIMARY KEY NOT NULL, parent_id TEXT REFERENCES trap_parent(id) ON DELETE SET NULL)',
    "INSERT INTO trap_parent VALUES ('p1', 'one'), ('p2', 'two')",
    "INSERT INTO trap_child VALUES ('c1', 'p1'), ('c2', 'p2')",
    "INSERT INTO trap_grandchild VALUES ('g1', 'c1'), ('g2', 'c2')",
    "INSERT INTO trap_link VALUES ('l1', 'p1'), ('l2', NULL)",
  ];
  // What drizzle-kit generates to add a NOT NULL column to trap_parent.
  const GENERATED = joinStatements([
    'PRAGMA foreign_keys=OFF;',
    "CREATE TABLE `__new_trap_parent` (`id` text PRIMARY KEY NOT NULL, `name` text, `note` text DEFAULT 'n' NOT NULL);",
    'INSERT INTO `__new_trap_parent`("id", "name") SELECT "id", "name" FROM `trap_parent`;',
    'DROP TABLE `trap_parent`;',
    'ALTER TABLE `__new_trap_parent` RENAME TO `trap_parent`;',
    'PRAGMA foreign_keys=ON;',
  ]);

  async function resetTrap() {
    const drop = ['trap_link', 'trap_grandchild', 'trap_child', 'trap_parent'].map((t) =>
      db.prepare(`DROP TABLE IF EXISTS ${t}`),
    );
    await db.batch([...drop, ...SCHEMA.map((statement) => db.prepare(statement))]);
  }
  const run = (sql: string) =>
    db.batch(splitStatements(sql).map((statement) => db.prepare(statement)));
  const count = async (table: string) =>
    (await db.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n;
  const linkParent = async () =>
    (
      await db
        .prepare("SELECT parent_id FROM trap_link WHERE id = 'l1'")
        .first<{ parent_id: string | null }>()
    )?.parent_id;

  it('lose cascading children as generated (the D1 trap the guard exists for)', async () => {
    await resetTrap();
    const graph = await liveGraph(/^trap_/);
    expect(findUnsafeDrops(splitStatements(GENERATED), graph)).toEqual(['trap_parent']);
    await run(GENERATED);
    expect([
      await count('trap_parent'),
      await count('trap_child'),
      await count('trap_grandchild'),
    ]).toEqual([2, 0, 0]);
    expect(await linkParent()).toBeNull();
  });

  it('keep every row and reference once rewritten by makeRebuildsSafe', async () => {
    await resetTrap();
    const graph = await liveGraph(/^trap_/);
    const safe = makeRebuildsSafe(GENERATED, graph);
    expect(findUnsafeDrops(splitStatements(safe), graph)).toEqual([]);
    expect(safe).toContain('PRAGMA defer_foreign_keys=on;');
    expect(safe).not.toContain('PRAGMA foreign_keys=OFF');
    await run(safe);
    expect([
      await count('trap_parent'),
      await count('trap_child'),
      await count('trap_grandchild'),
      await count('trap_link'),
    ]).toEqual([2, 2, 2, 2]);
    expect(await linkParent()).toBe('p1');
    const note = await db
      .prepare("SELECT note FROM trap_parent WHERE id = 'p1'")
      .first<{ note: string }>();
    expect(note?.note).toBe('n');
    const leftovers = await db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE '__keep_%'")
      .first<{ n: number }>();
    expect(leftovers?.n).toBe(0);
  });
});
