import { HEALTH_BREAKDOWN_TOP, ReleaseHealthJson } from '@skypatch/protocol';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deviceEvent, type NewDeviceEvent } from '../src/delivery/telemetry';
import { healthQueries } from '../src/services/release-health';
import { createApiKey, createApp, createOrg, createRelease, db } from './factories';
import { api } from './request';
import { deliverTelemetry, telemetryMessage } from './telemetry-deliver';

// GET …/releases/{releaseId}/health (issue 7, item 3): hourly and daily buckets, and bounded
// breakdowns by app version, OS version and device model, from devices and telemetry_events.

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

async function healthWorld() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const release = await createRelease({ app, channel });
  const next = await createRelease({ app, channel });
  const key = await createApiKey(test, 'viewer');
  const health = async (releaseId = release.id) => {
    const res = await api(key.secret).get(
      `/v1/orgs/${test.org.id}/apps/${app.id}/releases/${releaseId}/health`,
    );
    expect(res.status, res.text).toBe(200);
    return ReleaseHealthJson.parse(res.body);
  };
  return { test, app, release, next, health };
}

const pad = (i: number) => String(i).padStart(2, '0');

describe('release health: buckets and breakdowns', () => {
  it('buckets by hour and day and breaks down by version and model, top N plus other', async () => {
    const w = await healthWorld();
    const now = Date.now();
    const ev = (event: Omit<NewDeviceEvent, 'appId'>) => deviceEvent({ appId: w.app.id, ...event });
    const native = (i: number) => ({
      platform: 'ios',
      appVersion: i < 8 ? '2.0.0' : '2.1.0',
      osVersion: i % 3 === 0 ? '17.1' : '17.2',
      deviceModel: `model-${pad(i)}`,
    });
    const events = [
      // 12 native devices install the release, device i about i days ago.
      ...Array.from({ length: 12 }, (_, i) =>
        ev({
          type: 'update_installed',
          deviceId: `m${i}`,
          releaseId: w.release.id,
          timestamp: now - i * DAY - 60_000,
          metadata: native(i),
        }),
      ),
      // m0 crashes twice, m1 once.
      ...[0, 0, 1].map((i, n) =>
        ev({
          type: 'crash',
          deviceId: `m${i}`,
          releaseId: w.release.id,
          timestamp: now - i * DAY - 30_000 + n,
          metadata: native(i),
        }),
      ),
      // A CodePush device: an app version, no OS version or model.
      ev({
        type: 'update_installed',
        deviceId: 'cp',
        releaseId: w.release.id,
        timestamp: now - 2 * HOUR,
        metadata: { source: 'codepush', appVersion: '2.0.0' },
      }),
      // Older than the daily window: in the totals and the active devices, not the buckets.
      ev({
        type: 'update_installed',
        deviceId: 'old',
        releaseId: w.release.id,
        timestamp: now - 40 * DAY,
        metadata: { ...native(0), appVersion: '1.0.0', deviceModel: 'model-old' },
      }),
      // m11 moves on to the next release: no longer active on this one, its install stays.
      ev({
        type: 'update_installed',
        deviceId: 'm11',
        releaseId: w.next.id,
        timestamp: now - 1_000,
        metadata: native(11),
      }),
    ];
    expect((await deliverTelemetry([telemetryMessage(events)])).ackAll).toBe(true);
    const health = await w.health();

    expect(health.totals).toMatchObject({ installs: 14, crashes: 3 });
    expect(health.activeDevices).toBe(13); // m0-m10, cp and old

    // Buckets, computed here from the events the release's window holds.
    const expectBuckets = (widthMs: number, spanMs: number) => {
      const since = Math.floor(now / widthMs) * widthMs - spanMs + widthMs;
      const byBucket = new Map<
        number,
        { installs: number; crashes: number; devices: Set<string> }
      >();
      for (const e of events) {
        if (e.releaseId !== w.release.id || e.timestamp < since) continue;
        const start = Math.floor(e.timestamp / widthMs) * widthMs;
        const b = byBucket.get(start) ?? { installs: 0, crashes: 0, devices: new Set() };
        if (e.type === 'update_installed') b.installs++;
        if (e.type === 'crash') b.crashes++;
        b.devices.add(e.deviceId);
        byBucket.set(start, b);
      }
      return [...byBucket.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, b]) => ({
          start,
          installs: b.installs,
          crashes: b.crashes,
          devices: b.devices.size,
        }));
    };
    expect(health.adoptionDaily).toEqual(
      expectBuckets(DAY, 30 * DAY).map(({ start, ...counts }) => ({
        day: new Date(start).toISOString().slice(0, 10),
        ...counts,
      })),
    );
    expect(health.adoptionDaily.reduce((sum, b) => sum + b.installs, 0)).toBe(13);
    expect(health.adoption).toEqual(
      expectBuckets(HOUR, 48 * HOUR).map(({ start, ...counts }) => ({
        hour: new Date(start).toISOString(),
        ...counts,
      })),
    );
    expect(health.adoption.length).toBeGreaterThanOrEqual(2); // today's m0 and cp, at least

    const { appVersion, osVersion, deviceModel } = health.breakdown;
    expect(appVersion.activeDevices).toEqual({
      top: [
        { value: '2.0.0', count: 9 },
        { value: '2.1.0', count: 3 },
        { value: '1.0.0', count: 1 },
      ],
      other: 0,
      distinctValues: 3,
    });
    expect(appVersion.installs).toEqual({
      top: [
        { value: '2.0.0', count: 9 },
        { value: '2.1.0', count: 4 },
      ],
      other: 0,
      distinctValues: 2,
    });
    expect(osVersion.installs).toEqual({
      top: [
        { value: '17.2', count: 8 },
        { value: '17.1', count: 4 },
        { value: null, count: 1 },
      ],
      other: 0,
      distinctValues: 3,
    });
    expect(osVersion.crashes).toEqual({
      top: [
        { value: '17.1', count: 2 },
        { value: '17.2', count: 1 },
      ],
      other: 0,
      distinctValues: 2,
    });
    // 13 models installed in the window (12 and "none"): the top 10, the rest summed.
    expect(deviceModel.installs.top).toHaveLength(HEALTH_BREAKDOWN_TOP);
    expect(deviceModel.installs).toMatchObject({ other: 3, distinctValues: 13 });
    expect(deviceModel.installs.top.reduce((sum, row) => sum + row.count, 0)).toBe(10);
    expect(deviceModel.crashes).toEqual({
      top: [
        { value: 'model-00', count: 2 },
        { value: 'model-01', count: 1 },
      ],
      other: 0,
      distinctValues: 2,
    });
    // Active devices by model: m0-m10, cp (none) and old: 13 values, top 10 + 3 others.
    expect(deviceModel.activeDevices).toMatchObject({ other: 3, distinctValues: 13 });

    // The next release sees only its own device and install.
    const next = await w.health(w.next.id);
    expect(next.activeDevices).toBe(1);
    expect(next.breakdown.deviceModel.installs.top).toEqual([{ value: 'model-11', count: 1 }]);
  });

  it('answers zeros and empty lists for a release without telemetry', async () => {
    const w = await healthWorld();
    const health = await w.health();
    const empty = { top: [], other: 0, distinctValues: 0 };
    const dimension = { activeDevices: empty, installs: empty, crashes: empty };
    expect(health).toMatchObject({
      activeDevices: 0,
      crashRate: 0,
      adoption: [],
      adoptionDaily: [],
      breakdown: { appVersion: dimension, osVersion: dimension, deviceModel: dimension },
    });
  });

  it('reads through the release indexes, never a scan of the tables', async () => {
    const w = await healthWorld();
    for (const query of healthQueries(w.release)) {
      const plan = await db().all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
      const details = plan.map((row) => row.detail).join('\n');
      expect(details).not.toMatch(/SCAN (telemetry_events|devices|e|d)\b(?! USING)/);
      expect(details).toMatch(/telemetry_release_timestamp_idx|devices_release_idx/);
    }
  });
});
