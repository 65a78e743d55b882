import { describe, expect, it } from 'vitest';
import {
  componentGroups,
  componentStatusLog,
  components,
  incidentComponents,
  incidents,
  pages,
} from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import { createApiKey, createOrg, db } from './factories';
import { api } from './request';

// GET …/components/{id}/uptime and …/component-groups/{id}/uptime (spec §6.2) through the
// Worker, from a status log written by hand into the local D1. Expected numbers come from the
// §6.2 formula written out here, not from core/uptime.ts.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Uptime {
  id: string;
  name: string;
  range_start: string;
  range_end: string;
  uptime_percentage: number;
  major_outage: number;
  partial_outage: number;
  warnings: string[];
  related_events: { name: string; code: string }[];
}

/** §6.2: floor₂(100 × (1 − (Σm + 0.3·Σp) / (N·86400))). */
const formula = (m: number, p: number, days: number) =>
  Math.floor(10_000 * (1 - (m + 0.3 * p) / (days * 86_400))) / 100;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * A UTC page with a group of three: A (showcased) had 10,893 s of major outage ten days ago,
 * B (showcased) 71,733 s of partial outage from noon twenty days ago (it crosses midnight), C
 * (not showcased) four whole days of major outage that a group average must ignore.
 */
async function seed() {
  const test = await createOrg();
  const owner = await createApiKey(test, 'owner');
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const pageId = newPublicId();
  const group = newPublicId();
  const [a, b, c] = [newPublicId(), newPublicId(), newPublicId()];
  const incidentId = newPublicId();
  const long = new Date(today - 200 * DAY);
  const aDown = today - 10 * DAY + 12 * HOUR;
  const bDown = today - 20 * DAY + 12 * HOUR;
  const cDown = today - 30 * DAY;
  const stretch = (
    componentId: string,
    status: 'operational' | 'partial_outage' | 'major_outage',
    from: number,
    to: number | null,
  ) => ({
    id: newPublicId(),
    pageId,
    componentId,
    status,
    startedAt: new Date(from),
    endedAt: to === null ? null : new Date(to),
  });
  await db().batch([
    db()
      .insert(pages)
      .values({
        id: pageId,
        orgId: test.org.id,
        name: 'Uptime',
        subdomain: `up-${pageId}`,
        timezone: 'Etc/UTC',
      }),
    db().insert(componentGroups).values({ id: group, pageId, name: 'Core', position: 1 }),
    db()
      .insert(components)
      .values([
        { id: a, pageId, groupId: group, name: 'A', position: 1, showcase: true, createdAt: long },
        { id: b, pageId, groupId: group, name: 'B', position: 2, showcase: true, createdAt: long },
        { id: c, pageId, groupId: group, name: 'C', position: 3, showcase: false, createdAt: long },
      ]),
    db()
      .insert(componentStatusLog)
      .values([
        stretch(a, 'operational', long.getTime(), aDown),
        stretch(a, 'major_outage', aDown, aDown + 10_893_000),
        stretch(a, 'operational', aDown + 10_893_000, null),
        stretch(b, 'operational', long.getTime(), bDown),
        stretch(b, 'partial_outage', bDown, bDown + 71_733_000),
        stretch(b, 'operational', bDown + 71_733_000, null),
        stretch(c, 'operational', long.getTime(), cDown),
        stretch(c, 'major_outage', cDown, cDown + 4 * DAY),
        stretch(c, 'operational', cDown + 4 * DAY, null),
      ]),
    db()
      .insert(incidents)
      .values({
        id: incidentId,
        pageId,
        name: 'API down',
        status: 'resolved',
        impact: 'major',
        startedAt: new Date(aDown),
        resolvedAt: new Date(aDown + 10_893_000),
        createdAt: new Date(aDown),
      }),
    db().insert(incidentComponents).values({
      id: newPublicId(),
      incidentId,
      componentId: a,
      oldStatus: 'operational',
      newStatus: 'major_outage',
    }),
  ]);
  const base = `/v1/pages/${pageId}`;
  return { test, owner, pageId, group, a, b, c, incidentId, today, base };
}

describe('component uptime', () => {
  it('answers the last 90 days by default, with the §6.2 numbers and related events', async () => {
    const w = await seed();
    const res = await api(w.owner.secret).get<Uptime>(`${w.base}/components/${w.a}/uptime`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      id: w.a,
      name: 'A',
      range_start: isoDate(w.today - 89 * DAY),
      range_end: isoDate(w.today),
      uptime_percentage: formula(10_893, 0, 90),
      major_outage: 10_893,
      partial_outage: 0,
      warnings: [],
      related_events: [{ name: 'API down', code: w.incidentId }],
    });
    expect(res.body.uptime_percentage).toBe(99.85); // the spec's worked example

    const partial = await api(w.owner.secret).get<Uptime>(
      `${w.base}/components/${w.b}/uptime.json`,
    );
    expect(partial.body.partial_outage).toBe(71_733);
    expect(partial.body.uptime_percentage).toBe(formula(0, 71_733, 90));
    expect(partial.body.uptime_percentage).toBe(99.72);
  });

  it('takes a start and end, counting only those days', async () => {
    const w = await seed();
    const day = isoDate(w.today - 10 * DAY);
    const res = await api(w.owner.secret).get<Uptime>(
      `${w.base}/components/${w.a}/uptime?start=${day}&end=${day}`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ range_start: day, range_end: day, major_outage: 10_893 });
    expect(res.body.uptime_percentage).toBe(formula(10_893, 0, 1));
    const quiet = await api(w.owner.secret).get<Uptime>(
      `${w.base}/components/${w.a}/uptime?start=${isoDate(w.today - 5 * DAY)}`,
    );
    expect(quiet.body).toMatchObject({
      major_outage: 0,
      uptime_percentage: 100,
      related_events: [],
    });
  });

  it('clamps a range longer than 90 days or past today, and says so in warnings', async () => {
    const w = await seed();
    const res = await api(w.owner.secret).get<Uptime>(
      `${w.base}/components/${w.a}/uptime?start=${isoDate(w.today - 120 * DAY)}&end=${isoDate(w.today + 3 * DAY)}`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.range_end).toBe(isoDate(w.today));
    expect(res.body.range_start).toBe(isoDate(w.today - 89 * DAY));
    expect(res.body.warnings).toHaveLength(2);
    expect(res.body.warnings[0]).toContain('after today');
    expect(res.body.warnings[1]).toContain('longer than 90 days');
    expect(res.body.uptime_percentage).toBe(formula(10_893, 0, 90));
  });

  it('rejects bad dates and a start after the end with 400', async () => {
    const w = await seed();
    const key = w.owner.secret;
    for (const query of [
      'start=2026-02-30',
      'end=yesterday',
      `start=${isoDate(w.today)}&end=${isoDate(w.today - DAY)}`,
    ]) {
      const res = await api(key).get<{ error: { code: string } }>(
        `${w.base}/components/${w.a}/uptime?${query}`,
      );
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
    }
  });
});

describe('component group uptime', () => {
  it("averages the showcased children's seconds per day, floored, and ignores the others", async () => {
    const w = await seed();
    const res = await api(w.owner.secret).get<Uptime>(
      `${w.base}/component-groups/${w.group}/uptime`,
    );
    expect(res.status, res.text).toBe(200);
    // A's day: ⌊10,893 / 2⌋. B's outage splits at midnight: 43,200 s then 28,533 s, each halved.
    const major = Math.floor(10_893 / 2);
    const partial = Math.floor(43_200 / 2) + Math.floor(28_533 / 2);
    expect(res.body).toMatchObject({
      id: w.group,
      name: 'Core',
      major_outage: major,
      partial_outage: partial,
      uptime_percentage: formula(major, partial, 90),
      warnings: [],
      related_events: [{ name: 'API down', code: w.incidentId }],
    });
  });
});

describe('uptime access', () => {
  it("answers 404 for another org's page, component or group", async () => {
    const w = await seed();
    const other = await createApiKey(await createOrg(), 'owner');
    for (const path of [`components/${w.a}/uptime`, `component-groups/${w.group}/uptime`]) {
      const res = await api(other.secret).get<{ error: { code: string; message: string } }>(
        `${w.base}/${path}`,
      );
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('Page not found');
    }
    const mine = await seed();
    const foreign = await api(mine.owner.secret).get(`${mine.base}/components/${w.a}/uptime`);
    expect(foreign.status).toBe(404);
  });

  it('lets a viewer read', async () => {
    const w = await seed();
    const viewer = await createApiKey(w.test, 'viewer');
    const res = await api(viewer.secret).get<Uptime>(`${w.base}/components/${w.b}/uptime`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.partial_outage).toBe(71_733);
  });
});
