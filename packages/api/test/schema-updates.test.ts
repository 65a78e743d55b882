import { env } from 'cloudflare:workers';
import { eq, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { getDb } from '../src/db';
import * as schema from '../src/db/schema';
import {
  type App,
  type AppSettings,
  apps,
  channels,
  type Device,
  devices,
  type NewApp,
  type NewDevice,
  type NewRelease,
  type NewReleaseStats,
  type NewTelemetryEvent,
  type Release,
  type ReleaseStats,
  releaseStats,
  releases,
  type TargetingRules,
  type TelemetryEvent,
  type TelemetryEventType,
  telemetryEvents,
} from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { expectRejected } from './expect-rejected';
import { createApp, createOrg, createRelease } from './factories';

// Seed 000 (api/database-schema): the schema's types, getDb(), and what D1 enforces for it.

describe('schema types', () => {
  it('infers select and insert types for the seed 000 tables', () => {
    expectTypeOf<App>().toEqualTypeOf<typeof apps.$inferSelect>();
    expectTypeOf<NewApp>().toEqualTypeOf<typeof apps.$inferInsert>();
    expectTypeOf<Release>().toEqualTypeOf<typeof releases.$inferSelect>();
    expectTypeOf<NewRelease>().toEqualTypeOf<typeof releases.$inferInsert>();
    expectTypeOf<Device>().toEqualTypeOf<typeof devices.$inferSelect>();
    expectTypeOf<NewDevice>().toEqualTypeOf<typeof devices.$inferInsert>();
    expectTypeOf<TelemetryEvent>().toEqualTypeOf<typeof telemetryEvents.$inferSelect>();
    expectTypeOf<NewTelemetryEvent>().toEqualTypeOf<typeof telemetryEvents.$inferInsert>();
    expectTypeOf<ReleaseStats>().toEqualTypeOf<typeof releaseStats.$inferSelect>();
    expectTypeOf<NewReleaseStats>().toEqualTypeOf<typeof releaseStats.$inferInsert>();
  });

  it('maps columns to the intended TypeScript types', () => {
    // Timestamps are Dates, JSON columns carry their declared shape, enums are unions.
    expectTypeOf<App['createdAt']>().toEqualTypeOf<Date>();
    expectTypeOf<App['deletedAt']>().toEqualTypeOf<Date | null>();
    expectTypeOf<App['settings']>().toEqualTypeOf<AppSettings | null>();
    expectTypeOf<App['platform']>().toEqualTypeOf<'ios' | 'android'>();
    expectTypeOf<Release['targetingRules']>().toEqualTypeOf<TargetingRules | null>();
    expectTypeOf<Release['status']>().toEqualTypeOf<'active' | 'paused' | 'rolled_back'>();
    expectTypeOf<Release['isMandatory']>().toEqualTypeOf<boolean>();
    expectTypeOf<Device['lastSeenAt']>().toEqualTypeOf<Date | null>();
    expectTypeOf<TelemetryEvent['eventType']>().toEqualTypeOf<TelemetryEventType>();
    expectTypeOf<TelemetryEvent['timestamp']>().toEqualTypeOf<Date>();
    expectTypeOf<ReleaseStats['totalFailures']>().toEqualTypeOf<number | null>();
    expectTypeOf<ReleaseStats['lastUpdatedAt']>().toEqualTypeOf<Date>();

    // Inserts: ids and required columns are required, defaulted columns optional.
    expectTypeOf<NewApp['id']>().toEqualTypeOf<string>();
    expectTypeOf<NewApp>().toHaveProperty('createdAt').toEqualTypeOf<Date | undefined>();
    expectTypeOf<NewRelease>()
      .toHaveProperty('status')
      .toEqualTypeOf<'active' | 'paused' | 'rolled_back' | undefined>();
    expectTypeOf<NewDevice['appId']>().toEqualTypeOf<string>();
    expectTypeOf<NewTelemetryEvent['timestamp']>().toEqualTypeOf<Date>();
    expectTypeOf<NewReleaseStats['releaseId']>().toEqualTypeOf<string>();
  });

  it('exports a table object from the barrel for every table the migrations create', async () => {
    const exported = new Map<string, unknown>();
    for (const value of Object.values(schema)) {
      if (is(value, SQLiteTable)) exported.set(getTableName(value), value);
    }
    const { results } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' " +
        "AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name",
    ).all<{ name: string }>();
    const migrated = results.map((row) => row.name);
    expect(migrated.length).toBeGreaterThan(0);
    expect([...exported.keys()].sort()).toEqual(migrated);
    // The seed 000 tables by name, so a rename on both sides is still noticed.
    for (const name of ['apps', 'devices', 'releases', 'telemetry_events', 'release_stats']) {
      expect(exported.has(name), name).toBe(true);
    }
    expect(exported.get('apps')).toBe(apps);
    expect(exported.get('release_stats')).toBe(releaseStats);
  });
});

describe('getDb()', () => {
  it('builds a client that knows the schema (relational queries included)', async () => {
    const db = getDb(env.DB);
    const { app } = await createApp(await createOrg());
    const found = await db.query.apps.findFirst({ where: eq(apps.id, app.id) });
    expect(found?.id).toBe(app.id);
    expect(found?.createdAt).toBeInstanceOf(Date);
  });

  it('round-trips an app with millisecond timestamps and JSON settings', async () => {
    const db = getDb(env.DB);
    const { org } = await createOrg();
    const id = newId('app');
    const createdAt = new Date(1_700_000_000_123);
    const updatedAt = new Date(1_700_000_000_456);
    const settings: AppSettings = {
      crashRollbackThreshold: 0.05,
      crashRollbackMinInstalls: 250,
      crashRollbackAction: 'pause',
      nested: { a: [1, 2, 3] },
    };
    await db.insert(apps).values({
      id,
      name: `Round trip ${id}`,
      bundleId: 'com.example.roundtrip',
      platform: 'android',
      orgId: org.id,
      settings,
      createdAt,
      updatedAt,
    });

    const [row] = await db.select().from(apps).where(eq(apps.id, id));
    expect(row).toBeDefined();
    expect(row?.createdAt).toBeInstanceOf(Date);
    expect(row?.createdAt.getTime()).toBe(1_700_000_000_123);
    expect(row?.updatedAt.getTime()).toBe(1_700_000_000_456);
    expect(row?.deletedAt).toBeNull();
    expect(row?.settings).toEqual(settings);
    expect(row?.settings?.crashRollbackThreshold).toBe(0.05);

    // On disk: INTEGER epoch milliseconds and JSON text, as docs/data-model.md states.
    const raw = await env.DB.prepare(
      'SELECT created_at, typeof(created_at) AS kind, settings FROM apps WHERE id = ?',
    )
      .bind(id)
      .first<{ created_at: number; kind: string; settings: string }>();
    expect(raw).toMatchObject({ created_at: 1_700_000_000_123, kind: 'integer' });
    expect(JSON.parse(raw?.settings ?? 'null')).toEqual(settings);
  });

  it('round-trips a channel and a release with targeting rules', async () => {
    const db = getDb(env.DB);
    const { app, channel } = await createApp(await createOrg());
    const [storedChannel] = await db.select().from(channels).where(eq(channels.id, channel.id));
    expect(storedChannel).toMatchObject({ appId: app.id, name: 'Production', cacheVersion: 1 });

    const targetingRules: TargetingRules = {
      deviceIds: ['device-a', 'device-b'],
      platforms: ['ios'],
      osVersions: '>=16.0.0',
      attributes: { tier: 'beta', cohort: [1, 2], internal: true },
    };
    const createdAt = new Date(1_710_000_000_999);
    const release = await createRelease(
      { app, channel },
      { targetingRules, createdAt, releaseNotes: 'Fixes', isMandatory: true },
    );

    const [row] = await db.select().from(releases).where(eq(releases.id, release.id));
    expect(row?.targetingRules).toEqual(targetingRules);
    expect(row?.createdAt.getTime()).toBe(1_710_000_000_999);
    expect(row).toMatchObject({
      appId: app.id,
      channelId: channel.id,
      status: 'active',
      isMandatory: true,
      rolloutPercentage: 100,
      releaseMethod: 'upload',
      releaseNotes: 'Fixes',
    });

    const plain = await createRelease({ app, channel });
    const [plainRow] = await db.select().from(releases).where(eq(releases.id, plain.id));
    expect(plainRow?.targetingRules).toBeNull();
    expect(plainRow?.isMandatory).toBe(false);
  });

  it('keys devices by (app_id, id): one device id in two apps, but not twice in one app', async () => {
    const db = getDb(env.DB);
    const org = await createOrg();
    const first = await createApp(org);
    const second = await createApp(org);
    const deviceId = `device-${newId('request')}`;
    const device = (appId: string): NewDevice => ({
      id: deviceId,
      appId,
      platform: 'ios',
      appVersion: '1.2.3',
      osVersion: '17.4',
      lastSeenAt: new Date(1_720_000_000_001),
    });

    await db.insert(devices).values(device(first.app.id));
    await db.insert(devices).values(device(second.app.id));
    const rows = await db.select().from(devices).where(eq(devices.id, deviceId));
    expect(rows.map((row) => row.appId).sort()).toEqual([first.app.id, second.app.id].sort());
    expect(rows[0]?.lastSeenAt?.getTime()).toBe(1_720_000_000_001);
    expect(rows[0]?.crashCount).toBe(0);

    await expectRejected(
      db.insert(devices).values({ ...device(first.app.id), appVersion: '9.9.9' }),
      /UNIQUE constraint failed: devices\.app_id, devices\.id/,
    );
    const after = await db.select().from(devices).where(eq(devices.id, deviceId));
    expect(after.map((row) => row.appVersion)).toEqual(['1.2.3', '1.2.3']);
  });

  it('stores telemetry events with JSON metadata and millisecond timestamps', async () => {
    const db = getDb(env.DB);
    const { app, channel } = await createApp(await createOrg());
    const release = await createRelease({ app, channel });
    const id = crypto.randomUUID();
    await db.insert(telemetryEvents).values({
      id,
      deviceId: 'device-telemetry',
      appId: app.id,
      eventType: 'update_failed',
      releaseId: release.id,
      bundleVersion: '1.0.1',
      errorCode: 'HASH_MISMATCH',
      errorMessage: 'bundle hash did not match',
      metadata: { attempt: 2, network: 'wifi' },
      timestamp: new Date(1_730_000_000_042),
    });

    const [row] = await db.select().from(telemetryEvents).where(eq(telemetryEvents.id, id));
    expect(row).toMatchObject({
      eventType: 'update_failed',
      releaseId: release.id,
      errorCode: 'HASH_MISMATCH',
      metadata: { attempt: 2, network: 'wifi' },
    });
    expect(row?.timestamp.getTime()).toBe(1_730_000_000_042);
    expect(row?.createdAt).toBeInstanceOf(Date);

    // The client-chosen id is the primary key: a redelivered event inserts nothing new.
    const redelivered = await db
      .insert(telemetryEvents)
      .values({
        id,
        deviceId: 'device-telemetry',
        appId: app.id,
        eventType: 'crash',
        timestamp: new Date(),
      })
      .onConflictDoNothing()
      .returning();
    expect(redelivered).toEqual([]);
    const [unchanged] = await db.select().from(telemetryEvents).where(eq(telemetryEvents.id, id));
    expect(unchanged?.eventType).toBe('update_failed');
  });

  it('stores release stats with zeroed counters, one row per release', async () => {
    const db = getDb(env.DB);
    const { app, channel } = await createApp(await createOrg());
    const release = await createRelease({ app, channel });
    await db.insert(releaseStats).values({
      releaseId: release.id,
      totalInstalls: 7,
      lastUpdatedAt: new Date(1_740_000_000_005),
    });

    const [row] = await db
      .select()
      .from(releaseStats)
      .where(eq(releaseStats.releaseId, release.id));
    expect(row).toMatchObject({
      releaseId: release.id,
      totalDownloads: 0,
      totalInstalls: 7,
      totalRollbacks: 0,
      totalCrashes: 0,
      totalFailures: 0,
    });
    expect(row?.lastUpdatedAt.getTime()).toBe(1_740_000_000_005);

    await expectRejected(
      db.insert(releaseStats).values({ releaseId: release.id, lastUpdatedAt: new Date() }),
      /UNIQUE constraint failed: release_stats\.release_id/,
    );
  });
});

describe('constraints D1 enforces', () => {
  it('rejects a release whose app does not exist', async () => {
    const db = getDb(env.DB);
    const { app, channel } = await createApp(await createOrg());
    const id = newId('release');
    await expectRejected(
      createRelease({ app: { ...app, id: newId('app') }, channel }, { id }),
      /FOREIGN KEY constraint failed/,
    );
    expect(await db.select().from(releases).where(eq(releases.id, id))).toEqual([]);
  });

  it('rejects release stats for an unknown release', async () => {
    const db = getDb(env.DB);
    await expectRejected(
      db.insert(releaseStats).values({ releaseId: newId('release'), lastUpdatedAt: new Date() }),
      /FOREIGN KEY constraint failed/,
    );
  });

  it('rejects a second channel with the same deployment key', async () => {
    const db = getDb(env.DB);
    const org = await createOrg();
    const { channel } = await createApp(org);
    const other = await createApp(org);
    const id = newId('channel');
    await expectRejected(
      db.insert(channels).values({
        id,
        appId: other.app.id,
        name: 'Staging',
        deploymentKey: channel.deploymentKey,
      }),
      /UNIQUE constraint failed: channels\.deployment_key/,
    );
    expect(await db.select().from(channels).where(eq(channels.id, id))).toEqual([]);
  });

  it('applies a batch atomically: one failing statement leaves nothing behind', async () => {
    const db = getDb(env.DB);
    const { org } = await createOrg();
    const appId = newId('app');
    const channelId = newId('channel');
    const duplicateKey = `dk_${newId('channel')}`;
    const { channel: existing } = await createApp({ org, ownerId: '' });

    await expectRejected(
      db.batch([
        db.insert(apps).values({
          id: appId,
          name: `Batch ${appId}`,
          bundleId: 'com.example.batch',
          platform: 'ios',
          orgId: org.id,
        }),
        db
          .insert(channels)
          .values({ id: channelId, appId, name: 'Production', deploymentKey: duplicateKey }),
        // Fails: the deployment key is taken. The two inserts above must roll back with it.
        db.insert(channels).values({
          id: newId('channel'),
          appId,
          name: 'Staging',
          deploymentKey: existing.deploymentKey,
        }),
      ]),
      /UNIQUE constraint failed: channels\.deployment_key/,
    );

    expect(await db.select().from(apps).where(eq(apps.id, appId))).toEqual([]);
    expect(await db.select().from(channels).where(eq(channels.id, channelId))).toEqual([]);
    expect(
      await db.select().from(channels).where(eq(channels.deploymentKey, duplicateKey)),
    ).toEqual([]);
  });
});
