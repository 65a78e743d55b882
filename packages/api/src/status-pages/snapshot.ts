import { asc, eq, type SQL, sql } from 'drizzle-orm';
import {
  ACTIVE_MAINTENANCE_STATUSES,
  REALTIME_STATUSES,
  SCHEDULED_STATUSES,
  UNRESOLVED_STATUSES,
  UPCOMING_MAINTENANCE_STATUSES,
} from '../core/status-rules';
import type { Database } from '../db';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  pages,
} from '../db/schema';
import { PUBLIC_LIST_CAP, type StatusRows } from './serialize';

/** The HTML page's "Past Incidents" span (spec §6.1): incidents created this recently load too. */
export const RECENT_WINDOW_DAYS = 15;
/**
 * At most this many incidents of the window load (the newest): a page that logged hundreds in
 * two weeks would otherwise make every snapshot unbounded. docs/status-pages.md lists the caps.
 */
export const RECENT_WINDOW_CAP = 100;
/** Updates kept per incident, the newest by display time; older ones drop off the public views. */
export const UPDATES_PER_INCIDENT_CAP = 50;
const DAY_MS = 86_400_000;

export interface SnapshotOptions {
  /** Incidents created at or after this instant are loaded whatever their status. */
  since?: Date;
  /** Default now; `since` defaults to RECENT_WINDOW_DAYS before it. */
  now?: Date;
}

const OPEN_STATUSES = [
  ...UNRESOLVED_STATUSES,
  ...UPCOMING_MAINTENANCE_STATUSES,
  ...ACTIVE_MAINTENANCE_STATUSES,
];

const list = (values: readonly string[]) =>
  sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );

/**
 * The ids of the incidents the public views show, each arm on an index: every open incident
 * and maintenance (summary.json), the 50 newest realtime incidents (incidents.json, on
 * incidents_page_created_idx), the 50 latest maintenance windows (scheduled-maintenances.json,
 * in the serializer's order) and the RECENT_WINDOW_CAP newest created since `since` (the HTML
 * page's history).
 */
function incidentIds(pageId: string, since: Date): SQL {
  return sql`
    SELECT id FROM incidents WHERE page_id = ${pageId} AND status IN (${list(OPEN_STATUSES)})
    UNION
    SELECT id FROM (SELECT id FROM incidents
      WHERE page_id = ${pageId} AND created_at >= ${since.getTime()}
      ORDER BY created_at DESC, id DESC LIMIT ${RECENT_WINDOW_CAP})
    UNION
    SELECT id FROM (SELECT id FROM incidents
      WHERE page_id = ${pageId} AND status IN (${list(REALTIME_STATUSES)})
      ORDER BY created_at DESC, id DESC LIMIT ${PUBLIC_LIST_CAP})
    UNION
    SELECT id FROM (SELECT id FROM incidents
      WHERE page_id = ${pageId} AND status IN (${list(SCHEDULED_STATUSES)})
      ORDER BY COALESCE(scheduled_for, started_at, created_at) DESC, created_at DESC, id DESC
      LIMIT ${PUBLIC_LIST_CAP})`;
}

/**
 * The ids of the newest UPDATES_PER_INCIDENT_CAP updates of each incident in `ids`, in the
 * serializer's order (display_at, created_at, id; all descending), walked on
 * incident_updates_incident_idx.
 */
function updateIds(ids: SQL): SQL {
  return sql`
    SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY incident_id
        ORDER BY COALESCE(display_at, created_at) DESC, created_at DESC, id DESC) AS n
      FROM incident_updates WHERE incident_id IN (${ids}))
    WHERE n <= ${UPDATES_PER_INCIDENT_CAP}`;
}

/** The statements of one snapshot, in the order loadStatusSnapshot reads their results. */
export function snapshotStatements(db: Database, pageId: string, since: Date) {
  const ids = incidentIds(pageId, since);
  return [
    db.select().from(pages).where(eq(pages.id, pageId)),
    db
      .select()
      .from(componentGroups)
      .where(eq(componentGroups.pageId, pageId))
      .orderBy(asc(componentGroups.position)),
    db.select().from(components).where(eq(components.pageId, pageId)),
    db.select().from(incidents).where(sql`${incidents.id} IN (${ids})`),
    db
      .select()
      .from(incidentUpdates)
      .where(sql`${incidentUpdates.id} IN (${updateIds(ids)})`),
    // Every link of the incident, also those of dropped updates: its impact is their peak.
    db.select().from(incidentComponents).where(sql`${incidentComponents.incidentId} IN (${ids})`),
  ] as const;
}

/**
 * Everything the public views of one page need, in one D1 round trip (a batch of six selects),
 * or null for an unknown page. Pass the Database the page row was resolved with: under D1 read
 * replication one session keeps the two reads in order, so a snapshot is never older than the
 * page row its cache key was taken from.
 */
export async function loadStatusSnapshot(
  db: Database,
  pageId: string,
  options: SnapshotOptions = {},
): Promise<StatusRows | null> {
  const now = options.now ?? new Date();
  const since = options.since ?? new Date(now.getTime() - RECENT_WINDOW_DAYS * DAY_MS);
  const [pageRows, groups, componentRows, incidentRows, updates, links] = await db.batch(
    snapshotStatements(db, pageId, since),
  );
  const page = pageRows[0];
  if (!page) return null;
  return {
    page,
    groups,
    components: componentRows,
    incidents: incidentRows,
    updates,
    incidentComponents: links,
  };
}
