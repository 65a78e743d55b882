import { env } from 'cloudflare:workers';
import { createHmac } from 'node:crypto';
import {
  CreatedSubscriberJson,
  IncidentV2,
  StatusComponentV2,
  SubscriberJson,
} from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  auditLogs,
  type ComponentStatus,
  componentStatusLog,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  pages,
  subscribers,
  webhookDeliveries,
} from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import { verifyWebhookSignature } from '../src/lib/webhook-signature';
import { createServices } from '../src/services';
import { StatusService } from '../src/services/status-base';
import { assertWebhookEndpoint, endpointRules } from '../src/services/status-subscribers';
import { loadWebhookRows } from '../src/services/status-webhook-rows';
import { publishStatusEvents } from '../src/status-pages/events';
import { buildWebhookSnapshot } from '../src/status-pages/webhook-payload';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import {
  createApiKey,
  createMember,
  createOrg,
  createSession,
  db,
  type TestOrg,
} from './factories';
import { HOOKS_ORIGIN, type ReceivedWebhook } from './fake-webhook-receiver';
import { api, request } from './request';

// Status-page webhooks end to end: subscribers through the API, events through the real local
// queue, deliveries to a recording receiver (test/fake-webhook-receiver.ts) outside workerd.

interface World {
  owner: TestOrg;
  key: string;
  pageId: string;
  subdomain: string;
  api: ReturnType<typeof api>;
  componentA: string;
  componentB: string;
}

async function createWorld(): Promise<World> {
  const owner = await createOrg();
  const { accessToken } = await createSession(owner.ownerId);
  const pageId = newPublicId();
  const subdomain = `hooks-${pageId}`;
  const [componentA, componentB] = [newPublicId(), newPublicId()];
  await db().batch([
    db().insert(pages).values({
      id: pageId,
      orgId: owner.org.id,
      name: 'Hooks Demo',
      subdomain,
      timezone: 'America/New_York',
      statusIndicator: 'minor',
      statusDescription: 'Partially Degraded Service',
    }),
    db()
      .insert(components)
      .values([
        { id: componentA, pageId, name: 'API', position: 1 },
        { id: componentB, pageId, name: 'CDN', position: 2 },
      ]),
  ]);
  return {
    owner,
    key: accessToken,
    pageId,
    subdomain,
    api: api(accessToken),
    componentA,
    componentB,
  };
}

const unique = () => crypto.randomUUID();

async function subscribe(world: World, endpoint: string, componentIds?: string[]) {
  const res = await world.api.post<CreatedSubscriberJson>(`/v1/pages/${world.pageId}/subscribers`, {
    subscriber: {
      endpoint,
      email: 'ops@example.test',
      ...(componentIds ? { component_ids: componentIds } : {}),
    },
  });
  expect(res.status, res.text).toBe(201);
  return CreatedSubscriberJson.parse(res.body);
}

/** A component status change, as the management services report it after their commit. */
async function changeComponent(world: World, componentId: string, to: ComponentStatus) {
  const [row] = await db().select().from(components).where(eq(components.id, componentId));
  const from = row?.status ?? 'operational';
  const at = new Date();
  await db()
    .update(components)
    .set({ status: to, updatedAt: at })
    .where(eq(components.id, componentId));
  await publishStatusEvents(env, [
    {
      kind: 'component',
      pageId: world.pageId,
      componentId,
      oldStatus: from,
      newStatus: to,
      at,
      changeId: newPublicId(),
    },
  ]);
}

async function received(prefix: string): Promise<ReceivedWebhook[]> {
  const res = await fetch(`${HOOKS_ORIGIN}/_received?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as ReceivedWebhook[];
}

/** Waits until `count` requests reached `path` and returns them. */
function receivedAt(path: string, count = 1) {
  return eventually(async () => {
    const hooks = await received(path);
    return hooks.length >= count ? hooks : null;
  }, QUEUE_WAIT_MS);
}

const deliveriesOf = (subscriberId: string) =>
  db().select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriberId, subscriberId));

const subscriberRow = async (id: string) =>
  (await db().select().from(subscribers).where(eq(subscribers.id, id)))[0];

function signatureParts(header: string | undefined) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1] || !match[2]) throw new Error(`bad signature header: ${header}`);
  return { t: Number(match[1]), v1: match[2] };
}

let world: World;
beforeAll(async () => {
  world = await createWorld();
});

describe('webhook subscribers', () => {
  it(
    'signs every delivery with the secret shown once at creation',
    async () => {
      const path = `/ok/${unique()}`;
      const created = await subscribe(world, `${HOOKS_ORIGIN}${path}`);
      expect(created.mode).toBe('webhook');
      expect(created.signing_secret).toMatch(/^whsec_[0-9A-Za-z]{40}$/);
      const secret = created.signing_secret ?? '';
      const again = await world.api.get(`/v1/pages/${world.pageId}/subscribers/${created.id}`);
      expect(again.status).toBe(200);
      expect(again.text).not.toContain(secret);
      expect(SubscriberJson.strict().parse(again.body).id).toBe(created.id);
      // At rest the secret is ciphertext, never the value.
      expect((await subscriberRow(created.id))?.signingSecret).toMatch(/^v1\./);

      await changeComponent(world, world.componentA, 'major_outage');
      const [hook] = await receivedAt(path);
      if (!hook) throw new Error('no delivery');
      expect(hook.method).toBe('POST');
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['user-agent']).toBe('Skypatch-Webhooks/1');
      const { t, v1 } = signatureParts(hook.headers['x-skypatch-signature']);
      expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
      // An independent implementation (node:crypto) agrees with ours.
      expect(createHmac('sha256', secret).update(`${t}.${hook.body}`).digest('hex')).toBe(v1);
      const header = hook.headers['x-skypatch-signature'];
      expect(await verifyWebhookSignature(secret, header, hook.body, Date.now())).toBe(true);
      const tampered = hook.body.replace('major_outage', 'operational');
      expect(tampered).not.toBe(hook.body);
      expect(await verifyWebhookSignature(secret, header, tampered, Date.now())).toBe(false);
      expect(await verifyWebhookSignature(`${secret}x`, header, hook.body, Date.now())).toBe(false);
      // Replays: outside the 5-minute window the same request no longer verifies.
      const later = (t + 301) * 1000;
      expect(await verifyWebhookSignature(secret, header, hook.body, later)).toBe(false);

      const [delivery] = await eventually(async () => {
        const rows = await deliveriesOf(created.id);
        return rows[0]?.status === 'delivered' ? rows : null;
      }, QUEUE_WAIT_MS);
      expect(delivery).toMatchObject({ attempts: 1, responseStatus: 200, event: 'component' });
      expect(hook.headers['x-skypatch-delivery']).toBe(delivery?.id);
    },
    QUEUE_TEST_MS,
  );

  it(
    'sends a component change as §5.2 describes it, with the page state after the change',
    async () => {
      const path = `/ok/${unique()}`;
      await subscribe(world, `${HOOKS_ORIGIN}${path}`);
      await changeComponent(world, world.componentB, 'partial_outage');
      const [hook] = await receivedAt(path);
      const payload = JSON.parse(hook?.body ?? '{}');
      expect(Object.keys(payload)).toEqual(['meta', 'page', 'component_update', 'component']);
      expect(payload.meta.unsubscribe).toMatch(
        new RegExp(`/status/${world.subdomain}/unsubscribe\\?token=spu_[\\w-]+$`),
      );
      expect(payload.meta.documentation).toMatch(/\/docs$/);
      // Page-time-zone timestamps with milliseconds (§1.4): New York is UTC−5 in winter, −4 in summer.
      expect(payload.meta.generated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[45]:00$/);
      expect(payload.page).toEqual({
        id: world.pageId,
        status_indicator: 'minor',
        status_description: 'Partially Degraded Service',
      });
      expect(payload.component_update).toMatchObject({
        old_status: 'operational',
        new_status: 'partial_outage',
        component_type: 'Component',
        component_id: world.componentB,
      });
      expect(payload.component_update.id).toMatch(/^[0-9a-z]{12}$/);
      const component = StatusComponentV2.strict().parse(payload.component);
      expect(component).toMatchObject({ id: world.componentB, status: 'partial_outage' });
    },
    QUEUE_TEST_MS,
  );

  it(
    'sends an incident event with the full incident, its updates newest first',
    async () => {
      const path = `/ok/${unique()}`;
      await subscribe(world, `${HOOKS_ORIGIN}${path}`);
      const incidentId = newPublicId();
      const [first, second] = [newPublicId(), newPublicId()];
      const t0 = new Date(Date.now() - 60_000);
      const t1 = new Date();
      await db().batch([
        db().insert(incidents).values({
          id: incidentId,
          pageId: world.pageId,
          name: 'Elevated API latency',
          status: 'identified',
          impact: 'minor',
          createdAt: t0,
          updatedAt: t1,
        }),
        db()
          .insert(incidentUpdates)
          .values([
            {
              id: first,
              incidentId,
              status: 'investigating',
              body: 'Looking',
              displayAt: t0,
              createdAt: t0,
            },
            {
              id: second,
              incidentId,
              status: 'identified',
              body: 'Found it',
              displayAt: t1,
              createdAt: t1,
            },
          ]),
        db().insert(incidentComponents).values({
          id: newPublicId(),
          incidentId,
          componentId: world.componentA,
          incidentUpdateId: first,
          oldStatus: 'operational',
          newStatus: 'degraded_performance',
          createdAt: t0,
        }),
      ]);
      await publishStatusEvents(env, [{ kind: 'incident', pageId: world.pageId, incidentId }]);
      const [hook] = await receivedAt(path);
      const payload = JSON.parse(hook?.body ?? '{}');
      expect(Object.keys(payload)).toEqual(['meta', 'page', 'incident']);
      const incident = IncidentV2.parse(payload.incident);
      expect(incident.id).toBe(incidentId);
      expect(incident.incident_updates.map((update) => update.id)).toEqual([second, first]);
      expect(incident.components.map((component) => component.id)).toEqual([world.componentA]);
      expect(incident.incident_updates[1]?.affected_components?.[0]?.code).toBe(world.componentA);
      // The management fields beyond the public object (§5.2).
      expect(payload.incident).toMatchObject({
        impact_override: null,
        backfilled: false,
        postmortem_body: null,
        scheduled_for: null,
        scheduled_auto_completed: false,
      });
      expect(payload.incident).not.toHaveProperty('metadata');
      expect(payload.incident.incident_updates[0]).toMatchObject({
        wants_twitter_update: false,
        twitter_updated_at: null,
      });

      // An update posted with deliver_notifications off notifies nobody.
      const silent = newPublicId();
      await db().batch([
        db().insert(incidents).values({
          id: silent,
          pageId: world.pageId,
          name: 'Quiet fix',
          status: 'resolved',
          impact: 'none',
        }),
        db().insert(incidentUpdates).values({
          id: newPublicId(),
          incidentId: silent,
          status: 'resolved',
          body: 'Fixed quietly',
          deliverNotifications: false,
        }),
      ]);
      const webhooks = createServices(env).statusWebhooks;
      const fanOut = (id: string) =>
        webhooks.fanOut(`evt_${unique()}`, {
          kind: 'incident',
          pageId: world.pageId,
          incidentId: id,
        });
      expect(await fanOut(silent)).toBe(0);
      expect(await fanOut(incidentId)).toBeGreaterThan(0); // the same call, notifications on
    },
    QUEUE_TEST_MS,
  );

  it(
    'delivers only to subscribers of the touched components (empty = all)',
    async () => {
      const run = unique();
      const onlyA = await subscribe(world, `${HOOKS_ORIGIN}/ok/${run}/a`, [world.componentA]);
      const onlyB = await subscribe(world, `${HOOKS_ORIGIN}/ok/${run}/b`, [world.componentB]);
      await subscribe(world, `${HOOKS_ORIGIN}/ok/${run}/all`);
      await changeComponent(world, world.componentA, 'degraded_performance');
      await receivedAt(`/ok/${run}/a`);
      await receivedAt(`/ok/${run}/all`);
      // The fan-out records every delivery before queueing any, so B's absence is final.
      expect(await deliveriesOf(onlyB.id)).toEqual([]);
      expect(await received(`/ok/${run}/b`)).toEqual([]);
      expect(await deliveriesOf(onlyA.id)).toHaveLength(1);
    },
    QUEUE_TEST_MS,
  );

  it(
    'retries 3xx and 5xx answers, never follows a redirect, then quarantines; reactivate resumes',
    async () => {
      const run = unique();
      const failing = await subscribe(world, `${HOOKS_ORIGIN}/fail/${run}`);
      const redirecting = await subscribe(world, `${HOOKS_ORIGIN}/redirect/${run}`);
      await changeComponent(world, world.componentB, 'major_outage');
      for (const subscriber of [failing, redirecting]) {
        await eventually(async () => {
          const row = await subscriberRow(subscriber.id);
          return row?.quarantinedAt ? row : null;
        }, QUEUE_WAIT_MS);
      }
      // The first try and max_retries (5) more, then the dead-letter queue.
      expect(await received(`/fail/${run}`)).toHaveLength(6);
      expect(await received(`/redirect/${run}`)).toHaveLength(6);
      expect(await received(`/ok/redirected/redirect/${run}`)).toEqual([]);
      const [failed] = await deliveriesOf(failing.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 6, responseStatus: 500 });
      const [redirected] = await deliveriesOf(redirecting.id);
      expect(redirected).toMatchObject({ status: 'failed', responseStatus: 302 });
      // The status only: the Location is the receiver's text, not for the team's screen.
      expect(redirected?.lastError).toBe('HTTP 302 (redirect not followed)');

      const row = await subscriberRow(failing.id);
      const quarantinedAt = row?.quarantinedAt?.getTime() ?? 0;
      expect(row?.purgeAt?.getTime()).toBe(quarantinedAt + 30 * 24 * 60 * 60 * 1000);
      const listed = await world.api.get<SubscriberJson[]>(
        `/v1/pages/${world.pageId}/subscribers?state=quarantined`,
      );
      expect(listed.body.map((s) => s.id).sort()).toEqual([failing.id, redirecting.id].sort());
      const audits = await db()
        .select()
        .from(auditLogs)
        .where(
          and(eq(auditLogs.resourceId, failing.id), eq(auditLogs.action, 'subscriber.quarantine')),
        );
      expect(audits).toHaveLength(1);

      // Quarantined: the next event skips it.
      const okPath = `/ok/${run}/after`;
      const witness = await subscribe(world, `${HOOKS_ORIGIN}${okPath}`);
      await changeComponent(world, world.componentB, 'operational');
      await receivedAt(okPath);
      expect(await deliveriesOf(failing.id)).toHaveLength(1);
      expect(await deliveriesOf(witness.id)).toHaveLength(1);

      // Reactivated (and pointed at a working endpoint), it hears the next event.
      const base = `/v1/pages/${world.pageId}/subscribers/${failing.id}`;
      const reactivated = await world.api.post<SubscriberJson>(`${base}/reactivate`);
      expect(reactivated.status).toBe(200);
      expect(reactivated.body).toMatchObject({ quarantined_at: null, purge_at: null });
      const moved = await world.api.patch(base, {
        subscriber: { endpoint: `${HOOKS_ORIGIN}/ok/${run}/fixed` },
      });
      expect(moved.status, moved.text).toBe(200);
      await changeComponent(world, world.componentB, 'degraded_performance');
      await receivedAt(`/ok/${run}/fixed`);
    },
    QUEUE_TEST_MS * 2,
  );

  it(
    'ends a subscription through the unsubscribe link in its payload',
    async () => {
      const path = `/ok/${unique()}`;
      const created = await subscribe(world, `${HOOKS_ORIGIN}${path}`);
      await changeComponent(world, world.componentA, 'operational');
      const [hook] = await receivedAt(path);
      const link = new URL(JSON.parse(hook?.body ?? '{}').meta.unsubscribe);
      const target = `${link.pathname}${link.search}`;

      const form = await request('GET', target);
      expect(form.status).toBe(200);
      expect(form.text).toContain('<form method="post"');
      expect(await subscriberRow(created.id)).toBeDefined(); // a GET changes nothing

      const wrongPage = await request('POST', target.replace(world.subdomain, 'other-page'));
      expect(wrongPage.status).toBe(404);
      const done = await request('POST', target);
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ unsubscribed: true });
      expect(await subscriberRow(created.id)).toBeUndefined();
      const audit = await db()
        .select()
        .from(auditLogs)
        .where(
          and(eq(auditLogs.resourceId, created.id), eq(auditLogs.action, 'subscriber.unsubscribe')),
        );
      expect(audit).toHaveLength(1);
      expect((await request('POST', target)).status).toBe(404);
    },
    QUEUE_TEST_MS,
  );
});

describe('subscriber management', () => {
  it('refuses bad input with a 4xx and writes nothing', async () => {
    const own = await createWorld();
    const url = `/v1/pages/${own.pageId}/subscribers`;
    const bad: [unknown, number][] = [
      [{ subscriber: { endpoint: 'http://hooks.example.com/x', email: 'a@example.test' } }, 400],
      [{ subscriber: { endpoint: 'ftp://hooks.example.com/x', email: 'a@example.test' } }, 400],
      [
        { subscriber: { endpoint: 'https://u:p@hooks.example.com/', email: 'a@example.test' } },
        400,
      ],
      [{ subscriber: { endpoint: `https://x.test/${'a'.repeat(2048)}`, email: 'a@x.test' } }, 400],
      [{ subscriber: { endpoint: 'https://hooks.example.com/x' } }, 400], // no email
      [{ subscriber: { component_ids: [own.componentA] } }, 400], // neither endpoint nor email
      [{ subscriber: { endpoint: 'not a url', email: 'a@example.test' } }, 400],
      [{ endpoint: 'https://hooks.example.com/x', email: 'a@example.test' }, 400], // not wrapped
      [
        {
          subscriber: {
            endpoint: 'https://hooks.example.com/x',
            email: 'a@example.test',
            component_ids: [own.componentA, 'nosuchcompo'],
          },
        },
        400,
      ],
    ];
    for (const [body, status] of bad) {
      const res = await own.api.post(url, body);
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(status);
    }
    const unknown = await own.api.post<{ error: { details: { unknown: string[] } } }>(url, {
      subscriber: {
        endpoint: 'https://hooks.example.com/x',
        email: 'a@example.test',
        component_ids: ['nosuchcompo'],
      },
    });
    expect(unknown.body.error.details.unknown).toEqual(['nosuchcompo']);
    const rows = await db().select().from(subscribers).where(eq(subscribers.pageId, own.pageId));
    expect(rows).toEqual([]);
    const audits = await db().select().from(auditLogs).where(eq(auditLogs.orgId, own.owner.org.id));
    expect(audits.filter((row) => row.action.startsWith('subscriber.'))).toEqual([]);

    // http://localhost is allowed with ALLOW_INSECURE_WEBHOOKS=true (vitest.config.ts), for a
    // receiver on the developer's machine.
    const local = await own.api.post(url, {
      subscriber: { endpoint: 'http://localhost:9000/hook', email: 'a@example.test' },
    });
    expect(local.status, local.text).toBe(201);
    const duplicate = await own.api.post(url, {
      subscriber: { endpoint: 'http://localhost:9000/hook', email: 'b@example.test' },
    });
    expect(duplicate.status).toBe(409);
  });

  it('lists, filters, updates and deletes subscribers, each change audited', async () => {
    const own = await createWorld();
    const url = `/v1/pages/${own.pageId}/subscribers`;
    const hook = await subscribe(own, 'https://hooks.example.com/one', [own.componentA]);
    const mail = await own.api.post<CreatedSubscriberJson>(url, {
      subscriber: { email: 'reader@example.test' },
    });
    expect(mail.status).toBe(201);
    expect(mail.body).toMatchObject({ mode: 'email', signing_secret: null, confirmed_at: null });

    const all = await own.api.get<SubscriberJson[]>(url);
    expect(all.body.map((s) => s.id)).toEqual([hook.id, mail.body.id]);
    const webhooks = await own.api.get<SubscriberJson[]>(`${url}?type=webhook`);
    expect(webhooks.body.map((s) => s.id)).toEqual([hook.id]);
    const second = await own.api.get<SubscriberJson[]>(`${url}?limit=1&page=2`);
    expect(second.body.map((s) => s.id)).toEqual([mail.body.id]);

    const patched = await own.api.patch<SubscriberJson>(`${url}/${hook.id}`, {
      subscriber: { component_ids: null },
    });
    expect(patched.body.components).toEqual([]);
    const badPatch = await own.api.patch(`${url}/${hook.id}`, {
      subscriber: { component_ids: ['nosuchcompo'] },
    });
    expect(badPatch.status).toBe(400);
    const emailEndpoint = await own.api.patch(`${url}/${mail.body.id}`, {
      subscriber: { endpoint: 'https://hooks.example.com/two' },
    });
    expect(emailEndpoint.status).toBe(400);

    const removed = await own.api.delete<SubscriberJson>(`${url}/${hook.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body.id).toBe(hook.id);
    expect((await own.api.get(`${url}/${hook.id}`)).status).toBe(404);

    const actions = (
      await db().select().from(auditLogs).where(eq(auditLogs.resourceId, hook.id))
    ).map((row) => row.action);
    expect(actions.sort()).toEqual(['subscriber.create', 'subscriber.delete', 'subscriber.update']);
  });

  it('keeps subscribers from viewers and read-only keys, and hides the page from other orgs', async () => {
    const own = await createWorld();
    const url = `/v1/pages/${own.pageId}/subscribers`;
    const hook = await subscribe(own, 'https://hooks.example.com/secret-slack-path');
    // Endpoints are often credentials (Slack, Discord URLs): reading them takes statuspage.manage.
    const viewer = api((await createMember(own.owner, 'viewer')).accessToken);
    const readOnly = api((await createApiKey(own.owner, 'owner', { scope: 'read_only' })).secret);
    for (const reader of [viewer, readOnly]) {
      for (const path of [url, `${url}/${hook.id}`]) {
        const res = await reader.get(path);
        expect(res.status, path).toBe(403);
        expect(res.text).not.toContain('secret-slack-path');
      }
    }
    const body = { subscriber: { endpoint: 'https://hooks.example.com/v', email: 'v@x.test' } };
    expect((await viewer.post(url, body)).status).toBe(403);
    const stranger = await createOrg();
    const outsider = api((await createSession(stranger.ownerId)).accessToken);
    expect((await outsider.get(url)).status).toBe(404);
    expect((await outsider.post(url, body)).status).toBe(404);
  });

  it('purges subscribers past purge_at and deliveries older than 30 days', async () => {
    const own = await createWorld();
    const now = new Date();
    const day = 24 * 60 * 60 * 1000;
    const [expired, waiting] = [newPublicId(), newPublicId()];
    const base = { pageId: own.pageId, mode: 'webhook' as const, endpoint: 'https://x.test/' };
    await db()
      .insert(subscribers)
      .values([
        {
          ...base,
          id: expired,
          quarantinedAt: new Date(now.getTime() - 31 * day),
          purgeAt: new Date(now.getTime() - day),
        },
        {
          ...base,
          id: waiting,
          endpoint: 'https://y.test/',
          quarantinedAt: now,
          purgeAt: new Date(now.getTime() + 30 * day),
        },
      ]);
    const [old, recent] = [`dlv_old_${newPublicId()}`, `dlv_new_${newPublicId()}`];
    await db()
      .insert(webhookDeliveries)
      .values([
        {
          id: old,
          subscriberId: waiting,
          event: 'component',
          createdAt: new Date(now.getTime() - 31 * day),
        },
        { id: recent, subscriberId: waiting, event: 'component', createdAt: now },
      ]);
    await createServices(env).statusWebhooks.purgeExpired(now);
    expect(await subscriberRow(expired)).toBeUndefined();
    expect(await subscriberRow(waiting)).toBeDefined();
    expect((await deliveriesOf(waiting)).map((row) => row.id)).toEqual([recent]);
  });
});

describe('webhook review fixes', () => {
  it('refuses endpoints that reach internal, loopback or our own hosts', async () => {
    const rules = endpointRules({
      PUBLIC_URL: 'https://api.skypatch.test',
      STATUS_PAGES_DOMAIN: 'status.skypatch.test',
      ALLOW_INSECURE_WEBHOOKS: 'false',
    });
    expect(rules).toEqual({
      allowInsecure: false,
      platformHosts: ['api.skypatch.test', 'status.skypatch.test'],
    });
    const refused = [
      'https://10.0.0.1/x',
      'https://127.0.0.1/',
      'https://0x7f.1/', // the URL parser turns these into 127.0.0.1
      'https://2130706433/',
      'https://[::1]/',
      'https://[fd00::1]/hook',
      'https://[::ffff:169.254.169.254]/',
      'https://localhost/',
      'https://localhost./',
      'https://app.localhost/',
      'https://printer.local/',
      'https://metadata.google.internal/',
      'https://intranet/',
      'https://hooks.example.com:8443/',
      'https://hooks.example.com:80/',
      'https://api.skypatch.test/v1/anything',
      'https://status.skypatch.test/',
      'https://acme.STATUS.skypatch.test/',
      'http://hooks.example.com/',
      'http://localhost:9000/hook', // development only, and only when the var says so
    ];
    for (const endpoint of refused) {
      expect(() => assertWebhookEndpoint(endpoint, rules), endpoint).toThrow();
    }
    const accepted = [
      'https://hooks.example.com/x',
      'https://hooks.slack.com/services/T0/B0/xyz',
      'https://evilstatus.skypatch.test/', // not a subdomain of ours
    ];
    for (const endpoint of accepted) {
      expect(assertWebhookEndpoint(endpoint, rules)).toBe(endpoint);
    }
    expect(assertWebhookEndpoint('https://hooks.example.com:443/x', rules)).toBe(
      'https://hooks.example.com/x',
    );
    const dev = { ...rules, allowInsecure: true };
    for (const endpoint of [
      'http://localhost:9000/h',
      'http://127.0.0.1:8080/',
      'http://[::1]:3000/',
    ]) {
      expect(assertWebhookEndpoint(endpoint, dev)).toBe(endpoint);
    }
    expect(() => assertWebhookEndpoint('http://10.0.0.1/', dev)).toThrow();
    expect(() => assertWebhookEndpoint('http://hooks.example.com/', dev)).toThrow();

    // Through the API: a 400, nothing written.
    const own = await createWorld();
    const res = await own.api.post(`/v1/pages/${own.pageId}/subscribers`, {
      subscriber: { endpoint: 'https://169.254.169.254/latest', email: 'a@example.test' },
    });
    expect(res.status, res.text).toBe(400);
    expect(await db().select().from(subscribers).where(eq(subscribers.pageId, own.pageId))).toEqual(
      [],
    );
  });

  it(
    'sends each incident update as of itself, even when the next one lands first',
    async () => {
      const own = await createWorld();
      const path = `/ok/${unique()}`;
      await subscribe(own, `${HOOKS_ORIGIN}${path}`);
      const created = await own.api.post<{ id: string }>(`/v1/pages/${own.pageId}/incidents`, {
        incident: {
          name: 'Quick succession',
          status: 'investigating',
          components: { [own.componentA]: 'degraded_performance' },
        },
      });
      expect(created.status, created.text).toBe(201);
      const url = `/v1/pages/${own.pageId}/incidents/${created.body.id}`;
      for (const status of ['identified', 'monitoring']) {
        const res = await own.api.patch(url, { incident: { status, body: `Now ${status}` } });
        expect(res.status, res.text).toBe(200);
      }
      const incidentsSent = await eventually(async () => {
        const bodies = (await received(path)).map((hook) => JSON.parse(hook.body));
        const withIncident = bodies.filter((body) => body.incident);
        return withIncident.length >= 3 ? withIncident : null;
      }, QUEUE_WAIT_MS);
      const seen = incidentsSent
        .map((body) => [
          body.incident.status,
          body.incident.incident_updates.map((u: { status: string }) => u.status).join(','),
        ])
        .sort();
      expect(seen).toEqual([
        ['identified', 'identified,investigating'],
        ['investigating', 'investigating'],
        ['monitoring', 'monitoring,identified,investigating'],
      ]);
    },
    QUEUE_TEST_MS,
  );

  it('decides notification from the announced update, not the newest', async () => {
    const own = await createWorld();
    await subscribe(own, `${HOOKS_ORIGIN}/ok/${unique()}`);
    const incidentId = newPublicId();
    const [loud, quiet] = [newPublicId(), newPublicId()];
    const t0 = new Date(Date.now() - 1000);
    await db().batch([
      db().insert(incidents).values({
        id: incidentId,
        pageId: own.pageId,
        name: 'Two updates',
        status: 'identified',
        impact: 'none',
      }),
      db()
        .insert(incidentUpdates)
        .values([
          { id: loud, incidentId, status: 'investigating', body: 'Loud', createdAt: t0 },
          {
            id: quiet,
            incidentId,
            status: 'identified',
            body: 'Quiet',
            deliverNotifications: false,
          },
        ]),
    ]);
    const webhooks = createServices(env).statusWebhooks;
    const fanOut = (incidentUpdateId: string) =>
      webhooks.fanOut(`evt_${unique()}`, {
        kind: 'incident',
        pageId: own.pageId,
        incidentId,
        incidentUpdateId,
      });
    expect(await fanOut(loud)).toBe(1);
    expect(await fanOut(quiet)).toBe(0);
  });

  it(
    'measures queue messages in bytes: a large multi-byte payload still arrives',
    async () => {
      const own = await createWorld();
      const path = `/ok/${unique()}`;
      await subscribe(own, `${HOOKS_ORIGIN}${path}`);
      const incidentId = newPublicId();
      // 45,000 characters but 135,000 UTF-8 bytes: over the 128 KB message limit if embedded.
      const body = '€'.repeat(45_000);
      await db().batch([
        db().insert(incidents).values({
          id: incidentId,
          pageId: own.pageId,
          name: 'Wordy',
          status: 'investigating',
          impact: 'none',
        }),
        db()
          .insert(incidentUpdates)
          .values({ id: newPublicId(), incidentId, status: 'investigating', body }),
      ]);
      await publishStatusEvents(env, [{ kind: 'incident', pageId: own.pageId, incidentId }]);
      const [hook] = await receivedAt(path);
      expect(JSON.parse(hook?.body ?? '{}').incident.incident_updates[0].body).toBe(body);
    },
    QUEUE_TEST_MS,
  );

  it('POSTs a delivery once however many copies run, and a repeated fan-out queues nothing', async () => {
    const own = await createWorld();
    const path = `/ok/${unique()}`;
    const hook = await subscribe(own, `${HOOKS_ORIGIN}${path}`);
    const deliveryId = `dlv_${unique().replaceAll('-', '')}`;
    await db()
      .insert(webhookDeliveries)
      .values({ id: deliveryId, subscriberId: hook.id, event: 'component' });
    const event = {
      kind: 'component' as const,
      pageId: own.pageId,
      componentId: own.componentA,
      oldStatus: 'operational' as const,
      newStatus: 'degraded_performance' as const,
      at: new Date(),
      changeId: newPublicId(),
    };
    const message = {
      type: 'delivery' as const,
      eventId: `evt_${unique()}`,
      deliveryId,
      subscriberId: hook.id,
      event,
    };
    const webhooks = createServices(env).statusWebhooks;
    const outcomes = await Promise.all([
      webhooks.deliver(message, 1),
      webhooks.deliver(message, 1),
      webhooks.deliver(message, 1),
    ]);
    expect(outcomes.sort()).toEqual(['delivered', 'dropped', 'dropped']);
    expect(await received(path)).toHaveLength(1);

    const eventId = `evt_${unique()}`;
    expect(await webhooks.fanOut(eventId, event)).toBe(1);
    expect(await webhooks.fanOut(eventId, event)).toBe(0); // its delivery exists: queued already
  });

  it(
    'publishes a component event only when the status really changed, old status from the log',
    async () => {
      const own = await createWorld();
      const path = `/ok/${unique()}`;
      await subscribe(own, `${HOOKS_ORIGIN}${path}`);
      // A is already major_outage (another writer won); B moved to partial_outage meanwhile.
      await db().batch([
        db()
          .update(components)
          .set({ status: 'major_outage' })
          .where(eq(components.id, own.componentA)),
        db()
          .update(components)
          .set({ status: 'partial_outage' })
          .where(eq(components.id, own.componentB)),
        db()
          .insert(componentStatusLog)
          .values({
            id: newPublicId(),
            pageId: own.pageId,
            componentId: own.componentB,
            status: 'partial_outage',
            startedAt: new Date(Date.now() - 60_000),
          }),
      ]);
      const probe = new ChangeProbe(env);
      // Both planned from a stale read of "operational".
      await probe.change({ id: own.componentA, pageId: own.pageId }, 'operational', 'major_outage');
      await probe.change({ id: own.componentB, pageId: own.pageId }, 'operational', 'major_outage');
      const [hook] = await receivedAt(path);
      const payload = JSON.parse(hook?.body ?? '{}');
      expect(payload.component_update).toMatchObject({
        component_id: own.componentB,
        old_status: 'partial_outage',
        new_status: 'major_outage',
      });
      // A's change wrote nothing, so nothing was sent for it (it was queued first, if at all).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const sent = (await received(path)).map((h) => JSON.parse(h.body).component_update);
      expect(sent.map((update) => update.component_id)).toEqual([own.componentB]);
    },
    QUEUE_TEST_MS,
  );

  it('sends the postmortem only once published, and never the metadata', async () => {
    const own = await createWorld();
    const incidentId = newPublicId();
    await db()
      .insert(incidents)
      .values({
        id: incidentId,
        pageId: own.pageId,
        name: 'Postmortem pending',
        status: 'postmortem',
        impact: 'minor',
        postmortemBody: 'Draft: blame the intern',
        metadata: { jira: { ticket: 'OPS-1' } },
      });
    const event = { kind: 'incident' as const, pageId: own.pageId, incidentId };
    const snapshot = async () => {
      const rows = await loadWebhookRows(db(), event);
      if (!rows) throw new Error('rows gone');
      return buildWebhookSnapshot(rows, event, { pageUrl: 'https://s.test', now: new Date() });
    };
    const draft = (await snapshot())?.incident;
    expect(draft).toMatchObject({ postmortem_body: null, postmortem_published_at: null });
    expect(draft).not.toHaveProperty('metadata');
    await db()
      .update(incidents)
      .set({ postmortemPublishedAt: new Date() })
      .where(eq(incidents.id, incidentId));
    const published = (await snapshot())?.incident;
    expect(published).toMatchObject({ postmortem_body: 'Draft: blame the intern' });
    expect(published).not.toHaveProperty('metadata');
  });
});

/** Plans and commits one component status change the way the management services do. */
class ChangeProbe extends StatusService {
  async change(
    component: { id: string; pageId: string },
    from: ComponentStatus,
    to: ComponentStatus,
  ) {
    const now = new Date();
    const planned = this.changeComponentStatus(component, from, to, now);
    if (!planned) throw new Error('nothing planned');
    await this.commit(component.pageId, planned.statements, now, [planned]);
  }
}
