import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { organizations, users } from './accounts';
import { apps, channels } from './apps';
import { bool, createdAt, timestamp, updatedAt } from './columns';

export const RELEASE_STATUSES = ['active', 'paused', 'rolled_back'] as const;
export const RELEASE_METHODS = ['upload', 'promote', 'rollback'] as const;
export const UPLOAD_JOB_STATUSES = ['pending', 'processing', 'complete', 'failed'] as const;
export const DIFF_KINDS = ['codepush_zip', 'fossil_delta'] as const;

/** Seed 000's targeting rules: a release reaches a device only if every present rule matches. */
export interface TargetingRules {
  deviceIds?: string[];
  platforms?: Array<'ios' | 'android'>;
  osVersions?: string; // semver range, e.g. ">=16.0.0"
  attributes?: Record<string, string | number | boolean | Array<string | number>>;
}

/**
 * Seed 000's releases, every column kept, plus what delivery needs: the channel, CodePush's
 * label and package hash, the mandatory flag, the rollout percentage, Expo's runtime version and
 * an npm semver range of app versions (CodePush's targetBinaryRange) beside seed 000's min/max.
 */
export const releases = sqliteTable(
  'releases',
  {
    id: text('id').primaryKey(),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    channelId: text('channel_id')
      .notNull()
      .references(() => channels.id),
    version: text('version').notNull(),
    label: text('label').notNull(), // CodePush "v1", "v2", … per channel
    bundleUrl: text('bundle_url').notNull(), // R2 key of the full package
    bundleSize: integer('bundle_size').notNull(),
    bundleHash: text('bundle_hash').notNull(), // "sha256:<hex>" of the uploaded bytes
    packageHash: text('package_hash'), // CodePush's manifest hash (codepush.md §2.4)
    targetingRules: text('targeting_rules', { mode: 'json' }).$type<TargetingRules>(),
    releaseNotes: text('release_notes'),
    status: text('status', { enum: RELEASE_STATUSES }).notNull().default('active'),
    rollbackReason: text('rollback_reason'),
    minAppVersion: text('min_app_version'),
    maxAppVersion: text('max_app_version'),
    appVersionRange: text('app_version_range'),
    runtimeVersion: text('runtime_version'),
    isMandatory: bool('is_mandatory').notNull().default(false),
    rolloutPercentage: integer('rollout_percentage').notNull().default(100),
    signature: text('signature'),
    releaseMethod: text('release_method', { enum: RELEASE_METHODS }).notNull().default('upload'),
    originReleaseId: text('origin_release_id'), // the release this one was promoted from
    createdByUserId: text('created_by_user_id').references(() => users.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at'),
  },
  (t) => [
    index('releases_app_idx').on(t.appId),
    index('releases_status_idx').on(t.status),
    index('releases_created_idx').on(t.createdAt),
    // The update check's one read: the newest releases of a channel.
    index('releases_channel_created_idx').on(t.channelId, t.createdAt),
    uniqueIndex('releases_channel_label_unique_idx').on(t.channelId, t.label),
    index('releases_created_by_idx').on(t.createdByUserId),
  ],
);

/** A precomputed diff from `base_release_id` to `release_id`, stored in R2. */
export const releaseDiffs = sqliteTable(
  'release_diffs',
  {
    id: text('id').primaryKey(),
    releaseId: text('release_id')
      .notNull()
      .references(() => releases.id),
    baseReleaseId: text('base_release_id')
      .notNull()
      .references(() => releases.id),
    kind: text('kind', { enum: DIFF_KINDS }).notNull(),
    baseHash: text('base_hash').notNull(), // the device-side hash this diff applies to
    objectKey: text('object_key').notNull(),
    size: integer('size').notNull(),
    hash: text('hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('release_diffs_unique_idx').on(t.releaseId, t.baseReleaseId, t.kind),
    index('release_diffs_base_hash_idx').on(t.releaseId, t.baseHash),
    // Purging a release must find the diffs built on it without a table scan.
    index('release_diffs_base_release_idx').on(t.baseReleaseId),
  ],
);

/** Seed 002's upload job: one bundle on its way from `pending/` to a release. */
export const uploadJobs = sqliteTable(
  'upload_jobs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    channelId: text('channel_id')
      .notNull()
      .references(() => channels.id),
    releaseId: text('release_id'), // minted up front, set on the release once it commits
    userId: text('user_id').references(() => users.id),
    status: text('status', { enum: UPLOAD_JOB_STATUSES }).notNull().default('pending'),
    progress: integer('progress').notNull().default(0), // 0-100
    priority: integer('priority').notNull().default(2), // 0 enterprise, 1 pro, 2 free
    pendingKey: text('pending_key').notNull(),
    size: integer('size'),
    declaredHash: text('declared_hash'),
    options: text('options', { mode: 'json' }).$type<Record<string, unknown>>(),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at'),
  },
  (t) => [
    index('upload_jobs_app_created_idx').on(t.appId, t.createdAt),
    index('upload_jobs_status_idx').on(t.status, t.createdAt),
    index('upload_jobs_org_idx').on(t.orgId),
    index('upload_jobs_channel_idx').on(t.channelId),
    index('upload_jobs_user_idx').on(t.userId),
  ],
);

export type Release = typeof releases.$inferSelect;
export type NewRelease = typeof releases.$inferInsert;
export type ReleaseDiff = typeof releaseDiffs.$inferSelect;
export type NewReleaseDiff = typeof releaseDiffs.$inferInsert;
export type UploadJob = typeof uploadJobs.$inferSelect;
export type NewUploadJob = typeof uploadJobs.$inferInsert;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
