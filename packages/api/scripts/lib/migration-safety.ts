// Makes drizzle-kit's SQLite table rebuilds safe on D1, and finds the ones that are not.
//
// To change a column, drizzle-kit rebuilds the table: PRAGMA foreign_keys=OFF, CREATE TABLE
// __new_x, copy, DROP TABLE x, rename, PRAGMA foreign_keys=ON. D1 always enforces foreign keys and
// ignores the first pragma, so the DROP deletes every row that references x with ON DELETE
// CASCADE (recursively) and nulls every ON DELETE SET NULL reference. The rewrite below copies
// those rows and values aside before the DROP and puts them back after the rename.
// Pure functions over strings: used by scripts/db-generate.ts and by test/migrations.test.ts.

export type OnDelete = 'CASCADE' | 'SET NULL';

export interface Dependent {
  child: string;
  column: string;
  onDelete: OnDelete;
}

/** parent table → the foreign keys that point at it with a destructive ON DELETE action. */
export type DependentsGraph = ReadonlyMap<string, readonly Dependent[]>;

export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

const DROP_TABLE = /^\s*DROP TABLE\s+[`"]?([A-Za-z0-9_]+)[`"]?\s*;?\s*$/i;
const RENAME_NEW = /^\s*ALTER TABLE\s+[`"]?__new_([A-Za-z0-9_]+)[`"]?\s+RENAME TO/i;

export function splitStatements(sql: string): string[] {
  return sql
    .split(STATEMENT_BREAKPOINT)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

export function joinStatements(statements: readonly string[]): string {
  return `${statements.join(`${STATEMENT_BREAKPOINT}\n`)}\n`;
}

/** What a DROP TABLE of `parent` destroys: the tables it empties and the columns it nulls. */
export function blastRadius(parent: string, graph: DependentsGraph) {
  const deleted: string[] = [];
  const nulled: Dependent[] = [];
  const queue = [parent];
  for (let table = queue.shift(); table !== undefined; table = queue.shift()) {
    for (const dependent of graph.get(table) ?? []) {
      if (dependent.onDelete === 'CASCADE') {
        if (dependent.child !== parent && !deleted.includes(dependent.child)) {
          deleted.push(dependent.child);
          queue.push(dependent.child);
        }
      } else {
        nulled.push(dependent);
      }
    }
  }
  // A column of a table that is emptied and refilled needs no separate restore.
  return {
    deleted: parentsFirst(deleted, graph),
    nulled: nulled.filter((d) => !deleted.includes(d.child) && d.child !== parent),
  };
}

/** Orders tables so each comes after every other listed table it references (refill order). */
function parentsFirst(tables: readonly string[], graph: DependentsGraph): string[] {
  const parentsOf = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const parent of tables) {
    for (const { child } of graph.get(parent) ?? []) {
      if (child !== parent) parentsOf.get(child)?.add(parent);
    }
  }
  const ordered: string[] = [];
  while (ordered.length < tables.length) {
    const next = tables.find(
      (t) =>
        !ordered.includes(t) && [...(parentsOf.get(t) ?? [])].every((p) => ordered.includes(p)),
    );
    if (next === undefined) return [...ordered, ...tables.filter((t) => !ordered.includes(t))]; // a cycle: keep the rest as found
    ordered.push(next);
  }
  return ordered;
}

const keepTable = (table: string) => `__keep_${table}`;
const keepColumn = (d: Dependent) => `__keep_${d.child}__${d.column}`;

function preserveStatements(parent: string, graph: DependentsGraph) {
  const { deleted, nulled } = blastRadius(parent, graph);
  const before = [
    ...deleted.map((t) => `CREATE TABLE \`${keepTable(t)}\` AS SELECT * FROM \`${t}\`;`),
    ...nulled.map(
      (d) =>
        `CREATE TABLE \`${keepColumn(d)}\` AS SELECT rowid AS __rid, \`${d.column}\` AS __value FROM \`${d.child}\` WHERE \`${d.column}\` IS NOT NULL;`,
    ),
  ];
  // `deleted` lists parents first, so each table is refilled after the rows it references.
  const after = [
    ...deleted.flatMap((t) => [
      `INSERT INTO \`${t}\` SELECT * FROM \`${keepTable(t)}\`;`,
      `DROP TABLE \`${keepTable(t)}\`;`,
    ]),
    ...nulled.flatMap((d) => [
      `UPDATE \`${d.child}\` SET \`${d.column}\` = (SELECT __value FROM \`${keepColumn(d)}\` WHERE __rid = \`${d.child}\`.rowid) WHERE rowid IN (SELECT __rid FROM \`${keepColumn(d)}\`);`,
      `DROP TABLE \`${keepColumn(d)}\`;`,
    ]),
  ];
  return { before, after };
}

/**
 * Rewrites a generated migration so that every table rebuild keeps the rows of its dependents.
 * Also swaps the ignored `foreign_keys` pragmas for `defer_foreign_keys`, which D1 honours, so a
 * rebuild of a table referenced without a cascade does not fail its foreign-key check midway.
 */
export function makeRebuildsSafe(sql: string, graph: DependentsGraph): string {
  const out: string[] = [];
  const pendingRestores = new Map<string, string[]>();
  for (const raw of splitStatements(sql)) {
    const statement = raw
      .replace(/^PRAGMA foreign_keys\s*=\s*OFF;?$/i, 'PRAGMA defer_foreign_keys=on;')
      .replace(/^PRAGMA foreign_keys\s*=\s*ON;?$/i, 'PRAGMA defer_foreign_keys=off;');
    const dropped = statement.match(DROP_TABLE)?.[1];
    if (dropped && (graph.get(dropped)?.length ?? 0) > 0) {
      const { before, after } = preserveStatements(dropped, graph);
      out.push(...before, statement);
      pendingRestores.set(dropped, after);
      continue;
    }
    out.push(statement);
    const renamed = statement.match(RENAME_NEW)?.[1];
    const restores = renamed ? pendingRestores.get(renamed) : undefined;
    if (renamed && restores) {
      out.push(...restores);
      pendingRestores.delete(renamed);
    }
  }
  // A dropped table that is never renamed back: restore at the end (the children will then
  // fail their foreign keys loudly instead of vanishing quietly).
  for (const restores of pendingRestores.values()) out.push(...restores);
  return joinStatements(out);
}

/**
 * The DROP TABLE statements of a migration that would destroy dependent rows: those whose
 * dependents are not copied aside (`CREATE TABLE __keep_<child> AS SELECT * FROM <child>`)
 * before the drop. `statements` are the migration's statements in order.
 */
export function findUnsafeDrops(statements: readonly string[], graph: DependentsGraph): string[] {
  const unsafe: string[] = [];
  statements.forEach((statement, index) => {
    const dropped = statement.match(DROP_TABLE)?.[1];
    if (!dropped) return;
    const earlier = statements.slice(0, index).join('\n');
    const { deleted, nulled } = blastRadius(dropped, graph);
    const kept = (name: string) => earlier.includes(`CREATE TABLE \`${name}\``);
    const safe =
      deleted.every((t) => kept(keepTable(t))) && nulled.every((d) => kept(keepColumn(d)));
    if (!safe) unsafe.push(dropped);
  });
  return unsafe;
}
