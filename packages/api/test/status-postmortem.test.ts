import { IncidentV2, PostmortemJson, StatusIncidentJson, StatusPageJson } from '@skypatch/protocol';
import { and, asc, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { auditLogs, incidents, pages } from '../src/db/schema';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import { createApiKey, createOrg, db, type TestOrg } from './factories';
import { HOOKS_ORIGIN, type ReceivedWebhook } from './fake-webhook-receiver';
import { api, request } from './request';

// Postmortems through the Worker (spec §3.1, §4.2): draft → publish → revert → delete, what the
// public page and v2 JSON show at each step, the audit trail, the webhook on a notified publish,
// and the refusals (too long, nothing to publish, edits or deletes while published).

interface World {
  test: TestOrg;
  client: ReturnType<typeof api>;
  secret: string;
  page: StatusPageJson;
  incidentId: string;
  /** `/v1/pages/{page}/incidents/{incident}/postmortem` */
  path: string;
}

/** A page with one incident, resolved unless `open`. */
async function world(options: { open?: boolean } = {}): Promise<World> {
  const test = await createOrg();
  const { secret } = await createApiKey(test, 'admin');
  const client = api(secret);
  const created = await client.post<StatusPageJson>(`/v1/orgs/${test.org.id}/pages`, {
    page: { name: 'Postmortems', subdomain: `pm-${test.org.id.slice(4, 14).toLowerCase()}` },
  });
  expect(created.status, created.text).toBe(201);
  const page = StatusPageJson.parse(created.body);
  const opened = await client.post(`/v1/pages/${page.id}/incidents`, {
    incident: { name: 'Login errors', body: 'Looking into it.' },
  });
  expect(opened.status, opened.text).toBe(201);
  const incidentId = StatusIncidentJson.parse(opened.body).id;
  if (!options.open) {
    const resolved = await client.patch(`/v1/pages/${page.id}/incidents/${incidentId}`, {
      incident: { status: 'resolved' },
    });
    expect(resolved.status, resolved.text).toBe(200);
  }
  const path = `/v1/pages/${page.id}/incidents/${incidentId}/postmortem`;
  return { test, client, secret, page, incidentId, path };
}

async function incidentRow(id: string) {
  const [row] = await db().select().from(incidents).where(eq(incidents.id, id));
  if (!row) throw new Error('incident gone');
  return row;
}

async function pageStamp(id: string) {
  const [row] = await db()
    .select({ updatedAt: pages.updatedAt })
    .from(pages)
    .where(eq(pages.id, id));
  return row?.updatedAt.getTime() ?? 0;
}

const postmortemAudit = (w: World) =>
  db()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.orgId, w.test.org.id), like(auditLogs.action, 'postmortem.%')))
    .orderBy(asc(auditLogs.timestamp));

const publicIncident = async (w: World) => {
  const res = await request('GET', `/status/${w.page.subdomain}/api/v2/incidents.json`);
  expect(res.status, res.text).toBe(200);
  const body = z.object({ incidents: z.array(IncidentV2) }).parse(res.body);
  return body.incidents.find((incident) => incident.id === w.incidentId);
};
const htmlPage = async (w: World) => {
  const res = await request('GET', `/status/${w.page.subdomain}/incidents/${w.incidentId}`);
  expect(res.status).toBe(200);
  return res.text;
};

const DRAFT = 'Root cause: <script>alert(1)</script> & a bad "deploy".';
const DRAFT_ESCAPED =
  'Root cause: &lt;script&gt;alert(1)&lt;/script&gt; &amp; a bad &quot;deploy&quot;.';

describe('postmortem lifecycle', () => {
  it('drafts, publishes, reverts and deletes, audited, with the page stamp bumped', async () => {
    const w = await world();
    const empty = await w.client.get(w.path);
    expect(empty.status, empty.text).toBe(200);
    expect(PostmortemJson.parse(empty.body)).toMatchObject({
      body: null,
      body_draft: null,
      published_at: null,
    });

    const stampBefore = await pageStamp(w.page.id);
    const drafted = await w.client.put(w.path, { postmortem: { body_draft: DRAFT } });
    expect(drafted.status, drafted.text).toBe(200);
    expect(PostmortemJson.parse(drafted.body)).toMatchObject({ body: null, body_draft: DRAFT });
    expect(await pageStamp(w.page.id)).toBeGreaterThan(stampBefore);
    // A draft is not public: neither the page nor v2 JSON show it.
    expect(await htmlPage(w)).not.toContain('Root cause');
    expect((await publicIncident(w))?.status).toBe('resolved');

    const published = await w.client.put(`${w.path}/publish`);
    expect(published.status, published.text).toBe(200);
    const publishedJson = PostmortemJson.parse(published.body);
    expect(publishedJson.body).toBe(DRAFT);
    expect(publishedJson.published_at).not.toBeNull();
    expect(publishedJson.body_updated_at).toBe(publishedJson.published_at);
    expect((await incidentRow(w.incidentId)).status).toBe('postmortem');
    expect((await publicIncident(w))?.status).toBe('postmortem');
    const html = await htmlPage(w);
    expect(html).toContain('<h2 id="postmortem-heading">Postmortem</h2>');
    expect(html).toContain(DRAFT_ESCAPED);
    expect(html).not.toContain('<script>alert(1)</script>');
    const managed = await w.client.get(`/v1/pages/${w.page.id}/incidents/${w.incidentId}`);
    expect(StatusIncidentJson.parse(managed.body)).toMatchObject({
      status: 'postmortem',
      postmortem_body: DRAFT,
      postmortem_published_at: publishedJson.published_at,
    });

    // Published text is frozen: an edit or a delete is refused and changes nothing.
    const edit = await w.client.put(w.path, { postmortem: { body_draft: 'Rewritten' } });
    expect(edit.status, edit.text).toBe(409);
    expect((await w.client.delete(w.path)).status).toBe(409);
    expect((await w.client.put(`${w.path}/publish`)).status).toBe(409);
    expect((await incidentRow(w.incidentId)).postmortemBody).toBe(DRAFT);
    expect(await htmlPage(w)).toContain(DRAFT_ESCAPED);

    const reverted = await w.client.put(`${w.path}/revert`);
    expect(reverted.status, reverted.text).toBe(200);
    expect(PostmortemJson.parse(reverted.body)).toMatchObject({
      body: null,
      body_draft: DRAFT,
      published_at: null,
    });
    expect((await incidentRow(w.incidentId)).status).toBe('resolved');
    expect((await publicIncident(w))?.status).toBe('resolved');
    expect(await htmlPage(w)).not.toContain('Root cause');
    expect((await w.client.put(`${w.path}/revert`)).status).toBe(409);

    const deleted = await w.client.delete(w.path);
    expect(deleted.status, deleted.text).toBe(200);
    expect(PostmortemJson.parse(deleted.body).body_draft).toBeNull();
    expect((await incidentRow(w.incidentId)).postmortemBody).toBeNull();

    const audit = await postmortemAudit(w);
    expect(audit.map((row) => row.action)).toEqual([
      'postmortem.draft',
      'postmortem.publish',
      'postmortem.revert',
      'postmortem.delete',
    ]);
    for (const row of audit) {
      expect(row).toMatchObject({
        actorType: 'api_key',
        resourceType: 'status_incident',
        resourceId: w.incidentId,
      });
    }
    expect(audit[1]?.newValues).toMatchObject({ status: 'postmortem', notify: false });
  });

  it('accepts form bodies and a new draft replacing the old one', async () => {
    const w = await world();
    const first = await w.client.put(w.path, { postmortem: { body_draft: 'First' } });
    expect(first.status, first.text).toBe(200);
    const form = await request('PUT', `${w.path}.json`, {
      key: w.secret,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: `postmortem[body_draft]=${encodeURIComponent('Second & final')}`,
    });
    expect(form.status, form.text).toBe(200);
    expect(PostmortemJson.parse(form.body).body_draft).toBe('Second & final');
    const publish = await request('PUT', `${w.path}/publish`, {
      key: w.secret,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: 'postmortem[notify_subscribers]=f',
    });
    expect(publish.status, publish.text).toBe(200);
    expect((await incidentRow(w.incidentId)).postmortemBody).toBe('Second & final');
  });
});

describe('postmortem refusals', () => {
  it('refuses a draft over 25,000 characters or blank, writing nothing', async () => {
    const w = await world();
    const long = await w.client.put(w.path, { postmortem: { body_draft: 'x'.repeat(25_001) } });
    expect(long.status, long.text).toBe(400);
    const blank = await w.client.put(w.path, { postmortem: { body_draft: '  ' } });
    expect(blank.status, blank.text).toBe(400);
    const misnamed = await w.client.put(w.path, { postmortem: { body: 'wrong field' } });
    expect(misnamed.status, misnamed.text).toBe(400);
    const exact = await w.client.put(w.path, { postmortem: { body_draft: 'y'.repeat(25_000) } });
    expect(exact.status, exact.text).toBe(200);
    expect((await postmortemAudit(w)).map((row) => row.action)).toEqual(['postmortem.draft']);
  });

  it('refuses to publish without a draft, or before the incident is resolved', async () => {
    const w = await world({ open: true });
    const nothing = await w.client.put(`${w.path}/publish`, {});
    expect(nothing.status, nothing.text).toBe(409);
    expect((nothing.body as { message: string }).message).toMatch(/no postmortem draft/);
    expect((await w.client.put(w.path, { postmortem: { body_draft: 'Early' } })).status).toBe(200);
    const open = await w.client.put(`${w.path}/publish`, {});
    expect(open.status, open.text).toBe(409);
    const row = await incidentRow(w.incidentId);
    expect(row.postmortemPublishedAt).toBeNull();
    expect(row.status).toBe('investigating');
  });

  it('answers 404 for another org’s page and for an unknown incident', async () => {
    const w = await world();
    const stranger = await createOrg();
    const { secret } = await createApiKey(stranger, 'admin');
    expect((await api(secret).get(w.path)).status).toBe(404);
    const put = await api(secret).put(w.path, { postmortem: { body_draft: 'Not yours' } });
    expect(put.status).toBe(404);
    expect((await incidentRow(w.incidentId)).postmortemBody).toBeNull();
    const unknown = `/v1/pages/${w.page.id}/incidents/zzzzzzzzzzzz/postmortem`;
    expect((await w.client.get(unknown)).status).toBe(404);
  });
});

describe('postmortem webhooks', () => {
  it(
    'sends the incident, status postmortem with its body, only when asked to notify',
    async () => {
      const w = await world();
      const hookPath = `/ok/${crypto.randomUUID()}`;
      const subscribed = await w.client.post(`/v1/pages/${w.page.id}/subscribers`, {
        subscriber: { endpoint: `${HOOKS_ORIGIN}${hookPath}`, email: 'ops@example.test' },
      });
      expect(subscribed.status, subscribed.text).toBe(201);
      expect((await w.client.put(w.path, { postmortem: { body_draft: DRAFT } })).status).toBe(200);
      // Published without notify, reverted, then published with notify: one postmortem event.
      expect((await w.client.put(`${w.path}/publish`, {})).status).toBe(200);
      expect((await w.client.put(`${w.path}/revert`)).status).toBe(200);
      const notified = await w.client.put(`${w.path}/publish`, {
        postmortem: { notify_subscribers: true },
      });
      expect(notified.status, notified.text).toBe(200);

      const postmortemHooks = (hooks: ReceivedWebhook[]) =>
        hooks
          .map((hook) => JSON.parse(hook.body) as { incident?: Record<string, unknown> })
          .filter((body) => body.incident?.status === 'postmortem');
      const [payload, ...more] = await eventually(async () => {
        const res = await fetch(`${HOOKS_ORIGIN}/_received?prefix=${encodeURIComponent(hookPath)}`);
        const found = postmortemHooks((await res.json()) as ReceivedWebhook[]);
        return found.length > 0 ? found : null;
      }, QUEUE_WAIT_MS);
      expect(payload?.incident).toMatchObject({
        id: w.incidentId,
        status: 'postmortem',
        postmortem_body: DRAFT,
      });
      expect(more).toEqual([]);
      expect((await postmortemAudit(w)).at(-1)?.newValues).toMatchObject({ notify: true });
    },
    QUEUE_TEST_MS,
  );
});
