import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { ErrorBody, TelemetryAcceptedJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devices, releaseStats, telemetryEvents } from '../src/db/schema';
import {
  type DeviceEvent,
  deviceEvent,
  type NewDeviceEvent,
  type TelemetryMessage,
} from '../src/delivery/telemetry';
import worker from '../src/index';
import { consumeDeadTelemetry } from '../src/queues/telemetry';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import { createApp, createOrg, createRelease, db } from './factories';
import { request } from './request';

// The telemetry pipeline: the native intake (validation, 202, queue) and the consumer's
// batched aggregation into release_stats and devices, on the real local D1 and queue.

const HOUR_MS = 60 * 60 * 1000;

/** An app with two releases on its channel (created before any lookup caches the view). */
async function telemetryWorld(platform: 'ios' | 'android' = 'ios') {
  const test = await createOrg();
  const { app, channel } = await createApp(test, { platform });
  const v1 = await createRelease({ app, channel });
  const v2 = await createRelease({ app, channel });
  return { test, app, channel, v1, v2 };
}
type TelemetryWorld = Awaited<ReturnType<typeof telemetryWorld>>;

let eventCounter = 0;
const clientEvent = (overrides: Record<string, unknown> = {}) => ({
  id: `client-event-${++eventCounter}-${crypto.randomUUID()}`,
  type: 'update_installed',
  timestamp: Date.now() - 1_000,
  ...overrides,
});

function send(w: TelemetryWorld, events: unknown[], envelope: Record<string, unknown> = {}) {
  return request<unknown>('POST', '/v1/telemetry', {
    json: {
      deploymentKey: w.channel.deploymentKey,
      deviceId: 'device-1',
      platform: w.app.platform,
      appVersion: '1.4.0',
      osVersion: '17.2',
      deviceModel: 'iPhone15,2',
      events,
      ...envelope,
    },
    // Each test its own address: the per app + address limit is low in tests.
    headers: { 'cf-connecting-ip': `198.51.100.${eventCounter % 250}` },
  });
}

const rowsOf = (appId: string) =>
  db().select().from(telemetryEvents).where(eq(telemetryEvents.appId, appId));

describe('POST /v1/telemetry', () => {
  it(
    'accepts a valid batch with 202 and the events arrive in telemetry_events',
    async () => {
      const w = await telemetryWorld();
      const res = await send(w, [
        clientEvent({ type: 'update_downloaded', releaseId: w.v1.id }),
        clientEvent({ type: 'update_installed', releaseId: w.v1.id, metadata: { platform: 'x' } }),
        clientEvent({ type: 'crash', releaseId: w.v1.id, errorCode: 'SIGSEGV' }),
      ]);
      expect(res.status, res.text).toBe(202);
      expect(TelemetryAcceptedJson.parse(res.body)).toEqual({ accepted: 3, rejected: [] });

      const rows = await eventually(async () => {
        const found = await rowsOf(w.app.id);
        return found.length >= 3 ? found : null;
      }, QUEUE_WAIT_MS); // the queue delivers batches every 5 s (wrangler.jsonc)
      expect(rows.map((row) => row.eventType).sort()).toEqual([
        'crash',
        'update_downloaded',
        'update_installed',
      ]);
      const installed = rows.find((row) => row.eventType === 'update_installed');
      expect(installed).toMatchObject({
        deviceId: 'device-1',
        releaseId: w.v1.id,
        bundleVersion: w.v1.label,
      });
      // The envelope's facts win over the event's own metadata keys.
      expect(installed?.metadata).toMatchObject({
        source: 'native',
        platform: 'ios',
        appVersion: '1.4.0',
        osVersion: '17.2',
        deviceModel: 'iPhone15,2',
      });
      expect(rows.find((row) => row.eventType === 'crash')?.errorCode).toBe('SIGSEGV');
    },
    QUEUE_TEST_MS,
  );

  it(
    'keeps the valid events and reports each invalid one with its index',
    async () => {
      const w = await telemetryWorld();
      const other = await telemetryWorld();
      const now = Date.now();
      const res = await send(w, [
        clientEvent({ releaseId: w.v2.id }), // 0: valid
        clientEvent({ type: 'exploded', errorMessage: 'secret-input-sentinel' }), // 1
        clientEvent({ timestamp: now + 2 * HOUR_MS }), // 2: far in the future
        clientEvent({ timestamp: now - 31 * 24 * HOUR_MS }), // 3: too old
        clientEvent({ releaseId: 'rel_does_not_exist' }), // 4: unknown release
        clientEvent({ releaseId: other.v1.id }), // 5: another app's release
        clientEvent({ id: 'short' }), // 6: id too short
        clientEvent({ errorMessage: 'x'.repeat(2001) }), // 7: message too long
        'not an event', // 8
        clientEvent({ type: 'crash', timestamp: now + 30 * 60 * 1000 }), // 9: valid (small skew)
      ]);
      expect(res.status, res.text).toBe(202);
      const body = TelemetryAcceptedJson.parse(res.body);
      expect(body.accepted).toBe(2);
      expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const issuesAt = (index: number) =>
        body.rejected.find((r) => r.index === index)?.issues ?? [];
      expect(issuesAt(1).map((i) => i.path)).toEqual([['type']]);
      expect(issuesAt(2)).toEqual([
        { code: 'custom', path: ['timestamp'], message: 'more than 1 hour in the future' },
      ]);
      expect(issuesAt(3)[0]?.message).toBe('older than 30 days');
      expect(issuesAt(4)).toEqual([
        { code: 'custom', path: ['releaseId'], message: 'unknown release' },
      ]);
      expect(issuesAt(5)[0]?.message).toBe('unknown release');
      expect(issuesAt(6)[0]?.path).toEqual(['id']);
      expect(issuesAt(7)[0]?.path).toEqual(['errorMessage']);
      // Issues name the field, never echo the input.
      expect(res.text).not.toContain('secret-input-sentinel');
      expect(res.text).not.toContain('"input"');

      const rows = await eventually(async () => {
        const found = await rowsOf(w.app.id);
        return found.length >= 2 ? found : null;
      }, QUEUE_WAIT_MS);
      await new Promise((resolve) => setTimeout(resolve, 200)); // nothing else may follow
      const settled = await rowsOf(w.app.id);
      expect(settled).toHaveLength(2);
      expect(rows.map((row) => row.eventType).sort()).toEqual(['crash', 'update_installed']);
      expect(await rowsOf(other.app.id)).toEqual([]);
    },
    QUEUE_TEST_MS,
  );

  it.each([
    ['a missing deviceId', { deviceId: undefined }],
    ['events that are not an array', { events: 'nope' }],
    ['an unknown envelope field', { extra: true }],
    ['a malformed deployment key', { deploymentKey: 'bad key!' }],
    ['more than 500 events', { events: Array.from({ length: 501 }, () => clientEvent()) }],
  ])('refuses %s with 400 in the error shape', async (_name, envelope) => {
    const w = await telemetryWorld();
    const res = await send(w, [clientEvent()], envelope);
    expect(res.status, res.text).toBe(400);
    expect(ErrorBody.parse(res.body).error.code).toBe('BAD_REQUEST');
  });

  it('accepts exactly 500 events', async () => {
    const w = await telemetryWorld();
    const res = await send(
      w,
      Array.from({ length: 500 }, () => clientEvent({ type: 'update_check' })),
    );
    expect(res.status, res.text).toBe(202);
    expect(TelemetryAcceptedJson.parse(res.body).accepted).toBe(500);
  });

  it('answers 404 to an unknown deployment key and 400 to the wrong platform', async () => {
    const w = await telemetryWorld();
    const unknown = await send(w, [clientEvent()], { deploymentKey: 'dk_unknown_key_123' });
    expect(unknown.status, unknown.text).toBe(404);
    expect(ErrorBody.parse(unknown.body).error.code).toBe('NOT_FOUND');
    const wrong = await send(w, [clientEvent()], { platform: 'android' });
    expect(wrong.status, wrong.text).toBe(400);
  });
});

/** Delivers one queue batch straight to the Worker's consumer, deterministically. */
async function deliver(bodies: unknown[]) {
  const batch = createMessageBatch(
    'skypatch-telemetry',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const message = (events: DeviceEvent[]): TelemetryMessage => ({ events });

async function statsOf(releaseId: string) {
  const [row] = await db().select().from(releaseStats).where(eq(releaseStats.releaseId, releaseId));
  return row;
}

async function deviceOf(appId: string, deviceId: string) {
  const [row] = await db()
    .select()
    .from(devices)
    .where(and(eq(devices.appId, appId), eq(devices.id, deviceId)));
  return row;
}

describe('telemetry consumer', () => {
  function mixedBatch(w: TelemetryWorld) {
    const t = Date.now() - 10 * 60 * 1000;
    const ev = (event: Omit<NewDeviceEvent, 'appId'>) => deviceEvent({ appId: w.app.id, ...event });
    const native = { platform: 'android', appVersion: '2.0.0', osVersion: '14', deviceModel: 'P8' };
    return [
      // Device a: native, downloads and installs v1, then crashes twice on it.
      ev({ type: 'update_check', deviceId: 'a', releaseId: null, timestamp: t, metadata: native }),
      ev({ type: 'update_downloaded', deviceId: 'a', releaseId: w.v1.id, timestamp: t + 1 }),
      ev({
        type: 'update_installed',
        deviceId: 'a',
        releaseId: w.v1.id,
        timestamp: t + 2,
        metadata: native,
      }),
      ev({ type: 'crash', deviceId: 'a', releaseId: w.v1.id, timestamp: t + 3, metadata: native }),
      ev({ type: 'crash', deviceId: 'a', releaseId: w.v1.id, timestamp: t + 4, metadata: native }),
      // Device b (CodePush: no platform in its metadata): installs v2, which fails, rolls back.
      ev({
        type: 'update_installed',
        deviceId: 'b',
        releaseId: w.v2.id,
        timestamp: t,
        metadata: { source: 'codepush', appVersion: '1.9.0' },
      }),
      ev({ type: 'update_failed', deviceId: 'b', releaseId: w.v2.id, timestamp: t + 5 }),
      ev({ type: 'rollback', deviceId: 'b', releaseId: w.v2.id, timestamp: t + 6 }),
      // Unknown releases are stored raw but counted nowhere.
      ev({ type: 'update_installed', deviceId: 'c', releaseId: 'rel_gone', timestamp: t + 7 }),
    ];
  }

  it('aggregates a mixed batch into exact counters and device rows', async () => {
    const w = await telemetryWorld();
    const events = mixedBatch(w);
    // Two messages in one queue batch: one D1 batch for both.
    const result = await deliver([message(events.slice(0, 4)), message(events.slice(4))]);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);

    expect(await rowsOf(w.app.id)).toHaveLength(events.length);
    expect(await statsOf(w.v1.id)).toMatchObject({
      totalDownloads: 1,
      totalInstalls: 1,
      totalFailures: 0,
      totalRollbacks: 0,
      totalCrashes: 2,
    });
    expect(await statsOf(w.v2.id)).toMatchObject({
      totalDownloads: 0,
      totalInstalls: 1,
      totalFailures: 1,
      totalRollbacks: 1,
      totalCrashes: 0,
    });
    expect(await statsOf('rel_gone')).toBeUndefined();

    const t = events[0]?.timestamp ?? 0;
    expect(await deviceOf(w.app.id, 'a')).toMatchObject({
      platform: 'android',
      osVersion: '14',
      deviceModel: 'P8',
      appVersion: '2.0.0',
      currentReleaseId: w.v1.id,
      crashCount: 2,
      lastSeenAt: new Date(t + 4),
    });
    expect(await deviceOf(w.app.id, 'b')).toMatchObject({
      platform: 'ios', // from the app: the CodePush events carry none
      appVersion: '1.9.0',
      osVersion: null,
      currentReleaseId: w.v2.id, // the newest install or check; rollbacks do not move it
      crashCount: 0,
      lastSeenAt: new Date(t + 6),
    });
    expect(await deviceOf(w.app.id, 'c')).toMatchObject({ currentReleaseId: 'rel_gone' });
  });

  it('counts nothing twice when the same batch is delivered again', async () => {
    const w = await telemetryWorld();
    const events = mixedBatch(w);
    await deliver([message(events)]);
    const before = {
      v1: await statsOf(w.v1.id),
      v2: await statsOf(w.v2.id),
      a: await deviceOf(w.app.id, 'a'),
    };
    const again = await deliver([message(events), message(events.slice(0, 3))]);
    expect(again.ackAll).toBe(true);
    const counters = (row: Awaited<ReturnType<typeof statsOf>>) => ({
      downloads: row?.totalDownloads,
      installs: row?.totalInstalls,
      failures: row?.totalFailures,
      rollbacks: row?.totalRollbacks,
      crashes: row?.totalCrashes,
    });
    expect(counters(await statsOf(w.v1.id))).toEqual(counters(before.v1));
    expect(counters(await statsOf(w.v2.id))).toEqual(counters(before.v2));
    expect((await deviceOf(w.app.id, 'a'))?.crashCount).toBe(before.a?.crashCount);
    expect(await rowsOf(w.app.id)).toHaveLength(events.length);

    // New events after that still add to the counters and the device.
    const crash = deviceEvent({
      type: 'crash',
      appId: w.app.id,
      deviceId: 'a',
      releaseId: w.v1.id,
      timestamp: Date.now(),
    });
    await deliver([message([crash])]);
    expect((await statsOf(w.v1.id))?.totalCrashes).toBe(3);
    expect(await deviceOf(w.app.id, 'a')).toMatchObject({
      crashCount: 3,
      currentReleaseId: w.v1.id, // a crash does not move the device's release
      appVersion: '2.0.0', // kept: the crash carries no app version
      lastSeenAt: new Date(crash.timestamp),
    });
  });

  it('moves a device back to the binary when it installs no release', async () => {
    const w = await telemetryWorld();
    const at = Date.now() - 1_000;
    const install = (releaseId: string | null, timestamp: number) =>
      deviceEvent({
        type: 'update_installed',
        appId: w.app.id,
        deviceId: 'd',
        releaseId,
        timestamp,
        metadata: { appVersion: '3.0.0' },
      });
    await deliver([message([install(w.v1.id, at)])]);
    expect((await deviceOf(w.app.id, 'd'))?.currentReleaseId).toBe(w.v1.id);
    await deliver([message([install(null, at + 1)])]);
    expect((await deviceOf(w.app.id, 'd'))?.currentReleaseId).toBeNull();
  });

  it('keeps a device on its newest release when an older batch arrives late', async () => {
    const w = await telemetryWorld();
    const at = Date.now() - 60_000;
    const position = (type: 'update_installed' | 'update_check', releaseId: string, t: number) =>
      deviceEvent({ type, appId: w.app.id, deviceId: 'late', releaseId, timestamp: t });
    await deliver([message([position('update_installed', w.v2.id, at + 10)])]);
    // A check from before the install, delivered after it (another isolate's buffer).
    await deliver([message([position('update_check', w.v1.id, at)])]);
    expect(await deviceOf(w.app.id, 'late')).toMatchObject({
      currentReleaseId: w.v2.id,
      currentReleaseAt: new Date(at + 10),
      lastSeenAt: new Date(at + 10),
    });
    await deliver([message([position('update_check', w.v1.id, at + 20)])]);
    expect(await deviceOf(w.app.id, 'late')).toMatchObject({
      currentReleaseId: w.v1.id,
      currentReleaseAt: new Date(at + 20),
    });
  });

  it('sends a poison message towards the dead-letter queue and records the rest', async () => {
    const w = await telemetryWorld();
    const good = deviceEvent({
      type: 'update_downloaded',
      appId: w.app.id,
      deviceId: 'e',
      releaseId: w.v2.id,
      timestamp: Date.now(),
    });
    const result = await deliver([
      { events: [{ id: 'x', type: 'exploded' }] },
      'not even an object',
      message([good]),
    ]);
    // Retried on their own (max_retries, then skypatch-telemetry-dlq); the good one is acked.
    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(false);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(['m0', 'm1']);
    expect(result.explicitAcks).toEqual(['m2']);
    expect((await rowsOf(w.app.id)).map((row) => row.id)).toEqual([good.id]);
    expect((await statsOf(w.v2.id))?.totalDownloads).toBe(1);
  });

  it('survives a batch of nothing but poison, and the dead-letter consumer acks it', async () => {
    const poison = [{ events: 'nope' }, null, { events: [{ type: 'crash' }] }];
    const result = await deliver(poison);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(result.explicitAcks).toEqual([]);

    const batch = createMessageBatch(
      'skypatch-telemetry-dlq',
      poison.map((body, i) => ({ id: `d${i}`, timestamp: new Date(), attempts: 4, body })),
    );
    const ctx = createExecutionContext();
    await consumeDeadTelemetry(batch);
    const dead = await getQueueResult(batch, ctx);
    expect(dead.explicitAcks.sort()).toEqual(['d0', 'd1', 'd2']);
    expect(dead.retryMessages).toEqual([]);
  });

  it('stores events of an unknown app raw and writes no device for them', async () => {
    const event = deviceEvent({
      type: 'crash',
      appId: 'app_does_not_exist',
      deviceId: 'ghost',
      releaseId: null,
      timestamp: Date.now(),
    });
    const result = await deliver([message([event])]);
    expect(result.ackAll).toBe(true);
    expect(await rowsOf('app_does_not_exist')).toHaveLength(1);
    expect(await deviceOf('app_does_not_exist', 'ghost')).toBeUndefined();
  });

  it('records a batch larger than one insert statement can bind', async () => {
    const w = await telemetryWorld();
    const events = Array.from({ length: 250 }, (_, i) =>
      deviceEvent({
        type: 'update_installed',
        appId: w.app.id,
        deviceId: `bulk-${i % 50}`,
        releaseId: w.v1.id,
        timestamp: Date.now() - i,
        metadata: { platform: 'ios', appVersion: '1.0.0' },
      }),
    );
    expect((await deliver([message(events)])).ackAll).toBe(true);
    expect((await statsOf(w.v1.id))?.totalInstalls).toBe(250);
    const rows = await db().select().from(devices).where(eq(devices.appId, w.app.id));
    expect(rows).toHaveLength(50);
  });
});
