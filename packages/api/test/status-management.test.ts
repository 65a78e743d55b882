import { createExecutionContext, createScheduledController } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import {
  ComponentGroupJson,
  StatusComponentJson,
  StatusIncidentJson,
  StatusPageJson,
} from '@skypatch/protocol';
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createApp as createWorkerApp } from '../src/app';
import { incidentImpact, kindOfStatus } from '../src/core/status-rules';
import { CRON } from '../src/cron';
import {
  auditLogs,
  type ComponentStatus,
  componentStatusLog,
  components,
  type IncidentImpact,
  type IncidentStatus,
  incidentComponents,
  incidents,
  incidentUpdates,
  pages,
} from '../src/db/schema';
import worker from '../src/index';
import { parseBracketForm } from '../src/lib/bracket-form';
import { newPublicId } from '../src/lib/ids';
import { createLogger } from '../src/lib/log';
import { createServices } from '../src/services';
import { systemActor } from '../src/services/actor';
import { refreshIncidentImpact } from '../src/services/status-impact';
import { REMINDER_BODY } from '../src/services/status-maintenance';
import { createApiKey, createOrg, db, type TestOrg } from './factories';
import { request, type TestResponse } from './request';

// The status-page management API (spec §4) end to end through the Worker: pages, groups,
// components, the incident lifecycle with its component and uptime-log rows, the stored
// indicator, bad input, Statuspage's dialect (OAuth, form bodies, `.json`) and the §3.3
// maintenance automation on a fake clock.

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A Statuspage client: `Authorization: OAuth <key>`. */
function statuspage(key: string) {
  const send = <T>(method: Method, path: string, json?: unknown): Promise<TestResponse<T>> =>
    request<T>(method, path, { headers: { authorization: `OAuth ${key}` }, json });
  return {
    get: <T = unknown>(path: string) => send<T>('GET', path),
    post: <T = unknown>(path: string, json: unknown) => send<T>('POST', path, json),
    patch: <T = unknown>(path: string, json: unknown) => send<T>('PATCH', path, json),
    delete: <T = unknown>(path: string) => send<T>('DELETE', path),
    form: <T = unknown>(method: Method, path: string, body: string) =>
      request<T>(method, path, {
        headers: {
          authorization: `OAuth ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        raw: body,
      }),
  };
}
type Client = ReturnType<typeof statuspage>;

interface World {
  test: TestOrg;
  client: Client;
  page: StatusPageJson;
  base: string;
  /** The admin key behind `client`. */
  secret: string;
}

async function world(): Promise<World> {
  const test = await createOrg();
  const { secret } = await createApiKey(test, 'admin');
  const client = statuspage(secret);
  const res = await client.post<StatusPageJson>(`/v1/orgs/${test.org.id}/pages`, {
    page: { name: 'Skypatch Demo', subdomain: `demo-${test.org.id.slice(4, 14).toLowerCase()}` },
  });
  expect(res.status, res.text).toBe(201);
  const page = StatusPageJson.parse(res.body);
  return { test, client, page, base: `/v1/pages/${page.id}`, secret };
}

async function addComponent(w: World, name: string, extra: Record<string, unknown> = {}) {
  const res = await w.client.post(`${w.base}/components`, { component: { name, ...extra } });
  expect(res.status, res.text).toBe(201);
  return StatusComponentJson.parse(res.body);
}

async function pageRow(pageId: string) {
  const [row] = await db().select().from(pages).where(eq(pages.id, pageId));
  if (!row) throw new Error('page gone');
  return row;
}

const indicatorOf = async (pageId: string) => {
  const row = await pageRow(pageId);
  return [row.statusIndicator, row.statusDescription];
};

const logOf = (componentId: string) =>
  db()
    .select()
    .from(componentStatusLog)
    .where(eq(componentStatusLog.componentId, componentId))
    .orderBy(asc(componentStatusLog.startedAt), asc(componentStatusLog.endedAt));

const auditActions = async (orgId: string) =>
  (
    await db()
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(eq(auditLogs.orgId, orgId))
      .orderBy(asc(auditLogs.timestamp))
  ).map((row) => row.action);

describe('pages, groups and components', () => {
  it('creates them, reorders, and audits every change', async () => {
    const w = await world();
    expect(w.page).toMatchObject({ status_indicator: 'none', time_zone: 'UTC' });
    const api = await addComponent(w, 'API', { description: 'Public REST API' });
    const dashboard = await addComponent(w, 'Dashboard');
    expect([api.position, dashboard.position]).toEqual([1, 2]);
    expect(api.start_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await logOf(api.id)).toMatchObject([{ status: 'operational', endedAt: null }]);

    const created = await w.client.post(`${w.base}/component-groups`, {
      description: 'Core services', // outside component_group, as Statuspage's schema has it
      component_group: { name: 'Core Platform', components: [api.id, dashboard.id] },
    });
    expect(created.status, created.text).toBe(201);
    const group = ComponentGroupJson.parse(created.body);
    expect(group).toMatchObject({
      description: 'Core services',
      components: [api.id, dashboard.id],
    });

    const moved = await w.client.patch(`${w.base}/components/${dashboard.id}`, {
      component: { position: 1 },
    });
    expect(moved.status, moved.text).toBe(200);
    const reread = await w.client.get<ComponentGroupJson>(`${w.base}/component-groups/${group.id}`);
    expect(reread.body.components).toEqual([dashboard.id, api.id]);
    const list = await w.client.get<StatusComponentJson[]>(`${w.base}/components`);
    expect(list.body.map((c) => [c.name, c.group_id, c.position])).toEqual([
      ['Dashboard', group.id, 1],
      ['API', group.id, 2],
    ]);

    const deleted = await w.client.delete(`${w.base}/component-groups/${group.id}`);
    expect(deleted.status).toBe(200);
    expect(ComponentGroupJson.parse(deleted.body).id).toBe(group.id);
    const ungrouped = await w.client.get<StatusComponentJson>(`${w.base}/components/${api.id}`);
    expect(ungrouped.body.group_id).toBeNull();
    expect((await w.client.delete(`${w.base}/components/${api.id}`)).status).toBe(204);
    expect((await w.client.get(`${w.base}/components/${api.id}`)).status).toBe(404);

    expect(await auditActions(w.test.org.id)).toEqual([
      'statuspage.create',
      'status_component.create',
      'status_component.create',
      'status_group.create',
      'status_component.update',
      'status_group.delete',
      'status_component.delete',
    ]);
  });

  it('stamps pages.updated_at on every mutation', async () => {
    const w = await world();
    const before = (await pageRow(w.page.id)).updatedAt.getTime();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await addComponent(w, 'API');
    expect((await pageRow(w.page.id)).updatedAt.getTime()).toBeGreaterThan(before);
  });

  it('recomputes the indicator on a manual status change, and logs it', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    await addComponent(w, 'CDN');
    const res = await w.client.patch(`${w.base}/components/${api.id}`, {
      component: { status: 'major_outage' },
    });
    expect(res.status, res.text).toBe(200);
    expect(await indicatorOf(w.page.id)).toEqual(['major', 'Partial System Outage']);
    const log = await logOf(api.id);
    expect(log.map((row) => [row.status, row.endedAt === null])).toEqual([
      ['operational', false],
      ['major_outage', true],
    ]);
  });
});

describe('incident lifecycle', () => {
  it('create → update → resolve: component rows, uptime log, impact and indicator', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    const dashboard = await addComponent(w, 'Dashboard');

    const created = await w.client.post(`${w.base}/incidents`, {
      incident: {
        name: 'Elevated API latency',
        body: 'We are investigating elevated latency on the API.',
        components: { [api.id]: 'degraded_performance' },
        component_ids: [dashboard.id],
        metadata: { jira: { issue_id: 'OPS-1' } },
      },
    });
    expect(created.status, created.text).toBe(201);
    const incident = StatusIncidentJson.parse(created.body);
    expect(incident).toMatchObject({ status: 'investigating', impact: 'minor', resolved_at: null });
    expect(incident.incident_updates[0]?.affected_components).toEqual([
      { code: api.id, name: 'API', old_status: 'operational', new_status: 'degraded_performance' },
      {
        code: dashboard.id,
        name: 'Dashboard',
        old_status: 'operational',
        new_status: 'operational',
      },
    ]);
    expect(await indicatorOf(w.page.id)).toEqual(['minor', 'Partially Degraded Service']);

    const identified = await w.client.patch(`${w.base}/incidents/${incident.id}`, {
      incident: { status: 'identified', body: 'A cache node is slow; replacing it.' },
    });
    expect(identified.status, identified.text).toBe(200);
    const afterIdentified = StatusIncidentJson.parse(identified.body);
    expect(afterIdentified.incident_updates.map((u) => u.status)).toEqual([
      'identified',
      'investigating',
    ]);
    expect(afterIdentified.incident_updates[0]?.affected_components).toBeNull();

    const resolved = await w.client.patch(`${w.base}/incidents/${incident.id}`, {
      incident: { status: 'resolved', components: { [api.id]: 'operational' } },
    });
    expect(resolved.status, resolved.text).toBe(200);
    const done = StatusIncidentJson.parse(resolved.body);
    expect(done).toMatchObject({ status: 'resolved', impact: 'minor' }); // the peak stays
    expect(done.resolved_at).not.toBeNull();
    expect(done.incident_updates[0]?.body).toBe('This incident has been resolved.');
    expect(done.components.map((c) => [c.id, c.status])).toEqual([
      [api.id, 'operational'],
      [dashboard.id, 'operational'],
    ]);
    expect(await indicatorOf(w.page.id)).toEqual(['none', 'All Systems Operational']);

    const rows = await db()
      .select()
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, incident.id))
      .orderBy(asc(incidentComponents.createdAt));
    // Rows of one update share created_at, so their order among themselves is not defined.
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => [r.componentId, r.oldStatus, r.newStatus])).toEqual(
      expect.arrayContaining([
        [api.id, 'operational', 'degraded_performance'],
        [dashboard.id, 'operational', 'operational'],
        [api.id, 'degraded_performance', 'operational'],
      ]),
    );
    expect(new Set(rows.map((r) => r.incidentUpdateId)).size).toBe(2);
    expect((await logOf(api.id)).map((r) => [r.status, r.endedAt === null])).toEqual([
      ['operational', false],
      ['degraded_performance', false],
      ['operational', true],
    ]);
    expect(await logOf(dashboard.id)).toHaveLength(1); // recorded, never changed
    expect((await auditActions(w.test.org.id)).filter((a) => a.startsWith('incident'))).toEqual([
      'incident.create',
      'incident.update',
      'incident.update',
    ]);

    const unresolved = await w.client.get<unknown[]>(`${w.base}/incidents/unresolved`);
    expect(unresolved.body).toEqual([]);
  });

  it('edits a posted update and deletes an incident, answering with it', async () => {
    const w = await world();
    const created = StatusIncidentJson.parse(
      (await w.client.post(`${w.base}/incidents`, { incident: { name: 'Outage', body: 'x' } }))
        .body,
    );
    const updateId = created.incident_updates[0]?.id;
    const edited = await w.client.patch(
      `${w.base}/incidents/${created.id}/incident_updates/${updateId}`,
      { incident_update: { body: 'Corrected text', deliver_notifications: 'f' } },
    );
    expect(edited.status, edited.text).toBe(200);
    expect(StatusIncidentJson.parse(edited.body).incident_updates[0]).toMatchObject({
      body: 'Corrected text',
      deliver_notifications: false,
    });
    const deleted = await w.client.delete(`${w.base}/incidents/${created.id}`);
    expect(deleted.status).toBe(200);
    expect(StatusIncidentJson.parse(deleted.body).id).toBe(created.id);
    expect((await w.client.get(`${w.base}/incidents/${created.id}`)).status).toBe(404);
  });

  it('0 components: the open incident impact drives the indicator', async () => {
    const w = await world();
    const res = await w.client.post(`${w.base}/incidents`, {
      incident: { name: 'Everything is on fire', impact_override: 'critical' },
    });
    expect(res.status, res.text).toBe(201);
    expect(await indicatorOf(w.page.id)).toEqual(['critical', 'Major System Outage']);
  });

  it('opens an incident on a component as the system actor (auto-rollback)', async () => {
    const w = await world();
    const cdn = await addComponent(w, 'Update Check');
    const detail = await createServices(env).statusIncidents.openForComponent(
      systemActor('crash-rate auto-rollback', w.test.org.id),
      {
        componentId: cdn.id,
        name: 'Release v2 rolled back',
        body: 'Crash rate above threshold',
      },
    );
    expect(detail.incident).toMatchObject({ status: 'investigating', impact: 'major' });
    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(
        and(eq(auditLogs.resourceId, detail.incident.id), eq(auditLogs.action, 'incident.create')),
      );
    expect(audit?.actorType).toBe('system');
    const other = await createOrg();
    await expect(
      createServices(env).statusIncidents.openForComponent(systemActor('x', other.org.id), {
        componentId: cdn.id,
        name: 'n',
        body: 'b',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('bad input answers 4xx and writes nothing', () => {
  it('refuses every malformed or rule-breaking request', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    const incident = StatusIncidentJson.parse(
      (await w.client.post(`${w.base}/incidents`, { incident: { name: 'Open', body: 'b' } })).body,
    );
    const auditBefore = (await auditActions(w.test.org.id)).length;
    const incidentsBefore = await db().select({ n: count() }).from(incidents);
    const updatesBefore = await db().select({ n: count() }).from(incidentUpdates);
    const pageBefore = await pageRow(w.page.id);

    const cases: [string, Promise<TestResponse>, number][] = [
      [
        'duplicate subdomain',
        w.client.post(`/v1/orgs/${w.test.org.id}/pages`, {
          page: { name: 'Again', subdomain: pageBefore.subdomain },
        }),
        409,
      ],
      [
        'subdomain not a DNS label',
        w.client.post(`/v1/orgs/${w.test.org.id}/pages`, {
          page: { name: 'Bad', subdomain: 'Bad_Sub' },
        }),
        400,
      ],
      [
        'unknown component id',
        w.client.post(`${w.base}/incidents`, {
          incident: {
            name: 'x',
            components: { zzzzzzzzzzzz: 'major_outage', [api.id]: 'major_outage' },
          },
        }),
        400,
      ],
      [
        'maintenance status on a realtime incident',
        w.client.patch(`${w.base}/incidents/${incident.id}`, {
          incident: { status: 'in_progress' },
        }),
        422,
      ],
      [
        'window on a realtime incident',
        w.client.post(`${w.base}/incidents`, {
          incident: {
            name: 'x',
            status: 'investigating',
            scheduled_for: '2026-01-20T03:00:00Z',
            scheduled_until: '2026-01-20T05:00:00Z',
          },
        }),
        422,
      ],
      [
        'scheduled_until before scheduled_for',
        w.client.post(`${w.base}/incidents`, {
          incident: {
            name: 'x',
            scheduled_for: '2026-01-20T05:00:00Z',
            scheduled_until: '2026-01-20T03:00:00Z',
          },
        }),
        400,
      ],
      [
        'name over 255',
        w.client.post(`${w.base}/incidents`, { incident: { name: 'n'.repeat(256) } }),
        400,
      ],
      [
        'body over 25,000',
        w.client.post(`${w.base}/incidents`, { incident: { name: 'x', body: 'b'.repeat(25_001) } }),
        400,
      ],
      ['component without name', w.client.post(`${w.base}/components`, { component: {} }), 400],
      [
        'unknown component status',
        w.client.patch(`${w.base}/components/${api.id}`, { component: { status: 'on_fire' } }),
        400,
      ],
    ];
    for (const [name, pending, status] of cases) {
      const res = await pending;
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      const body = res.body as { message?: string; error?: { code: string; message: string } };
      expect(body.message, name).toBe(body.error?.message); // Statuspage's top-level message
    }
    expect(await auditActions(w.test.org.id)).toHaveLength(auditBefore);
    expect(await db().select({ n: count() }).from(incidents)).toEqual(incidentsBefore);
    expect(await db().select({ n: count() }).from(incidentUpdates)).toEqual(updatesBefore);
    expect((await pageRow(w.page.id)).updatedAt).toEqual(pageBefore.updatedAt);
    expect(
      (await w.client.get<StatusComponentJson>(`${w.base}/components/${api.id}`)).body.status,
    ).toBe('operational');
  });

  it('stores HTML in names and bodies as sent', async () => {
    const w = await world();
    const res = await w.client.post(`${w.base}/incidents`, {
      incident: { name: '<script>alert(1)</script>', body: '<b>bold</b> & more' },
    });
    expect(res.status, res.text).toBe(201);
    const incident = StatusIncidentJson.parse(res.body);
    expect(incident.name).toBe('<script>alert(1)</script>');
    expect(incident.incident_updates[0]?.body).toBe('<b>bold</b> & more');
  });

  it('answers 404 alike for an unknown page and another org’s page', async () => {
    const w = await world();
    const other = await createOrg();
    const outsider = statuspage((await createApiKey(other, 'owner')).secret);
    const foreign = await outsider.get(`/v1/pages/${w.page.id}`);
    const unknown = await outsider.get('/v1/pages/zzzzzzzzzzzz');
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(foreign.body).toEqual(unknown.body);
    const patched = await outsider.patch(`/v1/pages/${w.page.id}/components/x`, { component: {} });
    expect(patched.status).toBe(404);
    const listed = await outsider.get<StatusPageJson[]>('/v1/pages');
    expect(listed.body.map((p) => p.id)).not.toContain(w.page.id);
  });

  it('keeps incidents from a developer-less viewer and pages from a developer', async () => {
    const w = await world();
    const viewer = statuspage((await createApiKey(w.test, 'viewer')).secret);
    const developer = statuspage((await createApiKey(w.test, 'developer')).secret);
    expect((await viewer.get(`${w.base}/incidents`)).status).toBe(200);
    expect((await viewer.post(`${w.base}/incidents`, { incident: { name: 'x' } })).status).toBe(
      403,
    );
    expect((await developer.post(`${w.base}/incidents`, { incident: { name: 'x' } })).status).toBe(
      201,
    );
    expect(
      (await developer.post(`${w.base}/components`, { component: { name: 'x' } })).status,
    ).toBe(403);
  });
});

describe("Statuspage's dialect", () => {
  it('accepts form-encoded bracket bodies with t/f booleans and the message alias', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    const cdn = await addComponent(w, 'CDN');
    const form = new URLSearchParams({
      'incident[name]': 'Form incident',
      'incident[status]': 'identified',
      'incident[message]': 'Posted as a form',
      [`incident[components][${api.id}]`]: 'major_outage',
      'incident[component_ids][]': cdn.id,
      'incident[deliver_notifications]': 'f',
    }).toString();
    const res = await w.client.form('POST', `${w.base}/incidents.json`, form);
    expect(res.status, res.text).toBe(201);
    const incident = StatusIncidentJson.parse(res.body);
    expect(incident).toMatchObject({
      name: 'Form incident',
      status: 'identified',
      impact: 'critical',
    });
    expect(incident.incident_updates[0]).toMatchObject({
      body: 'Posted as a form',
      deliver_notifications: false,
    });
    expect(incident.components.map((c) => c.id).sort()).toEqual([api.id, cdn.id].sort());
  });

  it('serves every path with a .json suffix', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    const created = StatusIncidentJson.parse(
      (await w.client.post(`${w.base}/incidents`, { incident: { name: 'Open' } })).body,
    );
    for (const path of [
      '/v1/pages.json',
      `${w.base}.json`,
      `${w.base}/components.json`,
      `${w.base}/components/${api.id}.json`,
      `${w.base}/incidents.json`,
      `${w.base}/incidents/unresolved.json`,
      `${w.base}/incidents/${created.id}.json`,
    ]) {
      const res = await w.client.get(path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
    }
    const unresolved = await w.client.get<StatusIncidentJson[]>(
      `${w.base}/incidents/unresolved.json`,
    );
    expect(unresolved.body.map((i) => i.id)).toEqual([created.id]);
  });

  it('authenticates with OAuth, Bearer and ?api_key=', async () => {
    const w = await world();
    const { secret } = await createApiKey(w.test, 'viewer');
    const oauth = await request('GET', w.base, { headers: { authorization: `OAuth ${secret}` } });
    const bearer = await request('GET', w.base, { key: secret });
    const query = await request('GET', `${w.base}?api_key=${secret}`);
    expect([oauth.status, bearer.status, query.status]).toEqual([200, 200, 200]);
    const elsewhere = await request('GET', `/v1/orgs/${w.test.org.id}/pages?api_key=${secret}`);
    expect(elsewhere.status).toBe(401);
  });

  it('converts bracket names into nested objects and refuses odd ones', () => {
    expect(parseBracketForm('a[b]=1&a[c][]=x&a[c][]=y&a[d][e]=2&plain=p&a[b]=last')).toEqual({
      a: { b: 'last', c: ['x', 'y'], d: { e: '2' } },
      plain: 'p',
    });
    for (const bad of [
      'a[__proto__][x]=1',
      'a[][b]=1',
      'a[b]=1&a[b][c]=2',
      'a]b=1',
      'a[b][c][d][e][f]=1',
    ]) {
      expect(() => parseBracketForm(bad), bad).toThrow(/Invalid form field name/);
    }
  });
});

describe('scheduled-maintenance automation (§3.3, §7)', () => {
  it('reminds, starts and completes on a fake clock, once each', async () => {
    const w = await world();
    const cdn = await addComponent(w, 'CDN');
    const check = await addComponent(w, 'Update Check');
    await w.client.post(`${w.base}/component-groups`, {
      component_group: { name: 'Update Delivery', components: [cdn.id, check.id] },
    });
    const res = await w.client.post(`${w.base}/incidents`, {
      incident: {
        name: 'CDN provider maintenance',
        scheduled_for: '2026-01-20T03:00:00Z',
        scheduled_until: '2026-01-20T05:00:00Z',
        scheduled_remind_prior: 't',
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        auto_transition_to_maintenance_state: true,
        auto_transition_to_operational_state: true,
        component_ids: [cdn.id],
      },
    });
    expect(res.status, res.text).toBe(201);
    const maintenance = StatusIncidentJson.parse(res.body);
    expect(maintenance).toMatchObject({ status: 'scheduled', impact: 'maintenance' });
    const automation = createServices(env).statusMaintenance;
    const updatesOf = async () =>
      db()
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.incidentId, maintenance.id))
        .orderBy(asc(incidentUpdates.createdAt));

    expect(await automation.runDue(new Date('2026-01-20T01:59:30Z'))).toMatchObject({
      reminded: [],
    });
    expect((await automation.runDue(new Date('2026-01-20T02:00:30Z'))).reminded).toEqual([
      maintenance.id,
    ]);
    expect((await automation.runDue(new Date('2026-01-20T02:01:30Z'))).reminded).toEqual([]);
    expect((await updatesOf()).map((u) => u.body)).toContain(REMINDER_BODY);

    // 03:00:30 through the Worker's minute cron, as production runs it.
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({
        cron: CRON.everyMinute,
        scheduledTime: Date.parse('2026-01-20T03:00:30Z'),
      }),
      env,
      ctx,
    );
    const started = StatusIncidentJson.parse(
      (await w.client.get(`${w.base}/incidents/${maintenance.id}`)).body,
    );
    expect(started.status).toBe('in_progress');
    // Found by status, not position: the fake clock is behind the real one that stamped the
    // first update, and updates are ordered by display time.
    expect(started.incident_updates.find((u) => u.status === 'in_progress')).toMatchObject({
      status: 'in_progress',
      body: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
      affected_components: [
        {
          code: cdn.id,
          name: 'Update Delivery - CDN',
          old_status: 'operational',
          new_status: 'under_maintenance',
        },
      ],
    });
    expect(started.components[0]?.status).toBe('under_maintenance');
    expect(await indicatorOf(w.page.id)).toEqual(['maintenance', 'Service Under Maintenance']);
    const active = await w.client.get<StatusIncidentJson[]>(
      `${w.base}/incidents/active_maintenance`,
    );
    expect(active.body.map((i) => i.id)).toEqual([maintenance.id]);

    const countBefore = (await updatesOf()).length;
    expect(await automation.runDue(new Date('2026-01-20T03:01:30Z'))).toEqual({
      reminded: [],
      started: [],
      completed: [],
    });
    expect(await updatesOf()).toHaveLength(countBefore);

    expect((await automation.runDue(new Date('2026-01-20T05:00:30Z'))).completed).toEqual([
      maintenance.id,
    ]);
    expect((await automation.runDue(new Date('2026-01-20T05:01:30Z'))).completed).toEqual([]);
    const [row] = await db().select().from(incidents).where(eq(incidents.id, maintenance.id));
    expect(row).toMatchObject({
      status: 'completed',
      resolvedAt: new Date('2026-01-20T05:00:30Z'),
    });
    expect(row?.scheduledRemindedAt).toEqual(new Date('2026-01-20T02:00:30Z'));
    const [cdnRow] = await db().select().from(components).where(eq(components.id, cdn.id));
    expect(cdnRow?.status).toBe('operational');
    expect(await indicatorOf(w.page.id)).toEqual(['none', 'All Systems Operational']);
    // Any order: the fake clock runs behind the real one that opened the first stretch.
    const log = (await logOf(cdn.id)).map((r) => [
      r.status,
      r.startedAt.toISOString(),
      r.endedAt?.toISOString() ?? null,
    ]);
    expect(log).toHaveLength(3);
    expect(log).toEqual(
      expect.arrayContaining([
        ['operational', expect.any(String), '2026-01-20T03:00:30.000Z'],
        ['under_maintenance', '2026-01-20T03:00:30.000Z', '2026-01-20T05:00:30.000Z'],
        ['operational', '2026-01-20T05:00:30.000Z', null],
      ]),
    );
    const automated = await db()
      .select({ action: auditLogs.action, actorType: auditLogs.actorType })
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.resourceId, maintenance.id),
          inArray(auditLogs.action, [
            'incident.auto_remind',
            'incident.auto_start',
            'incident.auto_complete',
          ]),
        ),
      );
    expect(automated).toHaveLength(3);
    expect(automated.every((a) => a.actorType === 'system')).toBe(true);
  });
});

describe('custom domains: verified by DNS before they serve (review fix)', () => {
  const setTxt = (name: string, values: string[]) =>
    fetch('https://doh.test/_records', { method: 'POST', body: JSON.stringify({ name, values }) });
  const onHost = (host: string) =>
    exports.default.fetch(new Request(`https://${host}/api/v2/status.json`));
  const uniqueDomain = () => `status-${newPublicId()}.acme-example.com`;

  it('holds a new domain as pending, shows its TXT record, and serves it only once verified', async () => {
    const w = await world();
    const domain = uniqueDomain();
    const asked = await w.client.patch<StatusPageJson>(w.base, { page: { domain } });
    expect(asked.status, asked.text).toBe(200);
    const pending = StatusPageJson.parse(asked.body);
    expect(pending).toMatchObject({ domain: null, domain_pending: domain });
    expect(pending.domain_verification).toMatchObject({
      type: 'TXT',
      name: `_skypatch.${domain}`,
      value: expect.stringMatching(/^skypatch-verify=[A-Za-z0-9_-]{43}$/),
    });
    expect((await pageRow(w.page.id)).customDomain).toBeNull();
    // Unverified, the host is nobody's page: the request stays an API request.
    expect((await onHost(domain)).status).toBe(404);
    expect(await (await onHost(domain)).text()).toContain('No route');

    // Deterministic: the same record on every read; another page gets another token.
    const reread = await w.client.get<StatusPageJson>(w.base);
    expect(reread.body.domain_verification).toEqual(pending.domain_verification);
    const other = await world();
    const rival = await other.client.patch<StatusPageJson>(other.base, { page: { domain } });
    expect(rival.body.domain_verification?.value).not.toBe(pending.domain_verification?.value);

    const early = await w.client.post<{ message: string }>(`${w.base}/domain/verify`, {});
    expect(early.status).toBe(409);
    expect(early.body.message).toContain(`_skypatch.${domain}`);
    expect(early.body.message).toContain(pending.domain_verification?.value);
    expect((await pageRow(w.page.id)).customDomain).toBeNull();

    await setTxt(`_skypatch.${domain}`, ['v=spf1 -all', pending.domain_verification?.value ?? '']);
    const verified = await w.client.post<StatusPageJson>(`${w.base}/domain/verify`, {});
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({
      domain,
      domain_pending: null,
      domain_verification: null,
    });
    // The "no page" answer remembered above is forgotten: the domain serves at once.
    const served = await onHost(domain);
    expect(served.status).toBe(200);
    expect(((await served.json()) as { page: { id: string } }).page.id).toBe(w.page.id);
    expect(await auditActions(w.test.org.id)).toContain('statuspage.domain_verify');

    // The rival proves the record too (both tokens published), but the domain is taken: 409.
    await setTxt(`_skypatch.${domain}`, [
      pending.domain_verification?.value ?? '',
      rival.body.domain_verification?.value ?? '',
    ]);
    const taken = await other.client.post(`${other.base}/domain/verify`, {});
    expect(taken.status, taken.text).toBe(409);
    expect((await pageRow(other.page.id)).customDomain).toBeNull();

    // Asking for a new domain leaves the verified one serving until that one is verified.
    const next = uniqueDomain();
    await w.client.patch(w.base, { page: { domain: next } });
    expect(await pageRow(w.page.id)).toMatchObject({
      customDomain: domain,
      customDomainPending: next,
    });
    expect((await onHost(domain)).status).toBe(200);

    // Removing takes effect at once, pending request included.
    const removed = await w.client.patch<StatusPageJson>(w.base, { page: { domain: '' } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ domain: null, domain_pending: null });
    expect((await onHost(domain)).status).toBe(404);
  });

  it('creates a page with its domain pending, never live', async () => {
    const test = await createOrg();
    const { secret } = await createApiKey(test, 'admin');
    const domain = uniqueDomain();
    const res = await statuspage(secret).post<StatusPageJson>(`/v1/orgs/${test.org.id}/pages`, {
      page: { name: 'Acme', subdomain: `acme-${newPublicId()}`, domain },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ domain: null, domain_pending: domain });
    expect((await onHost(domain)).status).toBe(404);
  });

  it('refuses reserved domains and explains a failed lookup', async () => {
    const vars = { PUBLIC_URL: 'https://api.skypatch.example', STATUS_PAGES_DOMAIN: 'pages.test' };
    const w = await world();
    const patchWith = async (domain: string) => {
      const res = await createWorkerApp().fetch(
        new Request(`https://skypatch.test${w.base}`, {
          method: 'PATCH',
          headers: { authorization: `OAuth ${w.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ page: { domain } }),
        }),
        { ...env, ...vars } as unknown as Env, // vars widened for the test
        createExecutionContext(),
      );
      return { status: res.status, text: await res.text() };
    };
    for (const domain of [
      'api.skypatch.example', // the API's own host
      'pages.test',
      'acme.pages.test',
      'deep.acme.pages.test',
      'my-worker.acme.workers.dev',
      'printer.local',
      'db.internal',
      'localhost',
      '10.0.0.1',
      'intranet',
    ]) {
      const res = await patchWith(domain);
      expect(res.status, `${domain}: ${res.text}`).toBe(400);
    }
    expect(await pageRow(w.page.id)).toMatchObject({
      customDomain: null,
      customDomainPending: null,
    });

    const none = await w.client.post<{ message: string }>(`${w.base}/domain/verify`, {});
    expect(none.status).toBe(400);
    expect(none.body.message).toContain('no domain awaiting verification');

    // The fake resolver answers 503 under down.test.
    await w.client.patch(w.base, { page: { domain: 'status.down.test' } });
    const down = await w.client.post<{ message: string }>(`${w.base}/domain/verify`, {});
    expect(down.status).toBe(409);
    expect(down.body.message).toContain('_skypatch.status.down.test');
    expect(down.body.message).toContain('503');
  });
});

describe('page input (review fixes)', () => {
  it('answers an empty PATCH with the unchanged page and writes nothing', async () => {
    const w = await world();
    const before = await pageRow(w.page.id);
    const auditsBefore = await auditActions(w.test.org.id);
    const res = await w.client.patch<StatusPageJson>(w.base, { page: {} });
    expect(res.status, res.text).toBe(200);
    expect(StatusPageJson.parse(res.body)).toMatchObject({ id: w.page.id, name: w.page.name });
    expect((await pageRow(w.page.id)).updatedAt).toEqual(before.updatedAt);
    expect(await auditActions(w.test.org.id)).toEqual(auditsBefore);
  });

  it('refuses reserved subdomains and non-http(s) company URLs', async () => {
    const w = await world();
    for (const subdomain of ['www', 'api', 'status', 'cdn']) {
      const created = await w.client.post(`/v1/orgs/${w.test.org.id}/pages`, {
        page: { name: 'Taken', subdomain },
      });
      expect(created.status, subdomain).toBe(400);
      expect((await w.client.patch(w.base, { page: { subdomain } })).status, subdomain).toBe(400);
    }
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>']) {
      expect((await w.client.patch(w.base, { page: { url } })).status, url).toBe(400);
    }
    expect((await pageRow(w.page.id)).url).toBeNull();
    const ok = await w.client.patch<StatusPageJson>(w.base, {
      page: { url: 'https://acme.example' },
    });
    expect(ok.body.url).toBe('https://acme.example');
  });

  it('moves pages.updated_at forward even when this clock is behind the stored stamp', async () => {
    const w = await world();
    const ahead = new Date(Date.now() + 3_600_000); // another isolate's fast clock
    await db().update(pages).set({ updatedAt: ahead }).where(eq(pages.id, w.page.id));
    await addComponent(w, 'API');
    expect((await pageRow(w.page.id)).updatedAt.getTime()).toBe(ahead.getTime() + 1);
  });

  it('never logs the value of ?api_key= or ?token=', () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => {
      lines.push(line);
    });
    try {
      createLogger('test').error('Unhandled error at /v1/pages?api_key=sk_live_secret1', {
        url: 'https://api.example/v1/pages/x?api_key=sk_live_secret2&page=2',
        nested: { link: 'https://acme.example/unsubscribe?token=spu_secret3' },
        error: new Error('fetch failed for /v1/pages?API_KEY=sk_live_secret4'),
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/secret\d/);
    expect(lines[0]).toContain('api_key=[redacted]&page=2');
  });
});

describe('incident impact in SQL (webhook review)', () => {
  // The batch recomputes incidents.impact in SQL (services/status-impact.ts) from every
  // recorded incident_components row; core/status-rules.ts incidentImpact is the documented
  // rule, and the two must agree on every case.
  const cases: {
    status: IncidentStatus;
    override?: IncidentImpact;
    recorded: ComponentStatus[];
  }[] = [
    { status: 'investigating', recorded: [] },
    { status: 'investigating', recorded: ['operational'] },
    { status: 'identified', recorded: ['degraded_performance'] },
    { status: 'monitoring', recorded: ['partial_outage', 'degraded_performance'] },
    { status: 'identified', recorded: ['partial_outage', 'major_outage', 'operational'] },
    { status: 'resolved', recorded: ['degraded_performance', 'operational'] },
    { status: 'investigating', recorded: ['under_maintenance'] },
    { status: 'investigating', override: 'critical', recorded: ['operational'] },
    { status: 'resolved', override: 'none', recorded: ['major_outage'] },
    { status: 'scheduled', recorded: ['major_outage'] },
    { status: 'in_progress', recorded: ['under_maintenance'] },
    { status: 'completed', recorded: [] },
    { status: 'in_progress', override: 'minor', recorded: ['under_maintenance'] },
  ];
  it.each(cases)('$status $override $recorded', async ({ status, override, recorded }) => {
    const { org } = await createOrg();
    const pageId = newPublicId();
    const incidentId = newPublicId();
    const ids = recorded.map(() => newPublicId());
    await db().batch([
      db()
        .insert(pages)
        .values({ id: pageId, orgId: org.id, name: 'Impact', subdomain: `i-${pageId}` }),
      db()
        .insert(incidents)
        .values({
          id: incidentId,
          pageId,
          name: 'Vector',
          status,
          impact: 'critical', // stale: the refresh must replace it
          impactOverride: override ?? null,
        }),
    ]);
    if (recorded.length > 0) {
      await db()
        .insert(components)
        .values(ids.map((id) => ({ id, pageId, name: id })));
      await db()
        .insert(incidentComponents)
        .values(
          recorded.map((newStatus, i) => ({
            id: newPublicId(),
            incidentId,
            componentId: ids[i] ?? '',
            oldStatus: 'operational' as const,
            newStatus,
          })),
        );
    }
    await db().batch([refreshIncidentImpact(db(), incidentId)]);
    const [row] = await db().select().from(incidents).where(eq(incidents.id, incidentId));
    expect(row?.impact).toBe(
      incidentImpact({
        kind: kindOfStatus(status),
        impactOverride: override ?? null,
        recordedStatuses: recorded,
      }),
    );
  });

  it('keeps the peak when two updates race (computed from the committed rows)', async () => {
    const w = await world();
    const api = await addComponent(w, 'API');
    const cdn = await addComponent(w, 'CDN');
    const created = await w.client.post<StatusIncidentJson>(`${w.base}/incidents`, {
      incident: { name: 'Race', status: 'investigating', component_ids: [api.id, cdn.id] },
    });
    expect(created.status, created.text).toBe(201);
    const url = `${w.base}/incidents/${created.body.id}`;
    const results = await Promise.all([
      w.client.patch(url, { incident: { components: { [api.id]: 'major_outage' } } }),
      w.client.patch(url, { incident: { components: { [cdn.id]: 'degraded_performance' } } }),
    ]);
    expect(results.map((res) => res.status)).toEqual([200, 200]);
    const [row] = await db().select().from(incidents).where(eq(incidents.id, created.body.id));
    expect(row?.impact).toBe('critical');
  });
});

describe('maintenance auto-complete (webhook review)', () => {
  it('moves back only what is still under maintenance', async () => {
    const w = await world();
    const cdn = await addComponent(w, 'CDN');
    const check = await addComponent(w, 'Update Check');
    const res = await w.client.post<StatusIncidentJson>(`${w.base}/incidents`, {
      incident: {
        name: 'Window',
        scheduled_for: '2026-02-01T03:00:00Z',
        scheduled_until: '2026-02-01T05:00:00Z',
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        auto_transition_to_maintenance_state: true,
        auto_transition_to_operational_state: true,
        component_ids: [cdn.id, check.id],
      },
    });
    expect(res.status, res.text).toBe(201);
    const automation = createServices(env).statusMaintenance;
    await automation.runDue(new Date('2026-02-01T03:00:30Z'));
    const statusOf = async (id: string) =>
      (await db().select().from(components).where(eq(components.id, id)))[0]?.status;
    expect([await statusOf(cdn.id), await statusOf(check.id)]).toEqual([
      'under_maintenance',
      'under_maintenance',
    ]);
    // A real outage during the window: an incident takes the update check down.
    const outage = await w.client.post(`${w.base}/incidents`, {
      incident: { name: 'Outage', components: { [check.id]: 'major_outage' } },
    });
    expect(outage.status, outage.text).toBe(201);

    expect((await automation.runDue(new Date('2026-02-01T05:00:30Z'))).completed).toEqual([
      res.body.id,
    ]);
    expect(await statusOf(cdn.id)).toBe('operational');
    expect(await statusOf(check.id)).toBe('major_outage');
    const done = StatusIncidentJson.parse(
      (await w.client.get(`${w.base}/incidents/${res.body.id}`)).body,
    );
    const completion = done.incident_updates.find((u) => u.status === 'completed');
    expect(completion?.affected_components).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: cdn.id,
          old_status: 'under_maintenance',
          new_status: 'operational',
        }),
        expect.objectContaining({
          code: check.id,
          old_status: 'major_outage',
          new_status: 'major_outage',
        }),
      ]),
    );
  });
});
