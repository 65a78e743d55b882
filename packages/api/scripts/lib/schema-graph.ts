import { is } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Dependent, DependentsGraph } from './migration-safety';

/** The destructive foreign keys of a Drizzle schema, keyed by the table they point at. */
export function dependentsFromSchema(schema: Record<string, unknown>): DependentsGraph {
  const graph = new Map<string, Dependent[]>();
  for (const value of Object.values(schema)) {
    if (!is(value, SQLiteTable)) continue;
    const config = getTableConfig(value);
    for (const fk of config.foreignKeys) {
      const action = fk.onDelete?.toUpperCase();
      if (action !== 'CASCADE' && action !== 'SET NULL') continue;
      const reference = fk.reference();
      const parent = getTableConfig(reference.foreignTable).name;
      for (const column of reference.columns) {
        graph.set(parent, [
          ...(graph.get(parent) ?? []),
          { child: config.name, column: column.name, onDelete: action },
        ]);
      }
    }
  }
  return graph;
}
