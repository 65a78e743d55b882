import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  pages,
} from '../db/schema';
import type { StatusEvent } from '../status-pages/events';
import type { StatusRows } from '../status-pages/serialize';

/** What a webhook payload needs: the page, its components, and the event's incident if any. */
export async function loadWebhookRows(
  db: Database,
  event: StatusEvent,
): Promise<StatusRows | null> {
  const [page] = await db.select().from(pages).where(eq(pages.id, event.pageId)).limit(1);
  if (!page) return null;
  const [groups, pageComponents] = await Promise.all([
    db.select().from(componentGroups).where(eq(componentGroups.pageId, page.id)),
    db.select().from(components).where(eq(components.pageId, page.id)),
  ]);
  if (event.kind === 'component') {
    return {
      page,
      groups,
      components: pageComponents,
      incidents: [],
      updates: [],
      incidentComponents: [],
    };
  }
  const [incident] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, event.incidentId), eq(incidents.pageId, page.id)))
    .limit(1);
  if (!incident) return null;
  const [updates, links] = await Promise.all([
    db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id))
      .orderBy(desc(incidentUpdates.createdAt)),
    db.select().from(incidentComponents).where(eq(incidentComponents.incidentId, incident.id)),
  ]);
  return {
    page,
    groups,
    components: pageComponents,
    incidents: [incident],
    updates,
    incidentComponents: links,
  };
}
