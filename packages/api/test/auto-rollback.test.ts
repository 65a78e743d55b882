import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { ReleaseHealthJson, StatusSummaryV2, UpdateCheckJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { auditLogs, releases } from '../src/db/schema';
import { deviceEvent, type TelemetryEventType } from '../src/delivery/telemetry';
import worker from '../src/index';
import { createServices } from '../src/services';
import { db } from './factories';
import { type PublishingWorld, publish, publishingWorld } from './publish';
import { api, request } from './request';

// Crash-rate auto-rollback end to end: a published release, a telemetry batch through the
// real consumer, and the next native check of a device on it.

const bundle = (text: string) => strToU8(`${'var module = {};\n'.repeat(200)}${text}\n`);

/** Two releases on the channel, v2 the newest, on an app with the given settings. */
async function world(settings: Record<string, unknown>) {
  const w = await publishingWorld();
  const patched = await api(w.key.secret).patch(`/v1/orgs/${w.test.org.id}/apps/${w.app.id}`, {
    settings,
  });
  expect(patched.status, patched.text).toBe(200);
  const v1 = await publish(w, bundle('v1'), { type: 'application/javascript' });
  const v2 = await publish(w, bundle('v2'), { type: 'application/javascript' });
  return { w, v1, v2 };
}

/** One queue batch to the consumer: `installs` devices install the release, `crashes` crash. */
async function deliver(w: PublishingWorld, releaseId: string, installs: number, crashes: number) {
  const t = Date.now() - 60_000;
  const ev = (type: TelemetryEventType, i: number) =>
    deviceEvent({ type, appId: w.app.id, deviceId: `d${i}`, releaseId, timestamp: t + i });
  const events = [
    ...Array.from({ length: installs }, (_, i) => ev('update_installed', i)),
    ...Array.from({ length: crashes }, (_, i) => ev('crash', i)),
  ];
  const batch = createMessageBatch('skypatch-telemetry', [
    { id: 'm0', timestamp: new Date(), attempts: 1, body: { events } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.ackAll).toBe(true);
}

async function releaseRow(id: string) {
  const [row] = await db().select().from(releases).where(eq(releases.id, id));
  return row;
}

const autoAudits = (releaseId: string) =>
  db()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.resourceId, releaseId), eq(auditLogs.action, 'release.auto_rollback')));

async function check(w: PublishingWorld, currentReleaseId: string) {
  const res = await request<UpdateCheckJson>('POST', '/v1/updates/check', {
    json: {
      deploymentKey: w.channel.deploymentKey,
      platform: w.app.platform,
      appVersion: '1.0.0',
      deviceId: 'device-on-v2',
      currentReleaseId,
    },
  });
  expect(res.status, res.text).toBe(200);
  return UpdateCheckJson.parse(res.body);
}

describe('crash-rate auto-rollback', () => {
  const settings = { crashRollbackThreshold: 0.05, crashRollbackMinInstalls: 20 };

  it('rolls back a release whose crash rate passes the threshold; devices go back', async () => {
    const { w, v1, v2 } = await world(settings);
    expect(await check(w, v2)).toMatchObject({ action: 'none' });

    await deliver(w, v2, 40, 12); // 30%, Wilson lower bound 18.1%
    const row = await releaseRow(v2);
    expect(row?.status).toBe('rolled_back');
    expect(row?.rollbackReason).toBe(
      'Crash rate 30% (Wilson lower bound 18.1%) over 40 installs passed the 5% threshold',
    );
    const audits = await autoAudits(v2);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actorType: 'system',
      userId: null,
      orgId: w.test.org.id,
      newValues: { status: 'rolled_back', rollbackReason: row?.rollbackReason },
    });
    expect((await releaseRow(v1))?.status).toBe('active');

    // The channel's cache stamp moved: the next check sends the device back to v1.
    expect(await check(w, v2)).toMatchObject({
      action: 'rollback',
      update: { releaseId: v1, mandatory: true },
    });

    // Safe twice: more crashes, or a direct second call, change nothing.
    await deliver(w, v2, 0, 5);
    expect(await createServices(env).releases.autoRollback(v2, 'again')).toBeNull();
    expect(await autoAudits(v2)).toHaveLength(1);
    expect((await releaseRow(v2))?.rollbackReason).toBe(row?.rollbackReason);
  }, 30_000);

  it('pauses instead when the app says so', async () => {
    const { w, v2 } = await world({ ...settings, crashRollbackAction: 'pause' });
    await deliver(w, v2, 20, 10);
    expect(await releaseRow(v2)).toMatchObject({ status: 'paused' });
    expect(await autoAudits(v2)).toHaveLength(1);
  }, 30_000);

  it('opens an incident on the linked status component, shown by the public API', async () => {
    const w0 = await publishingWorld();
    const client = api(w0.key.secret);
    const subdomain = `app-${w0.test.org.id.slice(4, 14).toLowerCase()}`;
    const page = await client.post<{ id: string }>(`/v1/orgs/${w0.test.org.id}/pages`, {
      page: { name: 'Shop status', subdomain },
    });
    expect(page.status, page.text).toBe(201);
    const component = await client.post<{ id: string }>(`/v1/pages/${page.body.id}/components`, {
      component: { name: 'Shop app' },
    });
    expect(component.status, component.text).toBe(201);
    const linked = await client.patch(`/v1/orgs/${w0.test.org.id}/apps/${w0.app.id}`, {
      settings: { ...settings, statusComponentId: component.body.id },
    });
    expect(linked.status, linked.text).toBe(200);
    await publish(w0, bundle('v1'), { type: 'application/javascript' });
    const v2 = await publish(w0, bundle('v2'), { type: 'application/javascript' });

    await deliver(w0, v2, 40, 12);
    expect((await releaseRow(v2))?.status).toBe('rolled_back');
    const summary = await request<StatusSummaryV2>(
      'GET',
      `/status/${subdomain}/api/v2/summary.json`,
    );
    expect(summary.status, summary.text).toBe(200);
    const { incidents, components, status } = StatusSummaryV2.parse(summary.body);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      status: 'monitoring',
      impact: 'minor',
      components: [{ id: component.body.id, status: 'degraded_performance' }],
    });
    expect(incidents[0]?.name).toContain('rolled back for crashes');
    expect(incidents[0]?.incident_updates[0]?.body).toContain('Crash rate 30%');
    expect(components).toMatchObject([{ name: 'Shop app', status: 'degraded_performance' }]);
    expect(status.indicator).toBe('minor');
    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(
        and(eq(auditLogs.orgId, w0.test.org.id), eq(auditLogs.resourceType, 'status_incident')),
      );
    expect(audit).toMatchObject({ actorType: 'system', userId: null });
  }, 30_000);

  it('leaves the release active below the minimum installs or the threshold', async () => {
    const { w, v2 } = await world(settings);
    await deliver(w, v2, 19, 19); // every install crashed, but only 19 installs
    expect((await releaseRow(v2))?.status).toBe('active');
    expect(await autoAudits(v2)).toHaveLength(0);

    const below = await world(settings);
    await deliver(below.w, below.v2, 100, 5); // 5% = threshold, bound 2.2%
    expect((await releaseRow(below.v2))?.status).toBe('active');
    expect(await autoAudits(below.v2)).toHaveLength(0);
    expect(await check(below.w, below.v2)).toMatchObject({ action: 'none' });
    // The counters add up across batches: 19 more installs for the first, none crashing,
    // bring it to 38 installs with 19 crashes, and it goes.
    await deliver(w, v2, 19, 0);
    expect((await releaseRow(v2))?.status).toBe('rolled_back');
  }, 60_000);

  it('ignores apps without a threshold', async () => {
    const { w, v2 } = await world({ crashRollbackMinInstalls: 20 });
    await deliver(w, v2, 40, 40);
    expect((await releaseRow(v2))?.status).toBe('active');
  }, 30_000);
});

describe('GET …/releases/{releaseId}/health', () => {
  it('reports totals, active devices, the crash rate with its bound and hourly adoption', async () => {
    const { w, v2 } = await world({});
    await deliver(w, v2, 40, 12);
    const res = await api(w.key.secret).get(
      `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/releases/${v2}/health`,
    );
    expect(res.status, res.text).toBe(200);
    const health = ReleaseHealthJson.parse(res.body);
    expect(health).toMatchObject({
      releaseId: v2,
      status: 'active',
      totals: { downloads: 0, installs: 40, failures: 0, rollbacks: 0, crashes: 12 },
      activeDevices: 40,
      crashRate: 0.3,
    });
    expect(health.crashRateLowerBound).toBeCloseTo(0.180747, 5);
    expect(health.adoption.reduce((sum, bucket) => sum + bucket.installs, 0)).toBe(40);
    for (const bucket of health.adoption) {
      expect(new Date(bucket.hour).getTime() % (60 * 60 * 1000)).toBe(0);
    }
  }, 30_000);
});
