import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  unique,
} from 'drizzle-orm/sqlite-core';

export const PATCH_PLATFORMS = ['android', 'ios'] as const;
export const PATCH_ARCHES = ['aarch64', 'x86_64', 'x86', 'arm'] as const;

/**
 * Seed 001's Flutter patches table, exactly as written: the arch CHECK, the UNIQUE constraint and
 * the lookup index the patch check reads. `app_id` is the app's id as the Shorebird-shaped client
 * sends it, `created_at` follows the schema-wide millisecond convention.
 */
export const patches = sqliteTable(
  'patches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    appId: text('app_id').notNull(),
    releaseVersion: text('release_version').notNull(),
    patchNumber: integer('patch_number').notNull(),
    platform: text('platform', { enum: PATCH_PLATFORMS }).notNull(),
    arch: text('arch', { enum: PATCH_ARCHES }).notNull(),
    downloadUrl: text('download_url').notNull(),
    hash: text('hash').notNull(),
    hashSignature: text('hash_signature'),
    active: integer('active').default(1),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    check('patches_platform_check', sql`${t.platform} IN ('android', 'ios')`),
    check('patches_arch_check', sql`${t.arch} IN ('aarch64', 'x86_64', 'x86', 'arm')`),
    unique('patches_unique').on(t.appId, t.releaseVersion, t.platform, t.arch, t.patchNumber),
    index('idx_patches_lookup').on(
      t.appId,
      t.releaseVersion,
      t.platform,
      t.arch,
      t.active,
      t.patchNumber,
    ),
  ],
);

export type Patch = typeof patches.$inferSelect;
export type NewPatch = typeof patches.$inferInsert;
export type PatchArch = (typeof PATCH_ARCHES)[number];

/**
 * Which track (channel) each Flutter patch sits on, beside seed 001's `patches`, which has no
 * channel column and stays exactly as written (specs/shorebird.md §7.1). A patch number with no
 * row here is on `stable`. The row is written when a number is reserved, before any artifact,
 * so numbers are never reused within a release version (§7.2).
 */
export const patchChannels = sqliteTable(
  'patch_channels',
  {
    appId: text('app_id').notNull(),
    releaseVersion: text('release_version').notNull(),
    patchNumber: integer('patch_number').notNull(),
    channel: text('channel').notNull().default('stable'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' })
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [
    primaryKey({ columns: [t.appId, t.releaseVersion, t.patchNumber] }),
    index('patch_channels_channel_idx').on(t.appId, t.releaseVersion, t.channel),
  ],
);

export type PatchChannel = typeof patchChannels.$inferSelect;
