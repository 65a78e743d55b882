import { env, exports } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { zonedMidnight } from '../src/core/uptime';
import {
  componentGroups,
  componentStatusLog,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  type NewComponent,
  type NewIncident,
  pages,
} from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import { historyMonths } from '../src/status-pages/history';
import { formatLongDate, formatShortDateTime } from '../src/status-pages/html/format';
import { formatMonth } from '../src/status-pages/html/history';
import { calendarDate } from '../src/status-pages/time';
import { uptimeStatements } from '../src/status-pages/uptime-data';
import { createOrg, db } from './factories';
import { request } from './request';

// The public HTML page, the one-incident page and the feeds (spec §5.4, §6), fetched through
// the real Worker from rows in the local D1.

const TZ = 'America/New_York';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVIL = '<script>alert(1)</script>';

interface Fixture {
  subdomain: string;
  pageId: string;
  ids: Record<'api' | 'core' | 'delivery' | 'open' | 'resolved' | 'maintenance' | 'evil', string>;
  now: Date;
}

/** A page like the spec's §7 fixture, plus history: rows written straight into D1. */
async function seedPage(
  options: { withIncidents?: boolean; feeds?: boolean; customDomain?: string } = {},
) {
  const { org } = await createOrg();
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const subdomain = `demo-${newPublicId()}`;
  const pageId = newPublicId();
  const id = () => newPublicId();
  const ids = {
    api: id(),
    core: id(),
    delivery: id(),
    open: id(),
    resolved: id(),
    maintenance: id(),
    evil: id(),
  };
  const dashboard = id();
  const cdn = id();
  const created = ago(200 * DAY);
  const component = (row: NewComponent) => ({ createdAt: created, updatedAt: created, ...row });
  await db().batch([
    db()
      .insert(pages)
      .values({
        id: pageId,
        orgId: org.id,
        name: 'Skypatch Demo',
        subdomain,
        customDomain: options.customDomain ?? null,
        timezone: TZ,
        allowRssAtomFeeds: options.feeds ?? true,
      }),
    db()
      .insert(componentGroups)
      .values([
        { id: ids.core, pageId, name: 'Core Platform', position: 1, expanded: true },
        { id: ids.delivery, pageId, name: 'Update Delivery', position: 2, expanded: false },
      ]),
    db()
      .insert(components)
      .values([
        component({
          id: ids.api,
          pageId,
          groupId: ids.core,
          name: 'API',
          description: 'Public REST API',
          status: options.withIncidents === false ? 'operational' : 'degraded_performance',
          position: 1,
        }),
        component({ id: dashboard, pageId, groupId: ids.core, name: 'Dashboard', position: 2 }),
        component({ id: cdn, pageId, groupId: ids.delivery, name: 'CDN', position: 1 }),
        component({ id: ids.evil, pageId, name: EVIL, position: 3, showcase: false }),
      ]),
    // API: a one-hour major outage two days ago, then degraded since the incident opened.
    db()
      .insert(componentStatusLog)
      .values([
        {
          id: id(),
          pageId,
          componentId: ids.api,
          status: 'operational',
          startedAt: created,
          endedAt: ago(2 * DAY),
        },
        {
          id: id(),
          pageId,
          componentId: ids.api,
          status: 'major_outage',
          startedAt: ago(2 * DAY),
          endedAt: ago(2 * DAY - HOUR),
        },
        {
          id: id(),
          pageId,
          componentId: ids.api,
          status: 'operational',
          startedAt: ago(2 * DAY - HOUR),
          endedAt: null,
        },
      ]),
  ]);
  if (options.withIncidents !== false) await seedIncidents(pageId, ids, now);
  return { subdomain, pageId, ids, now } satisfies Fixture;
}

async function seedIncidents(pageId: string, ids: Fixture['ids'], now: Date) {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const incident = (row: NewIncident) => ({
    createdAt: row.startedAt ?? now,
    updatedAt: row.startedAt ?? now,
    ...row,
  });
  const update = (incidentId: string, status: NewIncident['status'], body: string, at: Date) => ({
    id: newPublicId(),
    incidentId,
    status,
    body,
    displayAt: at,
    createdAt: at,
    updatedAt: at,
  });
  await db().batch([
    db()
      .insert(incidents)
      .values([
        incident({
          id: ids.open,
          pageId,
          name: 'Elevated API latency',
          status: 'identified',
          impact: 'minor',
          startedAt: ago(HOUR),
        }),
        incident({
          id: ids.resolved,
          pageId,
          name: `Login errors ${EVIL}`,
          status: 'resolved',
          impact: 'major',
          startedAt: ago(3 * DAY),
          resolvedAt: ago(3 * DAY - 2 * HOUR),
        }),
        incident({
          id: ids.maintenance,
          pageId,
          name: 'CDN provider maintenance',
          status: 'scheduled',
          impact: 'maintenance',
          startedAt: ago(DAY),
          scheduledFor: new Date(now.getTime() + 5 * DAY),
          scheduledUntil: new Date(now.getTime() + 5 * DAY + 2 * HOUR),
        }),
      ]),
    db()
      .insert(incidentUpdates)
      .values([
        update(
          ids.open,
          'investigating',
          'We are investigating elevated latency on the API.',
          ago(HOUR),
        ),
        update(
          ids.open,
          'identified',
          'A misconfigured cache node.\nSee https://example.com/x for details.',
          ago(HOUR / 2),
        ),
        update(ids.resolved, 'investigating', `Sign-in fails ${EVIL}`, ago(3 * DAY)),
        update(ids.resolved, 'investigating', 'Still looking.', ago(3 * DAY - HOUR)),
        update(
          ids.resolved,
          'resolved',
          'This incident has been resolved.',
          ago(3 * DAY - 2 * HOUR),
        ),
        update(
          ids.maintenance,
          'scheduled',
          'We will be undergoing scheduled maintenance during this time.',
          ago(DAY),
        ),
      ]),
    db()
      .insert(incidentComponents)
      .values([
        {
          id: newPublicId(),
          incidentId: ids.open,
          componentId: ids.api,
          oldStatus: 'operational',
          newStatus: 'degraded_performance',
        },
        {
          id: newPublicId(),
          incidentId: ids.resolved,
          componentId: ids.api,
          oldStatus: 'operational',
          newStatus: 'partial_outage',
        },
      ]),
  ]);
}

const page = (f: Fixture, path = '') => request('GET', `/status/${f.subdomain}${path}`);
const count = (text: string, needle: string) => text.split(needle).length - 1;
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  htmlEntities: true,
});

describe('public status page', () => {
  it('shows the open incident in the banner and not the page-status bar', async () => {
    const f = await seedPage();
    const res = await page(f);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=10, stale-while-revalidate=30');
    const banner = res.text.slice(
      res.text.indexOf('Current status</h2>'),
      res.text.indexOf('components-heading"'),
    );
    expect(banner).toContain('Elevated API latency');
    expect(banner).toContain('<strong>Identified</strong> - A misconfigured cache node.<br>');
    expect(banner).toContain(
      '<a href="https://example.com/x" rel="nofollow ugc">https://example.com/x</a>',
    );
    expect(banner).toContain('Minor incident');
    expect(res.text).not.toContain('class="page-status');
    // One h1, a skip link, the landmarks, zoom allowed.
    expect(count(res.text, '<h1')).toBe(1);
    expect(res.text).toContain('<a class="skip-link" href="#main-content">');
    for (const tag of ['<header', '<nav', '<main id="main-content"', '<footer'])
      expect(res.text).toContain(tag);
    expect(res.text).toContain('content="width=device-width, initial-scale=1"');
    expect(res.text).not.toContain('maximum-scale');
  });

  it('shows the page-status bar when nothing is open', async () => {
    const f = await seedPage({ withIncidents: false });
    const res = await page(f);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<p class="page-status status-none">All Systems Operational</p>');
    expect(res.text).not.toContain('class="incident-block');
    expect(count(res.text, 'No incidents reported')).toBe(15);
    expect(res.text).toContain('No incidents reported today.');
  });

  it('lists components in groups with status words, bars and escaped names', async () => {
    const f = await seedPage();
    const { text } = await page(f);
    expect(text).toContain('<span class="visually-hidden">status: </span>Degraded Performance');
    // Expanded groups open their <details>, collapsed ones do not.
    const detailsAfter = (id: string) => {
      const rest = text.slice(text.indexOf(`data-component-id="${id}"`));
      return rest.slice(rest.indexOf('<details'), rest.indexOf('<summary'));
    };
    expect(detailsAfter(f.ids.core)).toMatch(/^<details open>\s*$/);
    expect(detailsAfter(f.ids.delivery)).toMatch(/^<details>\s*$/);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain(EVIL);
    // Bars: API, Dashboard, CDN and the two groups (each has a showcased child); not `evil`.
    expect(count(text, 'role="img"')).toBe(5 * 90);
    expect(count(text, '% uptime</span>')).toBe(5);
    // The one-hour outage (split in two if it crossed New York midnight); the group shares it
    // between its two showcased children.
    expect(text).toMatch(/aria-label="\d+ \w{3} \d{4}\. Major outage (1 hr|\d+ mins?)"/);
    expect(text).toMatch(/Major outage \d+ mins? \(1 component\)/);
    expect(text).toContain('No downtime recorded on this day.');
  });

  it('lists the past 15 days in the page time zone, with the "Update" label', async () => {
    const f = await seedPage();
    const { text } = await page(f);
    const past = text.slice(text.indexOf('id="past-heading"'));
    const day = (ms: number) =>
      formatLongDate(`${calendarDate(new Date(f.now.getTime() - ms), TZ)}T12:00:00Z`, 'Etc/UTC');
    expect(count(past, 'class="day-heading"')).toBe(15);
    const resolvedDay = past.indexOf(`${day(3 * DAY)}</h3>`);
    expect(resolvedDay).toBeGreaterThan(0);
    const afterResolvedDay = past.slice(resolvedDay);
    expect(afterResolvedDay.indexOf('Login errors &lt;script&gt;')).toBeLessThan(
      afterResolvedDay.indexOf('class="day-heading"'),
    );
    expect(past).toContain('<strong>Update</strong> - Still looking.');
    expect(past).toContain('<strong>Investigating</strong> - Sign-in fails &lt;script&gt;');
    expect(past).toContain('Major incident');
    // Today holds the open incident; the upcoming maintenance is not "past".
    expect(past.indexOf('Elevated API latency')).toBeGreaterThan(0);
    expect(past).not.toContain('CDN provider maintenance');
  });

  it('lists the upcoming maintenance with its window', async () => {
    const f = await seedPage();
    const { text } = await page(f);
    const section = text.slice(
      text.indexOf('Scheduled Maintenance</h2>'),
      text.indexOf('id="past-heading"'),
    );
    expect(section).toContain('CDN provider maintenance');
    expect(section).toMatch(/Maintenance: \w{3} \d+, \d\d:\d\d - \d\d:\d\d E[SD]T/);
    expect(section).toContain('We will be undergoing scheduled maintenance during this time.');
  });

  it('answers 304 to a matching ETag', async () => {
    const f = await seedPage();
    const first = await page(f);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await request('GET', `/status/${f.subdomain}/incidents/${f.ids.open}`);
    expect(again.status).toBe(200);
    const cached = await request('GET', `/status/${f.subdomain}/incidents/${f.ids.open}`, {
      headers: { 'if-none-match': again.headers.get('etag') ?? '' },
    });
    expect(cached.status).toBe(304);
  });

  it('serves one incident, and 404 for an unknown incident or page', async () => {
    const f = await seedPage();
    const res = await page(f, `/incidents/${f.ids.resolved}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(
      '<h2 id="incident-heading">Login errors &lt;script&gt;alert(1)&lt;/script&gt;</h2>',
    );
    expect(res.text).toContain('<strong>Resolved</strong> - This incident has been resolved.');
    expect((await page(f, '/incidents/zzzzzzzzzzzz')).status).toBe(404);
    const unknown = await request('GET', '/status/no-such-page-here');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('Page not found');
  });

  it('serves the same page at the root of its custom domain, with root-relative links', async () => {
    const domain = `status-${newPublicId()}.example.com`;
    const f = await seedPage({ customDomain: domain });
    const res = await exports.default.fetch(new Request(`https://${domain}/`));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).toContain('Elevated API latency');
    expect(text).toContain(`href="/incidents/${f.ids.open}"`);
    expect(text).toContain('href="/history.atom"');
    const incident = await exports.default.fetch(
      new Request(`https://${domain}/incidents/${f.ids.open}`),
    );
    expect(incident.status).toBe(200);
    const feed = await exports.default.fetch(new Request(`https://${domain}/history.rss`));
    expect(feed.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
  });
});

describe('feeds', () => {
  it('writes the Atom feed of §5.4, newest first, with labels and escaping', async () => {
    const domain = `status-${newPublicId()}.example.com`;
    const f = await seedPage({ customDomain: domain });
    const res = await page(f, '/history.atom');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(res.text).not.toContain(EVIL);
    const feed = xml.parse(res.text).feed;
    expect(feed['@xml:lang']).toBe('en-US');
    expect(feed.id).toBe(`tag:${domain},2005:/history`);
    expect(feed.title).toBe('Skypatch Demo Status - Incident History');
    expect(feed.author.name).toBe('Skypatch Demo');
    expect(feed.link.map((l: Record<string, string>) => l['@rel'])).toEqual(['alternate', 'self']);
    const entries: Record<string, unknown>[] = feed.entry;
    expect(entries.map((e) => e.id)).toEqual([
      `tag:${domain},2005:Incident/${f.ids.open}`,
      `tag:${domain},2005:Incident/${f.ids.maintenance}`,
      `tag:${domain},2005:Incident/${f.ids.resolved}`,
    ]);
    const published = entries.map((e) => Date.parse(String(e.published)));
    expect([...published].sort((a, b) => b - a)).toEqual(published);
    const resolved = entries[2] as { title: string; content: { '#text': string; '@type': string } };
    expect(resolved.title).toBe(`Login errors ${EVIL}`);
    expect(resolved.content['@type']).toBe('html');
    // Newest update first; a repeated status reads "Update"; the body stays escaped HTML.
    const content = resolved.content['#text'];
    expect(content).toMatch(
      /^<p><small>\w{3} <var data-var='date'>\d+<\/var>, <var data-var='time'>\d\d:\d\d<\/var> E[SD]T<\/small><br><strong>Resolved<\/strong> - This incident has been resolved\.<\/p>/,
    );
    expect(content).toContain('<strong>Update</strong> - Still looking.');
    expect(content).toContain('<strong>Investigating</strong> - Sign-in fails &lt;script&gt;');
    const maintenance = entries[1] as { content: { '#text': string } };
    expect(maintenance.content['#text']).toMatch(
      /^<p><strong>THIS IS A SCHEDULED EVENT \w{3} \d+, \d\d:\d\d - \d\d:\d\d E[SD]T<\/strong><\/p>/,
    );
  });

  it('writes the RSS feed of §5.4', async () => {
    const f = await seedPage();
    const res = await page(f, '/history.rss');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const rss = xml.parse(res.text).rss;
    expect(rss['@version']).toBe('2.0');
    expect(rss['@xmlns:dc']).toBe('http://purl.org/dc/elements/1.1/');
    expect(rss.channel.title).toBe('Skypatch Demo Status - Incident History');
    expect(rss.channel.description).toBe('Statuspage');
    expect(rss.channel.pubDate).toMatch(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    const items: { title: string; guid: string; link: string; description: string }[] =
      rss.channel.item;
    expect(items.map((i) => i.title)).toEqual([
      'Elevated API latency',
      'CDN provider maintenance',
      `Login errors ${EVIL}`,
    ]);
    expect(items[0]?.guid).toBe(
      `https://skypatch.test/status/${f.subdomain}/incidents/${f.ids.open}`,
    );
    expect(items[0]?.link).toBe(items[0]?.guid);
    expect(items[0]?.description).toContain(
      '<strong>Identified</strong> - A misconfigured cache node.',
    );
    expect(res.text).not.toContain(EVIL);
  });

  it('answers 404 when the page has feeds off, and links no feed', async () => {
    const f = await seedPage({ feeds: false });
    expect((await page(f, '/history.atom')).status).toBe(404);
    expect((await page(f, '/history.rss')).status).toBe(404);
    expect((await page(f)).text).not.toContain('history.atom');
  });
});

describe('uptime read', () => {
  it('seeks the (page_id, ended_at) index for both stretch reads', async () => {
    const [open, ended] = uptimeStatements(db(), 'somepage0001', new Date());
    for (const statement of [open, ended]) {
      const { sql, params } = statement.toSQL();
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const details = plan.results.map((row) => row.detail).join('\n');
      expect(details).toContain('USING INDEX component_status_log_page_ended_idx');
      expect(details).not.toMatch(/SCAN component_status_log\b(?! USING)/);
    }
  });
});

describe('review fixes', () => {
  it('answers 404, not 500, to malformed escapes in the page paths', async () => {
    const f = await seedPage({ withIncidents: false });
    for (const path of [
      `/status/${f.subdomain}/incidents/%E0%A4%A`,
      '/status/%E0%A4%A',
      '/status/%E0%A4%A/history.rss',
    ]) {
      const res = await request('GET', path);
      expect(res.status, path).toBe(404);
    }
  });

  it('caches the uptime rows per page change and day: a cached page view skips their reads', async () => {
    const f = await seedPage({ withIncidents: false });
    const first = await page(f);
    expect(first.status).toBe(200);
    expect(first.text).not.toContain('Partial outage');
    const keys = await env.CACHE.list({ prefix: `status-uptime:v1:${f.pageId}:` });
    expect(keys.keys).toHaveLength(1);

    // A stretch written without moving pages.updated_at (no service does that) stays unseen:
    // the bars come from the cached rows.
    const [dashboard] = await db()
      .select({ id: components.id })
      .from(components)
      .where(and(eq(components.pageId, f.pageId), eq(components.name, 'Dashboard')));
    await db()
      .insert(componentStatusLog)
      .values({
        id: newPublicId(),
        pageId: f.pageId,
        componentId: dashboard?.id ?? '',
        status: 'partial_outage',
        startedAt: new Date(f.now.getTime() - 3 * DAY),
        endedAt: new Date(f.now.getTime() - 3 * DAY + HOUR),
      });
    expect((await page(f)).text).not.toContain('Partial outage');

    // Once the stamp moves (as every service write does), the new rows are read.
    await db()
      .update(pages)
      .set({ updatedAt: new Date(Date.now() + 1_000) })
      .where(eq(pages.id, f.pageId));
    expect((await page(f)).text).toContain('Partial outage');
  });
});

describe('incident history', () => {
  /**
   * A page created 400 days ago with incidents in chosen months of its zone: one in the current
   * month (critical, from its link), a minor one with a hostile name and a maintenance in the
   * month before, none in the third, and one four months back (page 2).
   */
  async function seedHistory() {
    const { org } = await createOrg();
    const now = new Date();
    const subdomain = `hist-${newPublicId()}`;
    const pageId = newPublicId();
    const api = newPublicId();
    const [m0, m1] = historyMonths(now, TZ, 1);
    const [, m4] = historyMonths(now, TZ, 2);
    // The second day of a month, 12:00 in the page's zone.
    const inMonth = (month = '', hours = 0) =>
      new Date(zonedMidnight(`${month}-02`, TZ).getTime() + (12 + hours) * HOUR);
    const ids = {
      current: newPublicId(),
      evil: newPublicId(),
      maint: newPublicId(),
      old: newPublicId(),
    };
    const row = (
      id: string,
      name: string,
      at: Date,
      extra: Partial<NewIncident> = {},
    ): NewIncident => ({
      id,
      pageId,
      name,
      status: 'resolved',
      impact: 'none',
      startedAt: at,
      resolvedAt: at,
      createdAt: at,
      updatedAt: at,
      ...extra,
    });
    const update = (incidentId: string, body: string, at: Date) => ({
      id: newPublicId(),
      incidentId,
      status: 'resolved' as const,
      body,
      displayAt: at,
      createdAt: at,
      updatedAt: at,
    });
    const created = new Date(now.getTime() - 400 * DAY);
    await db().batch([
      db().insert(pages).values({
        id: pageId,
        orgId: org.id,
        name: 'History Demo',
        subdomain,
        timezone: TZ,
        createdAt: created,
      }),
      db()
        .insert(components)
        .values({ id: api, pageId, name: 'API', position: 1, createdAt: created }),
      db()
        .insert(incidents)
        .values([
          row(ids.current, 'Database failover', inMonth(m0)),
          row(ids.evil, `Login errors ${EVIL}`, inMonth(m1), { impactOverride: 'minor' }),
          row(ids.maint, 'Planned upgrade', inMonth(m1, 5), {
            status: 'completed',
            impact: 'maintenance',
            scheduledFor: inMonth(m1, 5),
            scheduledUntil: inMonth(m1, 6),
          }),
          row(ids.old, 'Old outage', inMonth(m4), {
            impactOverride: 'major',
            postmortemBody: `What happened ${EVIL}`,
            postmortemPublishedAt: inMonth(m4, 48),
          }),
        ]),
      db()
        .insert(incidentUpdates)
        .values([
          update(ids.current, 'Failing over.', inMonth(m0)),
          update(ids.current, 'Done.', inMonth(m0, 2)),
          update(ids.old, 'Old outage is over.', inMonth(m4, 1)),
        ]),
      db()
        .insert(incidentComponents)
        .values([
          {
            id: newPublicId(),
            incidentId: ids.current,
            componentId: api,
            oldStatus: 'operational',
            newStatus: 'major_outage',
          },
          {
            id: newPublicId(),
            incidentId: ids.old,
            componentId: api,
            oldStatus: 'operational',
            newStatus: 'partial_outage',
          },
        ]),
    ]);
    return { subdomain, pageId, ids, now, inMonth, months: { m0, m1, m4 } };
  }

  it('lists three months, newest first, with links, impact, times, maintenances and escaping', async () => {
    const h = await seedHistory();
    const res = await request('GET', `/status/${h.subdomain}/history`);
    expect(res.status, res.text).toBe(200);
    const text = res.text;
    const [m0, m1, m2] = historyMonths(h.now, TZ, 1).map(formatMonth);
    expect(text.indexOf(`>${m0}</h3>`)).toBeGreaterThan(0);
    expect(text.indexOf(`>${m1}</h3>`)).toBeGreaterThan(text.indexOf(`>${m0}</h3>`));
    expect(text.indexOf(`>${m2}</h3>`)).toBeGreaterThan(text.indexOf(`>${m1}</h3>`));
    expect(text).toContain(
      `<a href="/status/${h.subdomain}/incidents/${h.ids.current}" aria-describedby="history-${h.ids.current}-impact">Database failover</a>`,
    );
    expect(text).toContain(
      `<span class="impact-label" id="history-${h.ids.current}-impact">Critical incident</span>`,
    );
    expect(text).toContain(formatShortDateTime(h.inMonth(h.months.m0), TZ));
    expect(text).toContain(formatShortDateTime(h.inMonth(h.months.m0, 2), TZ));
    expect(text).toContain('Login errors &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain(EVIL);
    expect(text).toContain('Minor incident');
    expect(text).toMatch(
      /<article class="impact-maintenance">\s*<h4><a [^>]+>Planned upgrade<\/a><\/h4>\s*<span [^>]+>Maintenance<\/span>/,
    );
    // The newest month lists first inside its section: the failover sits before the login errors.
    expect(text.indexOf('Database failover')).toBeLessThan(text.indexOf('Login errors'));
    expect(count(text, 'No incidents reported this month.')).toBe(1);
    expect(text).not.toContain('Old outage');
    expect(text).toContain(
      `<a href="/status/${h.subdomain}/history?page=2" rel="prev">← Older</a>`,
    );
    expect(text).not.toContain('Newer →');
    expect(text).toContain('<a class="skip-link" href="#main-content">');
  });

  it('pages back three months at a time, and stops offering older pages before the page existed', async () => {
    const h = await seedHistory();
    const second = await request('GET', `/status/${h.subdomain}/history?page=2`);
    expect(second.status).toBe(200);
    expect(second.text).toContain('Old outage');
    expect(second.text).toContain('Major incident');
    expect(second.text).not.toContain('Database failover');
    expect(second.text).toContain(
      `<a href="/status/${h.subdomain}/history" rel="next">Newer →</a>`,
    );
    expect(second.text).toContain(`href="/status/${h.subdomain}/history?page=3" rel="prev"`);
    // Page 6 covers 15 to 17 months ago; the page is 400 days old.
    const sixth = await request('GET', `/status/${h.subdomain}/history?page=6`);
    expect(sixth.status).toBe(200);
    expect(count(sixth.text, 'No incidents reported this month.')).toBe(3);
    expect(sixth.text).not.toContain('← Older');
    expect(sixth.text).toContain(`href="/status/${h.subdomain}/history?page=5" rel="next"`);
    for (const bad of ['0', 'x', '1.5', '100000']) {
      expect((await request('GET', `/status/${h.subdomain}/history?page=${bad}`)).status).toBe(404);
    }
  });

  it('is linked from the footer and the masthead', async () => {
    const h = await seedHistory();
    const res = await request('GET', `/status/${h.subdomain}`);
    expect(res.text).toContain(`<a href="/status/${h.subdomain}/history">← Incident History</a>`);
    expect(res.text).toContain(`<a href="/status/${h.subdomain}/history">Past incidents</a>`);
  });

  it('shows a new incident once the page changes (the cache key holds pages.updated_at)', async () => {
    const h = await seedHistory();
    expect((await request('GET', `/status/${h.subdomain}/history`)).text).not.toContain(
      'Fresh one',
    );
    await db().batch([
      db().insert(incidents).values({
        id: newPublicId(),
        pageId: h.pageId,
        name: 'Fresh one',
        status: 'investigating',
        impact: 'minor',
      }),
      db()
        .update(pages)
        .set({ updatedAt: new Date(Date.now() + 1_000) })
        .where(eq(pages.id, h.pageId)),
    ]);
    expect((await request('GET', `/status/${h.subdomain}/history`)).text).toContain('Fresh one');
  });

  it('serves an incident older than the snapshot, with its postmortem and components', async () => {
    const h = await seedHistory();
    // 51 newer incidents outside the 15-day window push the old one out of the 50 newest.
    const at = new Date(h.now.getTime() - 20 * DAY);
    const fillers = Array.from({ length: 51 }, (_, i) =>
      db()
        .insert(incidents)
        .values({
          id: newPublicId(),
          pageId: h.pageId,
          name: `Filler ${i}`,
          status: 'resolved',
          impact: 'none',
          createdAt: at,
          updatedAt: at,
        }),
    );
    const [first, ...rest] = fillers;
    if (first) await db().batch([first, ...rest]);
    await db()
      .update(pages)
      .set({ updatedAt: new Date(Date.now() + 1_000) })
      .where(eq(pages.id, h.pageId));
    const listed = await request<{ incidents: { id: string }[] }>(
      'GET',
      `/status/${h.subdomain}/api/v2/incidents.json`,
    );
    expect(listed.body.incidents.map((i) => i.id)).not.toContain(h.ids.old);
    const res = await request('GET', `/status/${h.subdomain}/incidents/${h.ids.old}`);
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('<h2 id="incident-heading">Old outage</h2>');
    expect(res.text).toContain('Old outage is over.');
    expect(res.text).toContain('Affected components: API');
    expect(res.text).toContain('What happened &lt;script&gt;');
    expect((await request('GET', `/status/${h.subdomain}/incidents/zzzzzzzzzzzz`)).status).toBe(
      404,
    );
  });
});
