import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { organizations } from './accounts';
import { createdAt, timestamp, updatedAt } from './columns';

export const PLATFORMS = ['ios', 'android'] as const;

/** Per-app settings kept as JSON (seed 000), read by the release-health job. */
export interface AppSettings {
  /** Crash rate (crashes / installs, 0-1) above which a release is rolled back. */
  crashRollbackThreshold?: number;
  /** Installs a release needs before its crash rate is trusted. */
  crashRollbackMinInstalls?: number;
  /** Pause instead of rolling back when the threshold is crossed. */
  crashRollbackAction?: 'rollback' | 'pause';
  /** A status page component that gets an incident when a release is auto-rolled back. */
  statusComponentId?: string | null;
  [key: string]: unknown;
}

/**
 * Seed 000's apps. Its `owner_id` ("User/Org ID") is `org_id` here, as seed 002 draws it: every
 * app belongs to an organization, and people reach it through a membership.
 */
export const apps = sqliteTable(
  'apps',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    bundleId: text('bundle_id').notNull(),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    settings: text('settings', { mode: 'json' }).$type<AppSettings>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at'),
  },
  (t) => [
    // Seed 000 calls this index apps_owner_idx; the owner is the organization.
    index('apps_owner_idx').on(t.orgId),
    index('apps_bundle_id_idx').on(t.bundleId),
    uniqueIndex('apps_org_name_unique_idx').on(t.orgId, t.name).where(sql`${t.deletedAt} IS NULL`),
  ],
);

/**
 * A channel (CodePush: deployment) of an app. Clients embed its deployment key; the update
 * check resolves the key to (app, channel) through this table's unique index.
 */
export const channels = sqliteTable(
  'channels',
  {
    id: text('id').primaryKey(),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    name: text('name').notNull(),
    // 10-100 chars of [A-Za-z0-9_-], the charset CodePush clients accept.
    deploymentKey: text('deployment_key').notNull(),
    // Bumped on every release change; cache keys embed it so a bump invalidates them all.
    cacheVersion: integer('cache_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at'),
  },
  (t) => [
    uniqueIndex('channels_deployment_key_unique_idx').on(t.deploymentKey),
    // The partial unique index below cannot serve foreign-key checks; this one can.
    index('channels_app_idx').on(t.appId),
    uniqueIndex('channels_app_name_unique_idx')
      .on(t.appId, t.name)
      .where(sql`${t.deletedAt} IS NULL`),
  ],
);

export type App = typeof apps.$inferSelect;
export type NewApp = typeof apps.$inferInsert;
export type Channel = typeof channels.$inferSelect;
export type NewChannel = typeof channels.$inferInsert;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Deployment keys that were rotated away or whose channel was purged. Apps in the field still
 * embed them, so none may ever serve another channel: a new channel can't take one.
 */
export const retiredDeploymentKeys = sqliteTable('retired_deployment_keys', {
  deploymentKey: text('deployment_key').primaryKey(),
  channelId: text('channel_id').notNull(), // no foreign key: the channel may be purged
  retiredAt: timestamp('retired_at')
    .notNull()
    .$defaultFn(() => new Date()),
});
