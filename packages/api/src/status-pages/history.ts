import type { IncidentImpact } from '@skypatch/protocol';
import { type AnyColumn, desc, sql } from 'drizzle-orm';
import { incidentImpact, kindOfStatus } from '../core/status-rules';
import { zonedMidnight } from '../core/uptime';
import { zonedDate } from '../core/zoned-time';
import type { Database } from '../db';
import {
  type ComponentStatus,
  incidentComponents,
  incidents,
  incidentUpdates,
  type Page,
} from '../db/schema';
import type { PublicStatusSource } from './public-cache';

// The `/history` page's rows (spec §6.1 item 8): the incidents created in three calendar months
// of the page's zone, newest month first, `?page=N` going back three months at a time. One D1
// batch of three bounded reads on incidents_page_created_idx, cached like the public views
// (public-cache.ts): the key holds `pages.updated_at`, so any change to an incident makes a new
// key, plus the current month, so the window moves at the zone's month boundary.

export const HISTORY_MONTHS_PER_PAGE = 3;
/** Incidents listed per page of months at most (the newest); a note says when more exist. */
export const HISTORY_INCIDENT_CAP = 250;
/** How far back `?page=` may go: 100 years of months. */
export const HISTORY_MAX_PAGE = 400;
export const HISTORY_KV_TTL_S = 90_000;
export const HISTORY_MEMO_ENTRIES = 100;

export interface HistoryIncident {
  id: string;
  name: string;
  impact: IncidentImpact;
  maintenance: boolean;
  /** Epoch ms: the first and last update's display time, or the incident's creation. */
  firstUpdateAt: number;
  lastUpdateAt: number;
}

export interface HistoryMonth {
  /** `YYYY-MM` in the page's zone. */
  month: string;
  /** Newest created first. */
  incidents: HistoryIncident[];
}

export interface IncidentHistory {
  months: HistoryMonth[];
  /** Whether an older page can hold incidents (the page existed before these months). */
  hasOlder: boolean;
  /** More than HISTORY_INCIDENT_CAP incidents fell in these months; the oldest are not listed. */
  truncated: boolean;
}

/** `YYYY-MM` moved by `delta` months. */
export function shiftMonth(month: string, delta: number): string {
  const [year = 1970, m = 1] = month.split('-').map(Number);
  const index = year * 12 + (m - 1) + delta;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months page `pageNumber` (1-based) shows, newest first. */
export function historyMonths(now: Date, timeZone: string, pageNumber: number): string[] {
  const current = zonedDate(now, timeZone).slice(0, 7);
  const newest = shiftMonth(current, -HISTORY_MONTHS_PER_PAGE * (pageNumber - 1));
  return Array.from({ length: HISTORY_MONTHS_PER_PAGE }, (_, i) => shiftMonth(newest, -i));
}

const monthStart = (month: string, timeZone: string) => zonedMidnight(`${month}-01`, timeZone);

/** The three reads of loadIncidentHistory: incidents, their update span, their impact links. */
function historyStatements(db: Database, pageId: string, from: Date, until: Date) {
  const ids = sql`SELECT id FROM incidents
    WHERE page_id = ${pageId} AND created_at >= ${from.getTime()} AND created_at < ${until.getTime()}
    ORDER BY created_at DESC, id DESC LIMIT ${HISTORY_INCIDENT_CAP + 1}`;
  const inIds = (column: AnyColumn) => sql`${column} IN (${ids})`;
  const displayAt = sql`COALESCE(${incidentUpdates.displayAt}, ${incidentUpdates.createdAt})`;
  return [
    db
      .select({
        id: incidents.id,
        name: incidents.name,
        status: incidents.status,
        impactOverride: incidents.impactOverride,
        createdAt: incidents.createdAt,
      })
      .from(incidents)
      .where(inIds(incidents.id))
      .orderBy(desc(incidents.createdAt), desc(incidents.id)),
    db
      .select({
        incidentId: incidentUpdates.incidentId,
        firstAt: sql<number>`MIN(${displayAt})`.mapWith(Number),
        lastAt: sql<number>`MAX(${displayAt})`.mapWith(Number),
      })
      .from(incidentUpdates)
      .where(inIds(incidentUpdates.incidentId))
      .groupBy(incidentUpdates.incidentId),
    db
      .select({
        incidentId: incidentComponents.incidentId,
        newStatus: incidentComponents.newStatus,
      })
      .from(incidentComponents)
      .where(inIds(incidentComponents.incidentId)),
  ] as const;
}

/** One page of history, read from D1 (uncached). */
export async function loadIncidentHistory(
  db: Database,
  page: Pick<Page, 'id' | 'createdAt'>,
  timeZone: string,
  now: Date,
  pageNumber: number,
): Promise<IncidentHistory> {
  const months = historyMonths(now, timeZone, pageNumber);
  const newest = months[0] ?? '1970-01';
  const oldest = months.at(-1) ?? newest;
  const from = monthStart(oldest, timeZone);
  const until = monthStart(shiftMonth(newest, 1), timeZone);
  const [rows, spans, links] = await db.batch(historyStatements(db, page.id, from, until));
  const spanById = new Map(spans.map((span) => [span.incidentId, span]));
  const statusesById = new Map<string, ComponentStatus[]>();
  for (const link of links) {
    if (!link.newStatus) continue;
    const list = statusesById.get(link.incidentId) ?? [];
    list.push(link.newStatus);
    statusesById.set(link.incidentId, list);
  }
  const listed = rows
    .slice(0, HISTORY_INCIDENT_CAP)
    .map((row): HistoryIncident & { month: string } => {
      const kind = kindOfStatus(row.status);
      const span = spanById.get(row.id);
      return {
        id: row.id,
        name: row.name,
        impact: incidentImpact({
          kind,
          impactOverride: row.impactOverride ?? null,
          recordedStatuses: statusesById.get(row.id) ?? [],
        }),
        maintenance: kind === 'scheduled',
        firstUpdateAt: span?.firstAt ?? row.createdAt.getTime(),
        lastUpdateAt: span?.lastAt ?? row.createdAt.getTime(),
        month: zonedDate(row.createdAt, timeZone).slice(0, 7),
      };
    });
  return {
    months: months.map((month) => ({
      month,
      incidents: listed
        .filter((i) => i.month === month)
        .map(({ month: _, ...incident }) => incident),
    })),
    hasOlder: page.createdAt.getTime() < from.getTime(),
    truncated: rows.length > HISTORY_INCIDENT_CAP,
  };
}

const memo = new Map<string, IncidentHistory>();

/** The cache key: the page, its change stamp, its zone, the current month and the page number. */
export function historyKey(
  page: Pick<Page, 'id' | 'updatedAt'>,
  timeZone: string,
  now: Date,
  pageNumber: number,
): string {
  const month = zonedDate(now, timeZone).slice(0, 7);
  return `status-history:v1:${page.id}:${page.updatedAt.getTime()}:${timeZone}:${month}:${pageNumber}`;
}

function remember(key: string, history: IncidentHistory) {
  memo.delete(key);
  memo.set(key, history);
  for (const oldest of memo.keys()) {
    if (memo.size <= HISTORY_MEMO_ENTRIES) break;
    memo.delete(oldest);
  }
}

/** loadIncidentHistory behind the isolate memo and KV: a hit costs no D1 read. */
export async function loadIncidentHistoryCached(
  page: Pick<Page, 'id' | 'updatedAt' | 'createdAt'>,
  timeZone: string,
  now: Date,
  pageNumber: number,
  source: Pick<PublicStatusSource, 'db' | 'kv' | 'waitUntil'>,
): Promise<IncidentHistory> {
  const key = historyKey(page, timeZone, now, pageNumber);
  const known = memo.get(key);
  if (known) {
    remember(key, known);
    return known;
  }
  const cached = await source.kv.get(key);
  if (cached !== null) {
    const history = JSON.parse(cached) as IncidentHistory; // our own JSON, written below
    remember(key, history);
    return history;
  }
  // `db` is the session the page row was read with, so these rows are at least as new as the
  // stamp in the key (snapshot.ts).
  const history = await loadIncidentHistory(source.db, page, timeZone, now, pageNumber);
  remember(key, history);
  source.waitUntil(
    source.kv
      .put(key, JSON.stringify(history), { expirationTtl: HISTORY_KV_TTL_S })
      .catch(() => {}),
  );
  return history;
}
