import { env } from 'cloudflare:workers';
import { TelemetryAcceptedJson } from '@skypatch/protocol';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devices, type Release, releaseStats, telemetryEvents } from '../src/db/schema';
import type { DeviceEvent } from '../src/delivery/telemetry';
import { eventually } from './eventually';
import { createApp, createOrg, createRelease, db } from './factories';
import { request } from './request';

// Load and loss (issue 7, item 5): 100,000 events through POST /v1/telemetry and the real local
// queue and consumer. None may be lost, none counted twice: not the duplicate ids a client
// sends, not a client's resent request, not a message the queue delivers again.

const EVENTS = 100_000;
const PER_REQUEST = 500;
const REQUESTS = EVENTS / PER_REQUEST;
const DEVICES = 200;
const TYPES = [
  'update_check',
  'update_downloaded',
  'update_installed',
  'update_failed',
  'rollback',
  'crash',
] as const;
const COUNTER = {
  update_downloaded: 'totalDownloads',
  update_installed: 'totalInstalls',
  update_failed: 'totalFailures',
  rollback: 'totalRollbacks',
  crash: 'totalCrashes',
} as const;
/** Every 50th event of a request repeats the id of the one before it (a buggy client). */
const isRepeat = (j: number) => j % 50 === 49;
/** Every 40th request is sent twice (a client that retried after a timeout). */
const isResent = (r: number) => r % 40 === 0;

async function countRows(appId: string) {
  const [row] = await db()
    .select({ n: sql<number>`count(*)` })
    .from(telemetryEvents)
    .where(eq(telemetryEvents.appId, appId));
  return row?.n ?? 0;
}

describe('a burst of 100,000 events', () => {
  it('loses none and counts none twice', async () => {
    const test = await createOrg();
    const { app, channel } = await createApp(test, { platform: 'android' });
    const releases: Release[] = [];
    for (let i = 0; i < 4; i++) releases.push(await createRelease({ app, channel })); // in order
    const now = Date.now() - 60_000;

    // What the database must hold afterwards, from the unique (device, client id) pairs.
    const expectedStats = new Map(
      releases.map((r) => [
        r.id,
        {
          totalDownloads: 0,
          totalInstalls: 0,
          totalFailures: 0,
          totalRollbacks: 0,
          totalCrashes: 0,
        },
      ]),
    );
    const expectedCrashes = new Map<string, number>();
    let uniqueEvents = 0;

    const bodies = Array.from({ length: REQUESTS }, (_, r) => {
      const deviceId = `device-${r % DEVICES}`;
      const events = Array.from({ length: PER_REQUEST }, (_, j) => {
        const k = isRepeat(j) ? j - 1 : j; // the repeat is the previous event, id and all
        const type = TYPES[(r + k) % TYPES.length] ?? 'crash';
        const releaseId = releases[(r * 7 + k) % releases.length]?.id ?? '';
        return { id: `event-r${r}-e${k}`, type, releaseId, timestamp: now + r * 1_000 + k };
      });
      for (const [j, event] of events.entries()) {
        if (isRepeat(j)) continue;
        uniqueEvents++;
        if (event.type === 'update_check') continue;
        const stats = expectedStats.get(event.releaseId);
        if (stats) stats[COUNTER[event.type]]++;
        if (event.type === 'crash')
          expectedCrashes.set(deviceId, (expectedCrashes.get(deviceId) ?? 0) + 1);
      }
      return {
        deploymentKey: channel.deploymentKey,
        deviceId,
        platform: 'android',
        appVersion: '3.1.0',
        osVersion: '14',
        deviceModel: `Pixel ${r % 9}`,
        events,
      };
    });

    const started = Date.now();
    const send = async (body: (typeof bodies)[number], r: number, copy: number) => {
      const res = await request('POST', '/v1/telemetry', {
        json: body,
        // One address per request: the per app + address limit is low in tests.
        headers: { 'cf-connecting-ip': `10.${copy}.${r >> 8}.${r & 255}` },
      });
      expect(res.status, res.text).toBe(202);
      expect(TelemetryAcceptedJson.parse(res.body)).toEqual({
        accepted: PER_REQUEST,
        rejected: [],
      });
    };
    for (let r = 0; r < REQUESTS; r += 10) {
      await Promise.all(
        bodies.slice(r, r + 10).flatMap((body, i) => {
          const index = r + i;
          return isResent(index)
            ? [send(body, index, 0), send(body, index, 1)]
            : [send(body, index, 0)];
        }),
      );
    }
    const accepted = Date.now() - started;

    await eventually(
      async () => ((await countRows(app.id)) >= uniqueEvents ? true : null),
      150_000,
    );
    const drained = Date.now() - started;
    // biome-ignore lint/suspicious/noConsole: the burst's timings are what this test reports.
    console.info(
      `100,000 events: accepted in ${accepted} ms, stored and counted after ${drained} ms`,
    );

    // A message the queue delivers again: the stored events of one device, sent as they were.
    const again = await db()
      .select()
      .from(telemetryEvents)
      .where(eq(telemetryEvents.deviceId, 'device-7'))
      .limit(100);
    const redelivered: DeviceEvent[] = again.map((row) => ({
      id: row.id,
      type: row.eventType,
      appId: row.appId,
      deviceId: row.deviceId,
      releaseId: row.releaseId,
      bundleVersion: row.bundleVersion,
      errorCode: row.errorCode,
      errorMessage: row.errorMessage,
      metadata: row.metadata ?? null,
      timestamp: row.timestamp.getTime(),
    }));
    // One new check event rides along: its row shows the message has been through the consumer.
    const sentinel = { ...redelivered[0], id: 'evt_sentinel', type: 'update_check' } as DeviceEvent;
    await env.TELEMETRY_QUEUE.send({ events: [...redelivered, sentinel] }, { contentType: 'json' });
    await eventually(async () => {
      const rows = await db()
        .select()
        .from(telemetryEvents)
        .where(eq(telemetryEvents.id, 'evt_sentinel'));
      return rows.length > 0 ? true : null;
    }, 30_000);
    uniqueEvents++;

    expect(await countRows(app.id)).toBe(uniqueEvents);
    for (const release of releases) {
      const [row] = await db()
        .select()
        .from(releaseStats)
        .where(eq(releaseStats.releaseId, release.id));
      expect(row, release.id).toMatchObject(expectedStats.get(release.id) ?? {});
    }
    const deviceRows = await db().select().from(devices).where(eq(devices.appId, app.id));
    expect(deviceRows).toHaveLength(DEVICES);
    for (const device of deviceRows) {
      expect(device.crashCount, device.id).toBe(expectedCrashes.get(device.id) ?? 0);
    }
  }, 240_000);
});
