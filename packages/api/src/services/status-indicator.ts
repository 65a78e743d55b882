import { eq, sql } from 'drizzle-orm';
import { STATUS_DESCRIPTIONS } from '../core/status-rules';
import type { Database } from '../db';
import { components, incidents, pages } from '../db/schema';

// core/status-rules.ts `pageStatus` written as one SQL statement, so every mutation's batch can
// end by recomputing the page from what the batch just wrote: no read-then-write gap, no race
// between two editors. test/status-rules.test.ts runs it over the same table as the TS rule.

const d = STATUS_DESCRIPTIONS;

/** Counts of the page's leaves by status, and the rank of its worst open realtime incident. */
const countsFor = (pageId: string) => sql`
  SELECT
    count(*) AS n,
    coalesce(sum(${components.status} = 'major_outage'), 0) AS major,
    coalesce(sum(${components.status} = 'partial_outage'), 0) AS partial,
    coalesce(sum(${components.status} = 'degraded_performance'), 0) AS degraded,
    coalesce(sum(${components.status} = 'under_maintenance'), 0) AS maintenance,
    (SELECT coalesce(max(CASE ${incidents.impact}
        WHEN 'critical' THEN 3 WHEN 'major' THEN 2 WHEN 'minor' THEN 1 ELSE 0 END), 0)
      FROM ${incidents}
      WHERE ${incidents.pageId} = ${pageId}
        AND ${incidents.status} IN ('investigating', 'identified', 'monitoring')) AS open_rank
  FROM ${components}
  WHERE ${components.pageId} = ${pageId}`;

/** §2.3 as two CASE expressions over the counts: indicator and description side by side. */
const indicatorCase = sql`CASE
  WHEN n = 0 THEN CASE open_rank WHEN 3 THEN 'critical' WHEN 2 THEN 'major' WHEN 1 THEN 'minor' ELSE 'none' END
  WHEN major > 0 THEN CASE WHEN major = n THEN 'critical' ELSE 'major' END
  WHEN partial > 0 THEN CASE WHEN partial = n THEN 'major' ELSE 'minor' END
  WHEN degraded > 0 THEN 'minor'
  WHEN maintenance > 0 THEN 'maintenance'
  ELSE 'none' END`;

const descriptionCase = sql`CASE
  WHEN n = 0 THEN CASE open_rank WHEN 3 THEN ${d.majorOutage} WHEN 2 THEN ${d.partialOutage}
    WHEN 1 THEN ${d.minorOutage} ELSE ${d.operational} END
  WHEN major > 0 THEN CASE WHEN major = n THEN ${d.majorOutage} ELSE ${d.partialOutage} END
  WHEN partial > 0 THEN CASE WHEN partial = n THEN ${d.partialOutage} ELSE ${d.minorOutage} END
  WHEN degraded > 0 THEN CASE WHEN degraded = n AND n >= 2 THEN ${d.degraded}
    ELSE ${d.partiallyDegraded} END
  WHEN maintenance > 0 THEN ${d.maintenance}
  ELSE ${d.operational} END`;

/**
 * Recomputes the stored indicator and stamps `pages.updated_at` (`max(updated_at + 1, now)`):
 * the last statement of every
 * mutation's batch, so it sees what the batch just wrote. The public cache keys on
 * `updated_at`, so every mutation goes through here. (Drizzle cannot batch a raw statement with
 * parameters, hence an UPDATE builder with two subqueries rather than one row-value SET.)
 */
export function refreshPage(db: Database, pageId: string, now: Date) {
  return db
    .update(pages)
    .set({
      statusIndicator: sql`(SELECT ${indicatorCase} FROM (${countsFor(pageId)}))`,
      statusDescription: sql`(SELECT ${descriptionCase} FROM (${countsFor(pageId)}))`,
      // Never backwards, never the same: isolates' clocks differ, and the public cache key is
      // this stamp, so a change stamped earlier than the last one would serve the old view.
      updatedAt: sql`max(${pages.updatedAt} + 1, ${now.getTime()})`,
    })
    .where(eq(pages.id, pageId));
}
