import { env, exports } from 'cloudflare:workers';
import {
  ComponentsJsonV2,
  IncidentsJsonV2,
  ScheduledMaintenancesJsonV2,
  StatusJsonV2,
  StatusSummaryV2,
} from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createApp } from '../src/app';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  type NewIncident,
  pages,
} from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import {
  loadStatusSnapshot,
  RECENT_WINDOW_CAP,
  snapshotStatements,
  UPDATES_PER_INCIDENT_CAP,
} from '../src/status-pages/snapshot';
import { createApiKey, createOrg, db } from './factories';
import { EXPECTED_SUMMARY as expectedSummary } from './vectors/status-summary';

// The public Status API v2 (shared/specs/statuspage.md §1, §7), through the real Worker entry.

const utc = (iso: string) => new Date(iso);

/** Spec §7's page, verbatim: ids, names, positions, statuses and times. */
async function insertSpecFixture() {
  const { org } = await createOrg();
  const created = (time: string) => utc(`2025-06-01T${time}:00Z`);
  const page = 'q5pt7s2kd9wx';
  await db().batch([
    db()
      .insert(pages)
      .values({
        id: page,
        orgId: org.id,
        name: 'Skypatch Demo',
        subdomain: 'skypatch-demo',
        customDomain: 'status.example.com',
        timezone: 'America/New_York',
        createdAt: created('12:00'),
        updatedAt: created('12:00'),
      }),
    db()
      .insert(componentGroups)
      .values([
        {
          id: 'b7c2m4k8n1qa',
          pageId: page,
          name: 'Core Platform',
          position: 1,
          createdAt: created('12:01'),
          updatedAt: created('12:01'),
        },
        {
          id: 'h3j9w2x5v8rt',
          pageId: page,
          name: 'Update Delivery',
          position: 2,
          createdAt: created('12:02'),
          updatedAt: created('12:02'),
        },
      ]),
    db()
      .insert(components)
      .values(
        [
          ['a1b2c3d4e5f6', 'API', 'b7c2m4k8n1qa', 1, '12:03'],
          ['d6e7f8g9h0j1', 'Dashboard', 'b7c2m4k8n1qa', 2, '12:04'],
          ['k2l3m4n5p6q7', 'CDN', 'h3j9w2x5v8rt', 1, '12:05'],
          ['r8s9t0u1v2w3', 'Update Check', 'h3j9w2x5v8rt', 2, '12:06'],
          ['x4y5z6a7b8c9', 'Email Notifications', null, 3, '12:07'],
        ].map(([id, name, groupId, position, time]) => ({
          id: String(id),
          pageId: page,
          groupId: groupId === null ? null : String(groupId),
          name: String(name),
          description: id === 'a1b2c3d4e5f6' ? 'Public REST API' : null,
          status: id === 'a1b2c3d4e5f6' ? ('degraded_performance' as const) : undefined,
          position: Number(position),
          showcase: id !== 'x4y5z6a7b8c9',
          createdAt: created(String(time)),
          updatedAt: id === 'a1b2c3d4e5f6' ? utc('2026-01-15T14:10:00Z') : created(String(time)),
        })),
      ),
    db()
      .insert(incidents)
      .values([
        {
          id: 'n4c8d2s6v0bz',
          pageId: page,
          name: 'Elevated API latency',
          status: 'identified',
          impact: 'minor',
          createdAt: utc('2026-01-15T14:10:00Z'),
          updatedAt: utc('2026-01-15T14:32:00Z'),
        },
        {
          id: 'm9e3r7y1i5oc',
          pageId: page,
          name: 'CDN provider maintenance',
          status: 'scheduled',
          impact: 'maintenance',
          scheduledFor: utc('2026-01-20T03:00:00Z'),
          scheduledUntil: utc('2026-01-20T05:00:00Z'),
          createdAt: utc('2026-01-14T09:00:00Z'),
          updatedAt: utc('2026-01-14T09:00:00Z'),
        },
      ]),
    db()
      .insert(incidentUpdates)
      .values([
        {
          id: 'u1t5k9p3m7ra',
          incidentId: 'n4c8d2s6v0bz',
          status: 'investigating',
          body: 'We are investigating elevated latency on the API.',
          displayAt: utc('2026-01-15T14:10:00Z'),
          createdAt: utc('2026-01-15T14:10:00Z'),
          updatedAt: utc('2026-01-15T14:10:00Z'),
        },
        {
          id: 'u2h6j0q4w8eb',
          incidentId: 'n4c8d2s6v0bz',
          status: 'identified',
          body: 'A misconfigured cache node is slowing API responses; we are replacing it.',
          displayAt: utc('2026-01-15T14:32:00Z'),
          createdAt: utc('2026-01-15T14:32:00Z'),
          updatedAt: utc('2026-01-15T14:32:00Z'),
        },
        {
          id: 'u3f7l1x5z9dn',
          incidentId: 'm9e3r7y1i5oc',
          status: 'scheduled',
          body: 'We will be undergoing scheduled maintenance during this time.',
          displayAt: utc('2026-01-14T09:00:00Z'),
          createdAt: utc('2026-01-14T09:00:00Z'),
          updatedAt: utc('2026-01-14T09:00:00Z'),
        },
      ]),
    db()
      .insert(incidentComponents)
      .values([
        {
          id: newPublicId(),
          incidentId: 'n4c8d2s6v0bz',
          incidentUpdateId: 'u1t5k9p3m7ra',
          componentId: 'a1b2c3d4e5f6',
          oldStatus: 'operational',
          newStatus: 'degraded_performance',
          createdAt: utc('2026-01-15T14:10:00Z'),
        },
        {
          id: newPublicId(),
          incidentId: 'm9e3r7y1i5oc',
          incidentUpdateId: 'u3f7l1x5z9dn',
          componentId: 'k2l3m4n5p6q7',
          oldStatus: 'operational',
          newStatus: 'operational',
          createdAt: utc('2026-01-14T09:00:00Z'),
        },
      ]),
  ]);
  return { orgId: org.id, pageId: page };
}

/** A small page of its own, for tests that change rows. */
async function insertPage(overrides: { customDomain?: string; timezone?: string } = {}) {
  const { org } = await createOrg();
  const pageId = newPublicId();
  const subdomain = `page-${pageId}`;
  await db()
    .insert(pages)
    .values({ id: pageId, orgId: org.id, name: 'Acme Status', subdomain, ...overrides });
  return { pageId, subdomain };
}

interface Response<T> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

async function send<T = unknown>(
  url: string,
  init: RequestInit & { env?: Partial<Record<keyof Env, string>> } = {},
): Promise<Response<T>> {
  const request = new Request(url, init);
  // A var override (STATUS_PAGES_DOMAIN) needs the app itself; everything else goes through the
  // Worker entry as a client's request would.
  const res = init.env
    ? await createApp().fetch(request, { ...env, ...init.env } as unknown as Env) // vars widened for the test
    : await exports.default.fetch(request);
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.includes('application/json') && text !== '';
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: (isJson ? JSON.parse(text) : text) as T,
  };
}

const SCHEMAS = {
  'summary.json': StatusSummaryV2,
  'status.json': StatusJsonV2,
  'components.json': ComponentsJsonV2,
  'incidents.json': IncidentsJsonV2,
  'incidents/unresolved.json': IncidentsJsonV2,
  'scheduled-maintenances.json': ScheduledMaintenancesJsonV2,
  'scheduled-maintenances/upcoming.json': ScheduledMaintenancesJsonV2,
  'scheduled-maintenances/active.json': ScheduledMaintenancesJsonV2,
} satisfies Record<string, z.ZodType>;
type Endpoint = keyof typeof SCHEMAS;

async function getDocument<E extends Endpoint>(base: string, endpoint: E) {
  const res = await send<z.infer<(typeof SCHEMAS)[E]>>(`${base}/api/v2/${endpoint}`);
  expect(res.status, res.text).toBe(200);
  return SCHEMAS[endpoint].parse(res.body) as z.infer<(typeof SCHEMAS)[E]>;
}

const SPEC_HOST = 'https://status.example.com';
const fixture = await insertSpecFixture();

describe('spec §7 fixture', () => {
  it('summary.json equals the spec, order of every array included', async () => {
    const res = await send(`${SPEC_HOST}/api/v2/summary.json`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toStrictEqual(expectedSummary);
  });

  it('status.json is the page and the indicator', async () => {
    const body = await getDocument(SPEC_HOST, 'status.json');
    expect(body).toStrictEqual({ page: expectedSummary.page, status: expectedSummary.status });
  });

  it('components.json lists every component and group container in summary order', async () => {
    const body = await getDocument(SPEC_HOST, 'components.json');
    expect(body).toStrictEqual({
      page: expectedSummary.page,
      components: expectedSummary.components,
    });
  });

  it('incidents.json and incidents/unresolved.json hold the realtime incident only', async () => {
    for (const endpoint of ['incidents.json', 'incidents/unresolved.json'] as const) {
      const body = await getDocument(SPEC_HOST, endpoint);
      expect(body.incidents, endpoint).toStrictEqual(expectedSummary.incidents);
      expect(body.incidents[0], endpoint).not.toHaveProperty('scheduled_for');
    }
  });

  it('scheduled-maintenances.json and upcoming.json hold the maintenance; active.json is []', async () => {
    const all = await getDocument(SPEC_HOST, 'scheduled-maintenances.json');
    expect(all.scheduled_maintenances).toStrictEqual(expectedSummary.scheduled_maintenances);
    const upcoming = await getDocument(SPEC_HOST, 'scheduled-maintenances/upcoming.json');
    expect(upcoming.scheduled_maintenances.map((m) => m.id)).toEqual(['m9e3r7y1i5oc']);
    const active = await getDocument(SPEC_HOST, 'scheduled-maintenances/active.json');
    expect(active.scheduled_maintenances).toEqual([]);
    expect(active.page).toStrictEqual(expectedSummary.page);
  });

  it('every document validates against its protocol schema and every list is an array', async () => {
    for (const endpoint of Object.keys(SCHEMAS) as Endpoint[]) {
      const res = await send<Record<string, unknown>>(`${SPEC_HOST}/api/v2/${endpoint}`);
      const parsed = SCHEMAS[endpoint].safeParse(res.body);
      expect(parsed.success, `${endpoint}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      for (const key of ['components', 'incidents', 'scheduled_maintenances']) {
        if (key in res.body) expect(Array.isArray(res.body[key]), `${endpoint} ${key}`).toBe(true);
      }
    }
  });

  it('serves the same documents without `.json`, and under /status/{subdomain} locally', async () => {
    const bare = await send(`${SPEC_HOST}/api/v2/scheduled-maintenances/upcoming`);
    const suffixed = await send(`${SPEC_HOST}/api/v2/scheduled-maintenances/upcoming.json`);
    expect(bare.status).toBe(200);
    expect(bare.text).toBe(suffixed.text);
    // The custom domain stays the page's URL wherever the document is read from.
    const local = await send('https://skypatch.test/status/skypatch-demo/api/v2/summary');
    expect(local.body).toStrictEqual(expectedSummary);
  });
});

describe('HTTP behaviour', () => {
  const summary = `${SPEC_HOST}/api/v2/summary.json`;

  it('answers CORS-open with a short public cache lifetime and an ETag', async () => {
    const res = await send(summary);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=10, stale-while-revalidate=30');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/);
  });

  it('answers a preflight OPTIONS with 204 and the CORS headers', async () => {
    const res = await send(summary, {
      method: 'OPTIONS',
      headers: { origin: 'https://widget.example', 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('answers If-None-Match with 304 while the page is unchanged, 200 for another tag', async () => {
    const first = await send(summary);
    const etag = first.headers.get('etag') ?? '';
    const unchanged = await send(summary, { headers: { 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect(unchanged.headers.get('access-control-allow-origin')).toBe('*');
    const weak = await send(summary, { headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(weak.status).toBe(304);
    const other = await send(summary, { headers: { 'if-none-match': '"other"' } });
    expect(other.status).toBe(200);
    // Each document has its own tag.
    const status = await send(`${SPEC_HOST}/api/v2/status.json`);
    expect(status.headers.get('etag')).not.toBe(etag);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await send(summary, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('etag')).toBe((await send(summary)).headers.get('etag'));
  });

  it('answers 404 in JSON for an unknown endpoint or page', async () => {
    for (const url of [
      `${SPEC_HOST}/api/v2/nothing.json`,
      `${SPEC_HOST}/api/v2/incidents/resolved.json`,
      'https://skypatch.test/status/no-such-page/api/v2/summary.json',
      'https://skypatch.test/status/no-such-page/api/v2/status',
    ]) {
      const res = await send<{ error: { code: string } }>(url);
      expect(res.status, url).toBe(404);
      expect(res.body.error.code, url).toBe('NOT_FOUND');
      expect(res.headers.get('access-control-allow-origin'), url).toBe('*');
    }
  });

  it('leaves the API alone on a host that is no page', async () => {
    const res = await send('https://skypatch.test/health');
    expect(res.status).toBe(200);
    const unknown = await send('https://not-a-page.example/health');
    expect(unknown.status).toBe(200);
  });
});

describe('hosts', () => {
  const vars = { STATUS_PAGES_DOMAIN: 'pages.test' };

  it('serves a page on <subdomain>.<STATUS_PAGES_DOMAIN> and <page id>.<STATUS_PAGES_DOMAIN>', async () => {
    const { pageId, subdomain } = await insertPage();
    for (const host of [subdomain, pageId]) {
      const res = await send<{ page: { id: string; url: string } }>(
        `https://${host}.pages.test/api/v2/status.json`,
        { env: vars },
      );
      expect(res.status, `${host}: ${res.text}`).toBe(200);
      expect(res.body.page.id).toBe(pageId);
      expect(res.body.page.url).toBe(`https://${subdomain}.pages.test`);
    }
  });

  it('answers 404 on a <label>.<STATUS_PAGES_DOMAIN> host that names no page', async () => {
    const res = await send('https://nobody.pages.test/api/v2/status.json', { env: vars });
    expect(res.status).toBe(404);
    // The domain itself and the API's own host stay the API.
    expect((await send('https://pages.test/health', { env: vars })).status).toBe(200);
  });

  it('serves a custom domain, and the local path names the request origin without one', async () => {
    const domain = `status-${newPublicId()}.example.org`;
    const { pageId, subdomain } = await insertPage({ customDomain: domain });
    const byDomain = await send<{ page: { id: string; url: string } }>(
      `https://${domain}/api/v2/status.json`,
    );
    expect(byDomain.body.page).toMatchObject({ id: pageId, url: `https://${domain}` });

    const plain = await insertPage();
    const local = await send<{ page: { url: string } }>(
      `https://skypatch.test/status/${plain.subdomain}/api/v2/status.json`,
    );
    expect(local.body.page.url).toBe(`https://skypatch.test/status/${plain.subdomain}`);
    expect(subdomain).not.toBe(plain.subdomain);
  });
});

describe('caching', () => {
  it('serves the cached document until pages.updated_at moves, then the change', async () => {
    const { pageId, subdomain } = await insertPage();
    const componentId = newPublicId();
    await db().insert(components).values({ id: componentId, pageId, name: 'API', position: 1 });
    await db()
      .update(pages)
      .set({ updatedAt: new Date(Date.now() + 1) })
      .where(eq(pages.id, pageId));
    const url = `https://skypatch.test/status/${subdomain}/api/v2/components.json`;
    type Body = { components: Array<{ status: string }> };
    expect((await send<Body>(url)).body.components[0]?.status).toBe('operational');

    // A write that forgets the stamp is not seen: the document comes from the cache.
    await db()
      .update(components)
      .set({ status: 'major_outage' })
      .where(eq(components.id, componentId));
    expect((await send<Body>(url)).body.components[0]?.status).toBe('operational');

    // The management services bump pages.updated_at in the same batch as every change.
    await db()
      .update(pages)
      .set({ updatedAt: new Date(Date.now() + 1000) })
      .where(eq(pages.id, pageId));
    const after = await send<Body & { status: { indicator: string } }>(
      `https://skypatch.test/status/${subdomain}/api/v2/summary.json`,
    );
    expect(after.body.components[0]?.status).toBe('major_outage');
    expect(after.body.status.indicator).toBe('critical');
  });
});

describe('lists, caps and order', () => {
  async function pageWithIncidents(rows: Array<Partial<NewIncident> & { id: string }>) {
    const { pageId, subdomain } = await insertPage({ timezone: 'Etc/UTC' });
    // One insert per row: D1 binds at most 100 variables per statement.
    const inserts = rows.map((row) =>
      db()
        .insert(incidents)
        .values({
          pageId,
          name: `Incident ${row.id}`,
          status: 'resolved' as const,
          impact: 'none' as const,
          ...row,
        }),
    );
    const [first, ...rest] = inserts;
    if (first) await db().batch([first, ...rest]);
    return `https://skypatch.test/status/${subdomain}`;
  }

  it('caps incidents.json at the 50 newest of 51, newest first, ties by id descending', async () => {
    const base = utc('2026-01-01T00:00:00Z').getTime();
    const rows = Array.from({ length: 51 }, (_, i) => ({
      id: `inc${String(i).padStart(9, '0')}`,
      createdAt: new Date(base + Math.floor(i / 2) * 60_000), // pairs share a creation time
    }));
    const url = await pageWithIncidents(rows);
    const body = await getDocument(url, 'incidents.json');
    expect(body.incidents).toHaveLength(50);
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, 50)
      .map((row) => row.id);
    expect(body.incidents.map((incident) => incident.id)).toEqual(expected);
    expect(expected).not.toContain('inc000000000'); // the oldest is the one left out
    expect(body.incidents[0]?.incident_updates).toEqual([]);
  });

  it('keeps an old unresolved incident in summary.json beyond the 50 newest', async () => {
    const base = utc('2025-01-01T00:00:00Z').getTime();
    const url = await pageWithIncidents([
      { id: 'oldopen00001', status: 'monitoring', createdAt: new Date(base) },
      ...Array.from({ length: 50 }, (_, i) => ({
        id: `new${String(i).padStart(9, '0')}`,
        createdAt: new Date(base + (i + 1) * 86_400_000),
      })),
    ]);
    const summary = await getDocument(url, 'summary.json');
    expect(summary.incidents.map((incident) => incident.id)).toEqual(['oldopen00001']);
    const unresolved = await getDocument(url, 'incidents/unresolved.json');
    expect(unresolved.incidents.map((incident) => incident.id)).toEqual(['oldopen00001']);
  });

  it('orders maintenances soonest first in summary/upcoming/active, latest first in the full list', async () => {
    const window = (day: number) => ({
      scheduledFor: utc(`2026-02-${String(day).padStart(2, '0')}T03:00:00Z`),
      scheduledUntil: utc(`2026-02-${String(day).padStart(2, '0')}T05:00:00Z`),
      impact: 'maintenance' as const,
    });
    const url = await pageWithIncidents([
      { id: 'maint0000010', status: 'scheduled', ...window(10) },
      { id: 'maint0000005', status: 'scheduled', ...window(5) },
      { id: 'maint0000002', status: 'in_progress', ...window(2) },
      { id: 'maint0000003', status: 'verifying', ...window(3) },
      { id: 'maint0000001', status: 'completed', ...window(1) },
      { id: 'realtime0001', status: 'investigating' },
    ]);
    const ids = (list: Array<{ id: string }>) => list.map((item) => item.id);
    const summary = await getDocument(url, 'summary.json');
    expect(ids(summary.scheduled_maintenances)).toEqual([
      'maint0000002',
      'maint0000003',
      'maint0000005',
      'maint0000010',
    ]);
    expect(ids(summary.incidents)).toEqual(['realtime0001']);
    const upcoming = await getDocument(url, 'scheduled-maintenances/upcoming.json');
    expect(ids(upcoming.scheduled_maintenances)).toEqual(['maint0000005', 'maint0000010']);
    const active = await getDocument(url, 'scheduled-maintenances/active.json');
    expect(ids(active.scheduled_maintenances)).toEqual(['maint0000002', 'maint0000003']);
    const all = await getDocument(url, 'scheduled-maintenances.json');
    expect(ids(all.scheduled_maintenances)).toEqual([
      'maint0000010',
      'maint0000005',
      'maint0000003',
      'maint0000002',
      'maint0000001',
    ]);
    expect(all.scheduled_maintenances[0]?.scheduled_for).toBe('2026-02-10T03:00:00.000Z');
    // Maintenances never appear in the incident lists.
    expect(ids((await getDocument(url, 'incidents.json')).incidents)).toEqual(['realtime0001']);
  });
});

describe('serialization details', () => {
  it('returns names with HTML in them as the same string (JSON escaping only)', async () => {
    const { pageId, subdomain } = await insertPage();
    const name = `<script>alert("x")</script> & 'API' \u2028`;
    await db().insert(components).values({ id: newPublicId(), pageId, name, description: '<b>' });
    await db()
      .update(pages)
      .set({ updatedAt: new Date(Date.now() + 5) })
      .where(eq(pages.id, pageId));
    const body = await getDocument(`https://skypatch.test/status/${subdomain}`, 'components.json');
    expect(body.components[0]?.name).toBe(name);
    expect(body.components[0]?.description).toBe('<b>');
  });

  it('ranks positions 1-based among siblings, derives group status, links affected components', async () => {
    const { pageId, subdomain } = await insertPage();
    const [groupA, groupB, leafA1, leafA2, solo] = Array.from({ length: 5 }, () => newPublicId());
    const incidentId = newPublicId();
    const [withComponents, without] = [newPublicId(), newPublicId()];
    await db().batch([
      db()
        .insert(componentGroups)
        .values([
          { id: groupA ?? '', pageId, name: 'Group A', position: 0 },
          { id: groupB ?? '', pageId, name: 'Empty group', position: 5 },
        ]),
      db()
        .insert(components)
        .values([
          {
            id: leafA1 ?? '',
            pageId,
            groupId: groupA,
            name: 'One',
            position: 7,
            status: 'under_maintenance',
          },
          {
            id: leafA2 ?? '',
            pageId,
            groupId: groupA,
            name: 'Two',
            position: 3,
            status: 'partial_outage',
          },
          { id: solo ?? '', pageId, name: 'Solo', position: 2 },
        ]),
      db()
        .insert(incidents)
        .values({ id: incidentId, pageId, name: 'x', status: 'resolved', impact: 'none' }),
      db()
        .insert(incidentUpdates)
        .values([
          {
            id: withComponents,
            incidentId,
            status: 'investigating',
            body: 'a',
            displayAt: utc('2026-01-01T00:00:00Z'),
          },
          {
            id: without,
            incidentId,
            status: 'resolved',
            body: 'b',
            displayAt: utc('2026-01-01T01:00:00Z'),
          },
        ]),
      db()
        .insert(incidentComponents)
        .values({
          id: newPublicId(),
          incidentId,
          incidentUpdateId: withComponents,
          componentId: leafA2 ?? '',
          oldStatus: 'operational',
          newStatus: 'partial_outage',
        }),
    ]);
    const url = `https://skypatch.test/status/${subdomain}`;
    const { components: list } = await getDocument(url, 'components.json');
    const byId = new Map(list.map((component) => [component.id, component]));
    expect(byId.get(groupA ?? '')).toMatchObject({
      position: 1,
      group: true,
      status: 'partial_outage',
    });
    expect(byId.get(groupA ?? '')?.components).toEqual([leafA2, leafA1]);
    expect(byId.get(solo ?? '')).toMatchObject({ position: 2, group: false, group_id: null });
    expect(byId.get(solo ?? '')).not.toHaveProperty('components');
    expect(byId.get(groupB ?? '')).toMatchObject({
      position: 3,
      status: 'operational',
      components: [],
    });
    expect(byId.get(leafA2 ?? '')).toMatchObject({ position: 1, group_id: groupA });
    expect(byId.get(leafA1 ?? '')).toMatchObject({ position: 2 });

    const {
      incidents: [incident],
    } = await getDocument(url, 'incidents.json');
    expect(incident?.impact).toBe('major'); // the peak new_status, kept after resolution
    expect(incident?.incident_updates.map((update) => update.id)).toEqual([
      without,
      withComponents,
    ]);
    expect(incident?.incident_updates[0]?.affected_components).toBeNull();
    expect(incident?.incident_updates[1]?.affected_components).toEqual([
      {
        code: leafA2,
        name: 'Two', // §7 names grouped components plainly (serialize.ts affectedComponentName)
        old_status: 'operational',
        new_status: 'partial_outage',
      },
    ]);
    expect(incident?.components.map((component) => component.id)).toEqual([leafA2]);
    expect(incident?.components[0]?.name).toBe('Two');
  });
});

describe('snapshot', () => {
  it('reads every table through an index', async () => {
    const statements = snapshotStatements(db(), fixture.pageId, new Date());
    for (const statement of statements) {
      const query = statement.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
        .bind(...query.params)
        .all<{ detail: string }>();
      const fullScans = results
        .map((row) => row.detail)
        .filter((detail) => /^SCAN \w+$/.test(detail) && !detail.startsWith('SCAN (subquery'));
      expect(fullScans, query.sql).toEqual([]);
    }
  });
});

describe('review fixes', () => {
  const vars = { STATUS_PAGES_DOMAIN: 'pages.test' };

  it('answers 404, not 500, to a malformed escape under /api/v2/', async () => {
    const { subdomain } = await insertPage();
    for (const path of ['%E0%A4%A', 'summary%E0%A4%A.json', '%']) {
      const res = await send<{ error: { code: string } }>(
        `https://skypatch.test/status/${subdomain}/api/v2/${path}`,
      );
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('NOT_FOUND');
    }
  });

  it('serves <page id>.<base> as that page even when another page took the id as subdomain', async () => {
    const victim = await insertPage();
    const { org } = await createOrg();
    const squatterId = newPublicId();
    await db()
      .insert(pages)
      .values({ id: squatterId, orgId: org.id, name: 'Squatter', subdomain: victim.pageId });
    const res = await send<{ page: { id: string } }>(
      `https://${victim.pageId}.pages.test/api/v2/status.json`,
      { env: vars },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.page.id).toBe(victim.pageId);
  });

  it('remembers an unknown <label>.<base> host, and forgets it when a page takes the label', async () => {
    const label = `late-${newPublicId()}`;
    const url = `https://${label}.pages.test/api/v2/status.json`;
    expect((await send(url, { env: vars })).status).toBe(404);
    expect(await env.CACHE.get(`status-label:v1:${label}`)).toBe('-');
    // Remembered: a row that appears behind the API's back is not seen yet.
    const { org } = await createOrg();
    const sneaked = newPublicId();
    await db()
      .insert(pages)
      .values({ id: sneaked, orgId: org.id, name: 'Sneaked', subdomain: label });
    expect((await send(url, { env: vars })).status).toBe(404);
    await db().delete(pages).where(eq(pages.id, sneaked));

    // A page created through the API forgets the entry: it answers at once.
    const test = await createOrg();
    const { secret } = await createApiKey(test, 'admin');
    const created = await send<{ id: string }>(
      `https://skypatch.test/v1/orgs/${test.org.id}/pages`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ page: { name: 'Late', subdomain: label } }),
      },
    );
    expect(created.status, created.text).toBe(201);
    const served = await send<{ page: { id: string } }>(url, { env: vars });
    expect(served.status, served.text).toBe(200);
    expect(served.body.page.id).toBe(created.body.id);
  });

  it('caps the snapshot: 100 incidents of the window, the 50 newest updates of each', async () => {
    const { pageId } = await insertPage({ timezone: 'Etc/UTC' });
    const now = Date.now();
    const ids = Array.from({ length: RECENT_WINDOW_CAP + 20 }, (_, i) => ({
      id: `win${String(i).padStart(9, '0')}`,
      createdAt: new Date(now - (i + 1) * 60_000), // win000000000 is the newest
    }));
    const inserts = ids.map((row) =>
      db()
        .insert(incidents)
        .values({ pageId, name: row.id, status: 'resolved', impact: 'none', ...row }),
    );
    const busy = ids[0]?.id ?? '';
    const updates = Array.from({ length: UPDATES_PER_INCIDENT_CAP + 10 }, (_, i) =>
      db()
        .insert(incidentUpdates)
        .values({
          id: `upd${String(i).padStart(9, '0')}`,
          incidentId: busy,
          status: 'resolved',
          body: `update ${i}`,
          displayAt: new Date(now - 3_600_000 + i * 1_000), // upd…059 is the newest
        }),
    );
    const [first, ...rest] = [...inserts, ...updates];
    if (first) await db().batch([first, ...rest]);

    const rows = await loadStatusSnapshot(db(), pageId);
    const loaded = new Set(rows?.incidents.map((row) => row.id));
    // The realtime arm keeps the 50 newest anyway; the window arm the 100 newest, no more.
    expect(loaded.size).toBe(RECENT_WINDOW_CAP);
    expect(loaded.has('win000000000')).toBe(true);
    expect(loaded.has(`win${String(RECENT_WINDOW_CAP).padStart(9, '0')}`)).toBe(false);
    const kept = rows?.updates.map((row) => row.id).sort() ?? [];
    expect(kept).toHaveLength(UPDATES_PER_INCIDENT_CAP);
    expect(kept[0]).toBe('upd000000010'); // the 10 oldest dropped
  });
});
