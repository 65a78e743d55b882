import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { apps } from './apps';
import { bool, createdAt, timestamp, updatedAt } from './columns';

export const ORG_PLANS = ['free', 'pro', 'enterprise'] as const;
export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export const API_KEY_SCOPES = ['full', 'read_only'] as const;
export const ACTOR_TYPES = ['user', 'api_key', 'system'] as const;

export const organizations = sqliteTable(
  'organizations',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    // The plan picks the upload queue: enterprise → P0, pro → P1, free → P2.
    plan: text('plan', { enum: ORG_PLANS }).notNull().default('free'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at'), // soft delete; purged by cron after the grace period
  },
  (t) => [
    // Partial, so a slug frees up once its org is soft-deleted.
    uniqueIndex('organizations_slug_unique_idx').on(t.slug).where(sql`${t.deletedAt} IS NULL`),
    index('organizations_deleted_at_idx').on(t.deletedAt),
  ],
);

/** Seed 004's users table, every security field kept. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull().unique(),
    username: text('username').unique(),
    displayName: text('display_name').notNull(),
    avatarUrl: text('avatar_url'),
    bio: text('bio'),
    provider: text('provider').notNull(), // 'email' | 'github'
    providerId: text('provider_id').notNull(),
    emailVerified: bool('email_verified').default(false),
    // "<scheme>$<params>$<salt>$<hash>": the scheme and its parameters travel with the hash.
    passwordHash: text('password_hash'),
    failedLoginAttempts: integer('failed_login_attempts').default(0),
    lockedUntil: timestamp('locked_until'),
    passwordChangedAt: timestamp('password_changed_at'),
    preferences: text('preferences', { mode: 'json' }).$type<Record<string, unknown>>().default({}),
    theme: text('theme', { enum: ['light', 'dark', 'system'] }).default('system'),
    timezone: text('timezone').default('UTC'),
    isActive: bool('is_active').default(true),
    isSuspended: bool('is_suspended').default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastActiveAt: timestamp('last_active_at'),
    deletedAt: timestamp('deleted_at'),
  },
  (t) => [
    index('users_email_idx').on(t.email),
    uniqueIndex('users_provider_unique_idx').on(t.provider, t.providerId),
    index('users_username_idx').on(t.username),
    index('users_failed_login_attempts_idx').on(t.failedLoginAttempts),
    index('users_locked_until_idx').on(t.lockedUntil),
    index('users_is_active_idx').on(t.isActive),
    index('users_last_active_at_idx').on(t.lastActiveAt),
  ],
);

export const memberships = sqliteTable(
  'memberships',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('memberships_org_user_unique_idx').on(t.orgId, t.userId),
    index('memberships_user_idx').on(t.userId),
  ],
);

/**
 * Seed 004's sessions. Both tokens are stored as SHA-256 hashes, never in clear: the seed's
 * `access_token` / `refresh_token` columns become `*_hash`. A session is one refresh-token
 * family; presenting a rotated-away refresh token revokes it (`revoked_at`).
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    accessTokenHash: text('access_token_hash').notNull(),
    refreshTokenHash: text('refresh_token_hash').notNull(),
    previousRefreshTokenHash: text('previous_refresh_token_hash'),
    ipAddress: text('ip_address').notNull(),
    userAgent: text('user_agent').notNull(),
    deviceFingerprint: text('device_fingerprint'),
    deviceName: text('device_name'),
    deviceType: text('device_type'),
    osName: text('os_name'),
    browserName: text('browser_name'),
    country: text('country'),
    city: text('city'),
    isActive: bool('is_active').default(true),
    accessExpiresAt: timestamp('access_expires_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(), // end of the refresh-token family
    revokedAt: timestamp('revoked_at'),
    lastUsedAt: timestamp('last_used_at').$defaultFn(() => new Date()),
    createdAt: createdAt(),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId),
    uniqueIndex('sessions_access_token_idx').on(t.accessTokenHash),
    uniqueIndex('sessions_refresh_token_idx').on(t.refreshTokenHash),
    index('sessions_previous_refresh_token_idx').on(t.previousRefreshTokenHash),
    index('sessions_expires_at_idx').on(t.expiresAt),
    index('sessions_is_active_idx').on(t.isActive),
    index('sessions_device_fingerprint_idx').on(t.deviceFingerprint),
  ],
);

/**
 * Pending invitations to an organization. Not in the seeds: people join an org only through a
 * one-time token an admin hands them, so an admin can never learn whether an email has an
 * account, and nobody joins an org just by signing up with an invited address.
 */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedByUserId: text('invited_by_user_id').references(() => users.id),
    acceptedByUserId: text('accepted_by_user_id').references(() => users.id),
    expiresAt: timestamp('expires_at').notNull(),
    acceptedAt: timestamp('accepted_at'),
    revokedAt: timestamp('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_unique_idx').on(t.tokenHash),
    index('invitations_org_idx').on(t.orgId, t.createdAt),
    index('invitations_invited_by_idx').on(t.invitedByUserId),
    index('invitations_accepted_by_idx').on(t.acceptedByUserId),
  ],
);

/**
 * Seed 001's `api_keys (key, app_id, created_at)` extended. The secret is never stored: `key_hash`
 * is its SHA-256 and `prefix` the part shown in lists (`sk_live_ab12…`). A key belongs to an org,
 * optionally narrowed to one app (seed 001's `app_id`, now nullable) and to read-only.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    name: text('name').notNull(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    appId: text('app_id').references(() => apps.id),
    role: text('role', { enum: ROLES }).notNull().default('developer'),
    scope: text('scope', { enum: API_KEY_SCOPES }).notNull().default('full'),
    createdByUserId: text('created_by_user_id').references(() => users.id),
    lastUsedAt: timestamp('last_used_at'),
    expiresAt: timestamp('expires_at'),
    revokedAt: timestamp('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_unique_idx').on(t.keyHash),
    index('api_keys_org_idx').on(t.orgId, t.createdAt),
    index('api_keys_app_idx').on(t.appId),
    index('api_keys_created_by_idx').on(t.createdByUserId),
  ],
);

/** Seed 004's user_secrets: AES-GCM ciphertext as `v1.<iv>.<ciphertext>` plus a preview. */
export const userSecrets = sqliteTable(
  'user_secrets',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    orgId: text('org_id').references(() => organizations.id),
    provider: text('provider').notNull(),
    secretType: text('secret_type').notNull(),
    displayName: text('display_name').notNull(),
    encryptedValue: text('encrypted_value').notNull(),
    keyPreview: text('key_preview'),
    isActive: bool('is_active').default(true),
    lastUsed: timestamp('last_used'),
    usageCount: integer('usage_count').default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    expiresAt: timestamp('expires_at'),
  },
  (t) => [
    index('user_secrets_user_provider_idx').on(t.userId, t.provider),
    index('user_secrets_provider_idx').on(t.provider),
    index('user_secrets_is_active_idx').on(t.isActive),
    index('user_secrets_last_used_idx').on(t.lastUsed),
    index('user_secrets_org_idx').on(t.orgId),
  ],
);

/**
 * Seed 004's audit trail, plus the org it belongs to (lists are per org) and who acted: a user,
 * an API key or the system (auto-rollback, cron). Written in the same D1 batch as the change.
 */
export const auditLogs = sqliteTable(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id'), // null for account-level events (sign-up, sign-in)
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull().default('user'),
    apiKeyId: text('api_key_id'),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id').notNull(),
    oldValues: text('old_values', { mode: 'json' }).$type<Record<string, unknown>>(),
    newValues: text('new_values', { mode: 'json' }).$type<Record<string, unknown>>(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    timestamp: timestamp('timestamp')
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [
    index('audit_logs_user_idx').on(t.userId),
    index('audit_logs_resource_idx').on(t.resourceType, t.resourceId),
    index('audit_logs_action_idx').on(t.action),
    index('audit_logs_timestamp_idx').on(t.timestamp),
    index('audit_logs_org_timestamp_idx').on(t.orgId, t.timestamp),
  ],
);

export type Organization = typeof organizations.$inferSelect;
export type NewOrganization = typeof organizations.$inferInsert;
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Membership = typeof memberships.$inferSelect;
export type NewMembership = typeof memberships.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type Invitation = typeof invitations.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
export type UserSecret = typeof userSecrets.$inferSelect;
export type NewUserSecret = typeof userSecrets.$inferInsert;
export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;
export type Role = (typeof ROLES)[number];
export type OrgPlan = (typeof ORG_PLANS)[number];
