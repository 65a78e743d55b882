import { and, eq, notInArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db';
import { componentGroups, components } from '../db/schema';
import type { Statement } from './status-base';

// Positions are 1-based among siblings (spec §1.3): the children of one group, or the top level,
// where groups and ungrouped components share one sequence.

/** The next top-level position of a page, computed inside the INSERT that uses it. */
export function nextTopLevelPosition(pageId: string): SQL<number> {
  return sql<number>`(SELECT coalesce(max(p), 0) + 1 FROM (
    SELECT max(${componentGroups.position}) AS p FROM ${componentGroups}
      WHERE ${componentGroups.pageId} = ${pageId}
    UNION ALL
    SELECT max(${components.position}) FROM ${components}
      WHERE ${components.pageId} = ${pageId} AND ${components.groupId} IS NULL))`;
}

/** UPDATEs giving `orderedIds` positions 1..n, skipping rows already in place. */
export function positionStatements(
  db: Database,
  table: typeof components | typeof componentGroups,
  orderedIds: readonly string[],
  current: ReadonlyMap<string, number | null>,
): Statement[] {
  return orderedIds.flatMap((id, index) =>
    current.get(id) === index + 1
      ? []
      : [
          db
            .update(table)
            .set({ position: index + 1 })
            .where(eq(table.id, id)),
        ],
  );
}

/**
 * Positions 1..n for `siblings` (in their current order) with `id` moved to the 1-based
 * `position`; a position past the end puts it last.
 */
export function moveStatements(
  db: Database,
  table: typeof components | typeof componentGroups,
  siblings: readonly { id: string; position: number | null }[],
  id: string,
  position: number,
): Statement[] {
  const ids = siblings.map((row) => row.id).filter((other) => other !== id);
  ids.splice(Math.min(position, ids.length + 1) - 1, 0, id);
  const current = new Map(siblings.map((row) => [row.id, row.position]));
  return positionStatements(db, table, ids, current);
}

/** Children of a group in the given order: group_id and positions 1..n. */
export function groupChildrenStatements(
  db: Database,
  groupId: string,
  childIds: readonly string[],
): Statement[] {
  return childIds.map((id, index) =>
    db
      .update(components)
      .set({ groupId, position: index + 1 })
      .where(eq(components.id, id)),
  );
}

/** Components no longer listed by a group become top-level again. */
export function ungroupStatement(db: Database, groupId: string, keepIds: readonly string[]) {
  return db
    .update(components)
    .set({ groupId: null })
    .where(
      and(
        eq(components.groupId, groupId),
        keepIds.length > 0 ? notInArray(components.id, [...keepIds]) : undefined,
      ),
    );
}
