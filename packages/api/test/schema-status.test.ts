import { env } from 'cloudflare:workers';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  pages,
} from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import { expectRejected } from './expect-rejected';
import { createOrg, db } from './factories';

// Seed 003 (DT-002): the status-page entities, their foreign keys and their cascades.

/** A page with one group, two components (one grouped), one incident, one update, one link. */
async function createStatusPage() {
  const { org } = await createOrg();
  const ids = {
    page: newPublicId(),
    group: newPublicId(),
    grouped: newPublicId(),
    ungrouped: newPublicId(),
    incident: newPublicId(),
    update: newPublicId(),
    link: newPublicId(),
  };
  await db().batch([
    db()
      .insert(pages)
      .values({ id: ids.page, orgId: org.id, name: 'Acme Status', subdomain: `acme-${ids.page}` }),
    db()
      .insert(componentGroups)
      .values({ id: ids.group, pageId: ids.page, name: 'Delivery', position: 1 }),
    db().insert(components).values({
      id: ids.grouped,
      pageId: ids.page,
      groupId: ids.group,
      name: 'Update checks',
      position: 1,
    }),
    db().insert(components).values({ id: ids.ungrouped, pageId: ids.page, name: 'Dashboard' }),
    db()
      .insert(incidents)
      .values({
        id: ids.incident,
        pageId: ids.page,
        name: 'Slow update checks',
        status: 'investigating',
        impact: 'minor',
        startedAt: new Date(1_750_000_000_250),
        metadata: { source: 'pager' },
      }),
    db().insert(incidentUpdates).values({
      id: ids.update,
      incidentId: ids.incident,
      status: 'investigating',
      body: 'We are looking into slow update checks.',
    }),
    db().insert(incidentComponents).values({
      id: ids.link,
      incidentId: ids.incident,
      componentId: ids.grouped,
      incidentUpdateId: ids.update,
      oldStatus: 'operational',
      newStatus: 'degraded_performance',
    }),
  ]);
  return { org, ids };
}

async function countRows(ids: Awaited<ReturnType<typeof createStatusPage>>['ids']) {
  const [groupRows, componentRows, incidentRows, updateRows, linkRows] = await db().batch([
    db().select().from(componentGroups).where(eq(componentGroups.pageId, ids.page)),
    db().select().from(components).where(eq(components.pageId, ids.page)),
    db().select().from(incidents).where(eq(incidents.pageId, ids.page)),
    db().select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, ids.incident)),
    db()
      .select()
      .from(incidentComponents)
      .where(inArray(incidentComponents.componentId, [ids.grouped, ids.ungrouped])),
  ]);
  return {
    groups: groupRows.length,
    components: componentRows.length,
    incidents: incidentRows.length,
    updates: updateRows.length,
    incidentComponents: linkRows.length,
  };
}

describe('status entities', () => {
  it('stores and reads back every entity, with the documented defaults', async () => {
    const { org, ids } = await createStatusPage();

    const [page] = await db().select().from(pages).where(eq(pages.id, ids.page));
    expect(page).toMatchObject({
      orgId: org.id,
      name: 'Acme Status',
      subdomain: `acme-${ids.page}`,
      customDomain: null,
      statusIndicator: 'none',
      statusDescription: 'All Systems Operational',
      timezone: 'UTC',
      allowPageSubscribers: true,
      hiddenFromSearch: false,
    });
    expect(page?.id).toMatch(/^[0-9a-z]{12}$/);
    expect(page?.createdAt).toBeInstanceOf(Date);

    const [group] = await db()
      .select()
      .from(componentGroups)
      .where(eq(componentGroups.id, ids.group));
    expect(group).toMatchObject({
      pageId: ids.page,
      name: 'Delivery',
      position: 1,
      expanded: true,
    });

    const rows = await db()
      .select()
      .from(components)
      .where(eq(components.pageId, ids.page))
      .orderBy(components.name);
    expect(rows.map((row) => [row.name, row.groupId, row.status, row.showcase])).toEqual([
      ['Dashboard', null, 'operational', true],
      ['Update checks', ids.group, 'operational', true],
    ]);

    const [incident] = await db().select().from(incidents).where(eq(incidents.id, ids.incident));
    expect(incident).toMatchObject({
      status: 'investigating',
      impact: 'minor',
      metadata: { source: 'pager' },
      resolvedAt: null,
      backfilled: false,
    });
    expect(incident?.startedAt?.getTime()).toBe(1_750_000_000_250);

    const [update] = await db()
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, ids.incident));
    expect(update).toMatchObject({ id: ids.update, deliverNotifications: true });
    expect(update?.displayAt).toBeInstanceOf(Date);

    const [link] = await db()
      .select()
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, ids.incident));
    expect(link).toMatchObject({
      componentId: ids.grouped,
      incidentUpdateId: ids.update,
      oldStatus: 'operational',
      newStatus: 'degraded_performance',
    });
  });

  it('queries the page with its components through a join', async () => {
    const { ids } = await createStatusPage();
    const rows = await db()
      .select({ page: pages.name, component: components.name, group: componentGroups.name })
      .from(components)
      .innerJoin(pages, eq(components.pageId, pages.id))
      .leftJoin(componentGroups, eq(components.groupId, componentGroups.id))
      .where(eq(pages.id, ids.page))
      .orderBy(components.name);
    expect(rows).toEqual([
      { page: 'Acme Status', component: 'Dashboard', group: null },
      { page: 'Acme Status', component: 'Update checks', group: 'Delivery' },
    ]);
  });
});

describe('status foreign keys', () => {
  it('rejects a component on an unknown page', async () => {
    const id = newPublicId();
    await expectRejected(
      db().insert(components).values({ id, pageId: newPublicId(), name: 'Orphan' }),
      /FOREIGN KEY constraint failed/,
    );
    expect(await db().select().from(components).where(eq(components.id, id))).toEqual([]);
  });

  it('rejects a page of an unknown organization', async () => {
    const id = newPublicId();
    await expectRejected(
      db()
        .insert(pages)
        .values({ id, orgId: 'org_missing', name: 'Nobody', subdomain: `nobody-${id}` }),
      /FOREIGN KEY constraint failed/,
    );
  });

  it('rejects an update of an unknown incident and a link to an unknown component', async () => {
    const { ids } = await createStatusPage();
    await expectRejected(
      db().insert(incidentUpdates).values({
        id: newPublicId(),
        incidentId: newPublicId(),
        status: 'resolved',
        body: 'x',
      }),
      /FOREIGN KEY constraint failed/,
    );
    await expectRejected(
      db()
        .insert(incidentComponents)
        .values({ id: newPublicId(), incidentId: ids.incident, componentId: newPublicId() }),
      /FOREIGN KEY constraint failed/,
    );
  });

  it('rejects a second page with the same subdomain', async () => {
    const { org } = await createOrg();
    const subdomain = `taken-${newPublicId()}`;
    await db().insert(pages).values({ id: newPublicId(), orgId: org.id, name: 'One', subdomain });
    const id = newPublicId();
    await expectRejected(
      db().insert(pages).values({ id, orgId: org.id, name: 'Two', subdomain }),
      /UNIQUE constraint failed: pages\.subdomain/,
    );
    expect(await db().select().from(pages).where(eq(pages.id, id))).toEqual([]);
  });
});

describe('status cascades', () => {
  it('deleting a page deletes its groups, components, incidents, updates and links', async () => {
    const { ids } = await createStatusPage();
    const survivor = await createStatusPage();
    expect(await countRows(ids)).toEqual({
      groups: 1,
      components: 2,
      incidents: 1,
      updates: 1,
      incidentComponents: 1,
    });

    await db().delete(pages).where(eq(pages.id, ids.page));

    expect(await countRows(ids)).toEqual({
      groups: 0,
      components: 0,
      incidents: 0,
      updates: 0,
      incidentComponents: 0,
    });
    // Another page is untouched.
    expect(await countRows(survivor.ids)).toEqual({
      groups: 1,
      components: 2,
      incidents: 1,
      updates: 1,
      incidentComponents: 1,
    });
  });

  it('deleting a component group keeps its components and ungroups them', async () => {
    const { ids } = await createStatusPage();
    await db().delete(componentGroups).where(eq(componentGroups.id, ids.group));

    const [component] = await db().select().from(components).where(eq(components.id, ids.grouped));
    expect(component).toBeDefined();
    expect(component?.groupId).toBeNull();
    const counts = await countRows(ids);
    expect(counts).toMatchObject({ groups: 0, components: 2, incidentComponents: 1 });
  });

  it('deleting an incident deletes its updates and links, not the components', async () => {
    const { ids } = await createStatusPage();
    await db().delete(incidents).where(eq(incidents.id, ids.incident));

    expect(await countRows(ids)).toEqual({
      groups: 1,
      components: 2,
      incidents: 0,
      updates: 0,
      incidentComponents: 0,
    });
  });

  it('deleting a component deletes its incident links but not the incident', async () => {
    const { ids } = await createStatusPage();
    await db().delete(components).where(eq(components.id, ids.grouped));
    expect(await countRows(ids)).toMatchObject({
      components: 1,
      incidents: 1,
      updates: 1,
      incidentComponents: 0,
    });
  });

  it('enforces foreign keys on this connection (PRAGMA foreign_keys is on)', async () => {
    const row = await env.DB.prepare('PRAGMA foreign_keys').first<{ foreign_keys: number }>();
    expect(row?.foreign_keys).toBe(1);
  });
});
