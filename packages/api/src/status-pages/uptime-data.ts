import { and, eq, gte, isNull, ne, or } from 'drizzle-orm';
import { type RelatedEvent, type StatusStretch, windowDates, zonedMidnight } from '../core/uptime';
import type { Database } from '../db';
import { componentStatusLog, incidentComponents, incidents } from '../db/schema';

export interface UptimeData {
  stretches: StatusStretch[];
  related: RelatedEvent[];
}

/** The three reads of loadUptimeData, in the order it reads their results. */
export function uptimeStatements(db: Database, pageId: string, windowStart: Date) {
  const stretchColumns = {
    componentId: componentStatusLog.componentId,
    status: componentStatusLog.status,
    startedAt: componentStatusLog.startedAt,
    endedAt: componentStatusLog.endedAt,
  };
  // Two range reads rather than `ended_at IS NULL OR ended_at >= ?`, so that each one is a
  // plain seek on the index instead of relying on SQLite's OR optimisation.
  return [
    db
      .select(stretchColumns)
      .from(componentStatusLog)
      .where(and(eq(componentStatusLog.pageId, pageId), isNull(componentStatusLog.endedAt))),
    db
      .select(stretchColumns)
      .from(componentStatusLog)
      .where(
        and(eq(componentStatusLog.pageId, pageId), gte(componentStatusLog.endedAt, windowStart)),
      ),
    db
      .selectDistinct(relatedIncidentColumns)
      .from(incidents)
      .innerJoin(incidentComponents, eq(incidentComponents.incidentId, incidents.id))
      .where(
        and(
          eq(incidents.pageId, pageId),
          // A maintenance that has not started relates to no day yet.
          ne(incidents.status, 'scheduled'),
          or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, windowStart)),
        ),
      ),
  ] as const;
}

/** An incident that touched a component: the columns the uptime tooltips and API read. */
export const relatedIncidentColumns = {
  componentId: incidentComponents.componentId,
  id: incidents.id,
  name: incidents.name,
  startedAt: incidents.startedAt,
  createdAt: incidents.createdAt,
  resolvedAt: incidents.resolvedAt,
};

type RelatedIncidentRow = {
  componentId: string;
  id: string;
  name: string;
  startedAt: Date | null;
  createdAt: Date;
  resolvedAt: Date | null;
};

/** A related incident spans from its start (or creation) to its resolution. */
export function toRelatedEvent(row: RelatedIncidentRow): RelatedEvent {
  return {
    componentId: row.componentId,
    id: row.id,
    name: row.name,
    startedAt: row.startedAt ?? row.createdAt,
    endedAt: row.resolvedAt,
  };
}

/**
 * What the 90-day bars of one page need, in one D1 round trip (a batch of three reads):
 * every status stretch still open or ended inside the window, both on the (page_id, ended_at)
 * index (`component_status_log_page_ended_idx`), and the incidents that touched a component
 * and were open inside the window (the tooltips' "Related" links).
 */
export async function loadUptimeData(
  db: Database,
  pageId: string,
  timeZone: string,
  now: Date,
): Promise<UptimeData> {
  const [firstDate] = windowDates(now, timeZone);
  const windowStart = zonedMidnight(firstDate ?? '1970-01-01', timeZone);
  const [open, ended, touched] = await db.batch(uptimeStatements(db, pageId, windowStart));
  return {
    stretches: [...open, ...ended],
    related: touched.map(toRelatedEvent),
  };
}
