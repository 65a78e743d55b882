import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  type Page,
} from '../db/schema';
import type { PublicStatusSource } from './public-cache';
import { type AnyIncidentV2, type PageUrlOptions, publicPageUrl, toIncidentV2 } from './serialize';
import { UPDATES_PER_INCIDENT_CAP } from './snapshot';
import { effectiveTimeZone, formatTimestamp } from './time';

// `/incidents/{id}` for an incident the cached snapshot does not hold (older than its 15 days
// and past the 50 newest, spec §6.1 "Other routes"): one D1 batch reads the incident, its
// newest updates, its incident_components rows and the components and groups they name, and
// serializes it as the snapshot would. Cached per page stamp like the public views
// (public-cache.ts), misses too, so probing unknown ids costs one read per id and page change.

export const ARCHIVE_KV_TTL_S = 3_600;
export const ARCHIVE_MEMO_ENTRIES = 200;

export interface ArchivedIncident {
  incident: AnyIncidentV2;
  /** Its published postmortem, in the page's zone, as PublicStatusDisplay holds them. */
  postmortem: { body: string; published_at: string } | null;
}

/** What the cache holds: a found incident, or a remembered miss. */
interface Stored {
  found: ArchivedIncident | null;
}

/** The reads of one incident, in the order loadArchivedIncident reads their results. */
function archiveStatements(db: Database, pageId: string, incidentId: string) {
  const namedComponents = db
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incidentId));
  return [
    db
      .select()
      .from(incidents)
      .where(and(eq(incidents.id, incidentId), eq(incidents.pageId, pageId))),
    db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incidentId))
      .orderBy(
        desc(sql`COALESCE(${incidentUpdates.displayAt}, ${incidentUpdates.createdAt})`),
        desc(incidentUpdates.createdAt),
        desc(incidentUpdates.id),
      )
      .limit(UPDATES_PER_INCIDENT_CAP),
    db.select().from(incidentComponents).where(eq(incidentComponents.incidentId, incidentId)),
    db
      .select()
      .from(components)
      .where(and(eq(components.pageId, pageId), inArray(components.id, namedComponents))),
    db
      .select()
      .from(componentGroups)
      .where(
        and(
          eq(componentGroups.pageId, pageId),
          inArray(
            componentGroups.id,
            db
              .select({ id: sql`${components.groupId}` })
              .from(components)
              .where(inArray(components.id, namedComponents)),
          ),
        ),
      ),
  ] as const;
}

/** One incident of `page` read from D1 (uncached), or null when the page has no such incident. */
export async function loadArchivedIncident(
  db: Database,
  page: Page,
  incidentId: string,
  urls: PageUrlOptions,
): Promise<ArchivedIncident | null> {
  const [found, updates, links, componentRows, groups] = await db.batch(
    archiveStatements(db, page.id, incidentId),
  );
  const incident = found[0];
  if (!incident) return null;
  const rows = {
    page,
    groups,
    components: componentRows,
    incidents: [incident],
    updates,
    incidentComponents: links,
  };
  const pageUrl = publicPageUrl(page, urls);
  const { postmortemBody, postmortemPublishedAt } = incident;
  return {
    incident: toIncidentV2(rows, incident, { pageUrl }),
    postmortem:
      postmortemBody && postmortemPublishedAt
        ? {
            body: postmortemBody,
            published_at: formatTimestamp(postmortemPublishedAt, effectiveTimeZone(page.timezone)),
          }
        : null,
  };
}

const memo = new Map<string, Stored>();

/** The cache key: the page, its change stamp, the incident and the URL it is served as. */
export function archiveKey(page: Pick<Page, 'id' | 'updatedAt'>, incidentId: string, url: string) {
  return `status-incident:v1:${page.id}:${page.updatedAt.getTime()}:${incidentId}:${url}`;
}

function remember(key: string, stored: Stored) {
  memo.delete(key);
  memo.set(key, stored);
  for (const oldest of memo.keys()) {
    if (memo.size <= ARCHIVE_MEMO_ENTRIES) break;
    memo.delete(oldest);
  }
}

/** loadArchivedIncident behind the isolate memo and KV. */
export async function loadArchivedIncidentCached(
  page: Page,
  incidentId: string,
  source: Pick<PublicStatusSource, 'db' | 'kv' | 'waitUntil' | 'urls'>,
): Promise<ArchivedIncident | null> {
  const key = archiveKey(page, incidentId, publicPageUrl(page, source.urls));
  const known = memo.get(key);
  if (known) {
    remember(key, known);
    return known.found;
  }
  const cached = await source.kv.get(key);
  if (cached !== null) {
    const stored = JSON.parse(cached) as Stored; // our own JSON, written below
    remember(key, stored);
    return stored.found;
  }
  // `db` is the page row's session, so the rows are at least as new as the key's stamp.
  const stored: Stored = {
    found: await loadArchivedIncident(source.db, page, incidentId, source.urls),
  };
  remember(key, stored);
  source.waitUntil(
    source.kv.put(key, JSON.stringify(stored), { expirationTtl: ARCHIVE_KV_TTL_S }).catch(() => {}),
  );
  return stored.found;
}
