import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { apps, PLATFORMS } from './apps';
import { createdAt, timestamp } from './columns';
import { releases } from './releases';

// Seed 000's event types. The wire enum (@skypatch/protocol TelemetryEventType) lists the same;
// delivery/telemetry.ts fails to compile when the two drift (db/ imports nothing but Drizzle).
export const TELEMETRY_EVENT_TYPES = [
  'update_check',
  'update_downloaded',
  'update_installed',
  'update_failed',
  'rollback',
  'crash',
] as const;

/**
 * Seed 000's device registry. `id` is the device-generated id; the key is (app_id, id) because
 * one phone runs several apps of a vendor, and iOS gives them the same identifierForVendor.
 */
export const devices = sqliteTable(
  'devices',
  {
    id: text('id').notNull(),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    osVersion: text('os_version'),
    deviceModel: text('device_model'),
    appVersion: text('app_version').notNull(),
    currentBundleVersion: text('current_bundle_version'),
    currentBundleHash: text('current_bundle_hash'),
    currentReleaseId: text('current_release_id'),
    /**
     * When the device reported current_release_id (its newest install or check): a batch that
     * arrives late with older events must not move the device back.
     */
    currentReleaseAt: timestamp('current_release_at'),
    lastSeenAt: timestamp('last_seen_at'),
    crashCount: integer('crash_count').default(0),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'devices_pk', columns: [t.appId, t.id] }),
    index('devices_app_idx').on(t.appId),
    index('devices_last_seen_idx').on(t.lastSeenAt),
    index('devices_release_idx').on(t.currentReleaseId),
  ],
);

/**
 * Seed 000's raw events. `id` comes from the client, so a redelivered queue message inserts
 * nothing new (INSERT … ON CONFLICT DO NOTHING) and counters are bumped only for new rows.
 */
export const telemetryEvents = sqliteTable(
  'telemetry_events',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    appId: text('app_id').notNull(),
    eventType: text('event_type', { enum: TELEMETRY_EVENT_TYPES }).notNull(),
    releaseId: text('release_id'),
    bundleVersion: text('bundle_version'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
    timestamp: timestamp('timestamp').notNull(),
    createdAt: createdAt(),
    /**
     * The consumer batch that inserted the row: the aggregate statements of that batch select
     * exactly the rows it inserted (a redelivered event keeps its first marker, so counts once).
     */
    ingestBatch: text('ingest_batch'),
  },
  (t) => [
    index('telemetry_app_idx').on(t.appId),
    index('telemetry_ingest_batch_idx').on(t.ingestBatch),
    index('telemetry_device_idx').on(t.deviceId),
    index('telemetry_event_type_idx').on(t.eventType),
    index('telemetry_timestamp_idx').on(t.timestamp),
    index('telemetry_release_timestamp_idx').on(t.releaseId, t.timestamp),
  ],
);

/** Seed 000's aggregated counters, one row per release, bumped once per batch. */
export const releaseStats = sqliteTable('release_stats', {
  releaseId: text('release_id')
    .primaryKey()
    .references(() => releases.id),
  totalDownloads: integer('total_downloads').default(0),
  totalInstalls: integer('total_installs').default(0),
  totalRollbacks: integer('total_rollbacks').default(0),
  totalCrashes: integer('total_crashes').default(0),
  totalFailures: integer('total_failures').default(0),
  lastUpdatedAt: timestamp('last_updated_at').notNull(),
});

export type Device = typeof devices.$inferSelect;
export type NewDevice = typeof devices.$inferInsert;
export type TelemetryEvent = typeof telemetryEvents.$inferSelect;
export type NewTelemetryEvent = typeof telemetryEvents.$inferInsert;
export type ReleaseStats = typeof releaseStats.$inferSelect;
export type NewReleaseStats = typeof releaseStats.$inferInsert;
export type TelemetryEventType = (typeof TELEMETRY_EVENT_TYPES)[number];
