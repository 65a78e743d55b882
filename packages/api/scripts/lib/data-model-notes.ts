/**
 * What the schema cannot say about itself: why each table exists, how big it grows, how it is read
 * and why each index is there. The generator (data-model.ts) refuses to run while a table or a
 * named index lacks an entry here, so a new table cannot ship undocumented. Key order is the order
 * of docs/data-model.md.
 */

export interface AccessPattern {
  readonly operation: string;
  /** The statement's shape, as the service writes it: placeholders, no literal ids. */
  readonly query: string;
  readonly frequency: string;
}

/** A column that points at another table without a foreign key, and why it has none. */
export interface SoftReference {
  readonly column: string;
  readonly table: string;
  readonly why: string;
}

export interface TableNotes {
  /** One sentence. */
  readonly purpose: string;
  readonly rowsEstimate: string;
  readonly accessPatterns: readonly AccessPattern[];
  /**
   * The purpose of every named index and unique constraint, keyed by its SQL name. The primary
   * key gets a default purpose; key it as 'PRIMARY KEY' to say more.
   */
  readonly indexes: Readonly<Record<string, string>>;
  /** Extra remarks appended to a column's generated notes, keyed by SQL column name. */
  readonly columns?: Readonly<Record<string, string>>;
  readonly softReferences?: readonly SoftReference[];
}

const HIGH = 'High';
const MEDIUM = 'Medium';
const LOW = 'Low';
const ON_KV_MISS = 'High, on a KV miss only';
const DAILY_CRON = 'Daily cron';

export const TABLE_NOTES = {
  // --- Accounts ------------------------------------------------------------------------------
  organizations: {
    purpose:
      'A customer account that owns apps, API keys and status pages; its plan picks the upload queue.',
    rowsEstimate: '1,000s',
    indexes: {
      organizations_slug_unique_idx: 'Slug lookup; partial, so a soft-deleted org frees its slug',
      organizations_deleted_at_idx: 'Purge of orgs past the soft-delete grace period',
    },
    accessPatterns: [
      {
        operation: "Load the actor's org",
        query: 'WHERE id = ? AND deleted_at IS NULL',
        frequency: HIGH,
      },
      {
        operation: 'Resolve a slug',
        query: 'WHERE slug = ? AND deleted_at IS NULL',
        frequency: MEDIUM,
      },
      { operation: 'Purge soft-deleted', query: 'WHERE deleted_at < ?', frequency: DAILY_CRON },
    ],
    columns: {
      plan: 'picks the upload queue: enterprise → P0, pro → P1, free → P2',
      deleted_at: 'soft delete; purged by cron after the grace period',
    },
  },
  users: {
    purpose:
      "A person who signs in by email and password or GitHub, with seed 004's lockout and profile fields.",
    rowsEstimate: '10,000s',
    indexes: {
      users_email_unique: 'One account per email; the password sign-in lookup',
      users_username_unique: 'Unique public username (NULLs allowed)',
      users_email_idx: "Seed 004's index; duplicates users_email_unique",
      users_provider_unique_idx: 'One account per provider identity; the GitHub sign-in lookup',
      users_username_idx: "Seed 004's index; duplicates users_username_unique",
      users_failed_login_attempts_idx: 'Seed 004: accounts with repeated failed sign-ins',
      users_locked_until_idx: 'Seed 004: locked accounts and their expiry',
      users_is_active_idx: 'Seed 004: active filter (two values, low selectivity)',
      users_last_active_at_idx: 'Seed 004: inactive-account reports',
    },
    accessPatterns: [
      {
        operation: 'Password sign-in',
        query: 'WHERE email = ? AND deleted_at IS NULL',
        frequency: MEDIUM,
      },
      {
        operation: 'GitHub sign-in',
        query: "WHERE provider = 'github' AND provider_id = ?",
        frequency: MEDIUM,
      },
      { operation: "Load the session's user", query: 'WHERE id = ?', frequency: HIGH },
      {
        operation: 'Count a failed sign-in',
        query:
          'SET failed_login_attempts = failed_login_attempts + 1, locked_until = ? WHERE id = ?',
        frequency: LOW,
      },
      {
        operation: 'Touch activity',
        query: 'SET last_active_at = ? WHERE id = ?',
        frequency: MEDIUM,
      },
    ],
    columns: {
      provider: 'email or github',
      password_hash: '`<scheme>$<params>$<salt>$<hash>`: the scheme travels with the hash',
    },
  },
  memberships: {
    purpose: 'Gives a user a role in an organization; every permission check reads it.',
    rowsEstimate: '10,000s',
    indexes: {
      memberships_org_user_unique_idx:
        "One role per user and org: the authorization lookup; its prefix lists an org's members",
      memberships_user_idx: 'The orgs of a user (sign-in, org switcher)',
    },
    accessPatterns: [
      {
        operation: 'Authorize a user in an org',
        query: 'WHERE org_id = ? AND user_id = ?',
        frequency: HIGH,
      },
      { operation: 'List the orgs of a user', query: 'WHERE user_id = ?', frequency: MEDIUM },
      { operation: "List an org's members", query: 'WHERE org_id = ?', frequency: LOW },
      { operation: 'Keep one owner', query: "WHERE org_id = ? AND role = 'owner'", frequency: LOW },
    ],
  },
  sessions: {
    purpose:
      'One refresh-token family of a signed-in user (seed 004), tokens stored as SHA-256 hashes.',
    rowsEstimate: '10,000s',
    indexes: {
      sessions_user_idx: "List and revoke a user's sessions",
      sessions_access_token_idx: 'Authenticate a request by its access-token hash',
      sessions_refresh_token_idx: 'Rotate a session by its refresh-token hash',
      sessions_previous_refresh_token_idx:
        'Reuse detection: a rotated-away token revokes its family',
      sessions_expires_at_idx: 'Purge of expired sessions',
      sessions_is_active_idx: 'Seed 004: active filter (two values, low selectivity)',
      sessions_device_fingerprint_idx: 'Seed 004: the sessions of one device',
    },
    accessPatterns: [
      {
        operation: 'Authenticate a request',
        query: 'WHERE access_token_hash = ? AND revoked_at IS NULL AND access_expires_at > ?',
        frequency: HIGH,
      },
      {
        operation: 'Refresh tokens',
        query: 'WHERE refresh_token_hash = ? AND revoked_at IS NULL',
        frequency: MEDIUM,
      },
      {
        operation: 'Detect refresh-token reuse',
        query: 'WHERE previous_refresh_token_hash = ?',
        frequency: LOW,
      },
      {
        operation: "List a user's sessions",
        query: 'WHERE user_id = ? AND revoked_at IS NULL',
        frequency: LOW,
      },
      { operation: 'Purge expired', query: 'WHERE expires_at < ?', frequency: DAILY_CRON },
    ],
    columns: {
      access_token_hash: "SHA-256 of seed 004's `access_token`",
      refresh_token_hash: "SHA-256 of seed 004's `refresh_token`",
      previous_refresh_token_hash: 'the token rotated away last; presenting it revokes the session',
      access_expires_at: 'end of the current access token',
      expires_at: 'end of the refresh-token family',
    },
  },
  invitations: {
    purpose:
      'A one-time token that lets its holder join an org with a role (not in the seeds; see the table comment).',
    rowsEstimate: '1,000s',
    indexes: {
      invitations_token_hash_unique_idx: 'Accept an invitation by the hash of its token',
      invitations_org_idx: "List an org's invitations newest first (cursor on created_at, id)",
      invitations_invited_by_idx: 'Foreign-key checks when a user is purged',
      invitations_accepted_by_idx: 'Foreign-key checks when a user is purged',
    },
    accessPatterns: [
      {
        operation: 'Accept an invitation',
        query:
          'WHERE token_hash = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?',
        frequency: LOW,
      },
      {
        operation: "List an org's invitations",
        query: 'WHERE org_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
        frequency: LOW,
      },
    ],
    columns: {
      token_hash: 'SHA-256 of the token shown once to the inviting admin',
      accepted_by_user_id: 'who used the token (any signed-in user holding it may accept)',
    },
  },
  api_keys: {
    purpose:
      "An org's key for the CLI and CI (seed 001, extended), stored as a hash with a visible prefix.",
    rowsEstimate: '1,000s',
    indexes: {
      api_keys_key_hash_unique_idx: "Authenticate a request by the key's hash",
      api_keys_org_idx: "List an org's keys newest first (cursor on created_at, id)",
      api_keys_app_idx: 'Keys narrowed to one app',
      api_keys_created_by_idx: 'Keys a user created (foreign-key checks when a user is purged)',
    },
    accessPatterns: [
      {
        operation: 'Authenticate a request',
        query:
          'WHERE key_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
        frequency: HIGH,
      },
      {
        operation: "List an org's keys",
        query: 'WHERE org_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
        frequency: LOW,
      },
      {
        operation: 'Revoke',
        query: 'SET revoked_at = ? WHERE id = ? AND org_id = ?',
        frequency: LOW,
      },
    ],
    columns: {
      key_hash: "SHA-256 of the secret (seed 001's `key`); the secret is never stored",
      prefix: 'shown in lists, e.g. `sk_live_ab12`',
      app_id: 'NULL: every app of the org (seed 001 required it)',
      role: 'the key acts with this role',
    },
  },
  user_secrets: {
    purpose:
      'A third-party credential a user stores (seed 004), AES-GCM encrypted, with a preview for lists.',
    rowsEstimate: '1,000s',
    indexes: {
      user_secrets_user_provider_idx: "A user's secrets for one provider",
      user_secrets_provider_idx: 'Seed 004: secrets of one provider',
      user_secrets_is_active_idx: 'Seed 004: active filter (two values, low selectivity)',
      user_secrets_last_used_idx: 'Seed 004: unused-secret reports',
      user_secrets_org_idx: 'Secrets shared with an org',
    },
    accessPatterns: [
      {
        operation: "List a user's secrets",
        query: 'WHERE user_id = ? AND is_active = 1',
        frequency: LOW,
      },
      {
        operation: 'Read one to use it',
        query: 'WHERE user_id = ? AND provider = ? AND is_active = 1',
        frequency: LOW,
      },
      {
        operation: 'Record a use',
        query: 'SET last_used = ?, usage_count = usage_count + 1 WHERE id = ?',
        frequency: LOW,
      },
    ],
    columns: {
      encrypted_value: '`v1.<iv>.<ciphertext>`, a fresh 12-byte IV per value',
      key_preview: 'shown in lists; never the secret',
    },
  },
  audit_logs: {
    purpose:
      'Who (user, API key or system) changed what; written in the same D1 batch as the change.',
    rowsEstimate: '1,000,000s',
    indexes: {
      audit_logs_user_idx: "A user's activity; the ON DELETE SET NULL of users reads it",
      audit_logs_resource_idx: 'The history of one resource',
      audit_logs_action_idx: 'Seed 004: events of one action',
      audit_logs_timestamp_idx: 'Time ranges across orgs (exports, retention)',
      audit_logs_org_timestamp_idx: "An org's audit log, newest first",
    },
    accessPatterns: [
      {
        operation: 'Record a change',
        query: "INSERT in the mutation's batch()",
        frequency: 'Every mutation',
      },
      {
        operation: "An org's audit log",
        query: 'WHERE org_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?',
        frequency: LOW,
      },
      {
        operation: "A resource's history",
        query: 'WHERE resource_type = ? AND resource_id = ? ORDER BY timestamp',
        frequency: LOW,
      },
    ],
    columns: {
      org_id: 'NULL for account-level events (sign-up, sign-in)',
      api_key_id: 'set when actor_type is api_key',
    },
    softReferences: [
      { column: 'org_id', table: 'organizations', why: 'NULL for account-level events' },
      { column: 'api_key_id', table: 'api_keys', why: 'the record names the key as it was' },
    ],
  },

  // --- Apps and delivery ---------------------------------------------------------------------
  apps: {
    purpose:
      'A mobile app of an organization (seed 000): bundle id, platform and release-health settings.',
    rowsEstimate: '1,000s',
    indexes: {
      apps_owner_idx: "List an org's apps (seed 000's name: the owner is the org)",
      apps_bundle_id_idx: 'Find apps by bundle id (seed 000)',
      apps_org_name_unique_idx:
        'Unique name per org among live apps; partial, so a deleted app frees its name',
    },
    accessPatterns: [
      {
        operation: 'Load an owned app',
        query: 'WHERE id = ? AND org_id = ? AND deleted_at IS NULL',
        frequency: HIGH,
      },
      {
        operation: "List an org's apps",
        query: 'WHERE org_id = ? AND deleted_at IS NULL ORDER BY created_at, id',
        frequency: MEDIUM,
      },
      {
        operation: 'Read settings (KV `app:{appId}` first)',
        query: 'WHERE id = ?',
        frequency: MEDIUM,
      },
    ],
    columns: {
      org_id: "seed 000's `owner_id`",
      settings: 'crash-rollback threshold, minimum installs and action',
    },
  },
  channels: {
    purpose:
      'A delivery track of an app (a CodePush deployment) whose deployment key clients embed.',
    rowsEstimate: '10,000s',
    indexes: {
      channels_deployment_key_unique_idx: "Resolve a client's deployment key to (app, channel)",
      channels_app_idx:
        'Channels of an app; serves foreign-key checks the partial unique index cannot',
      channels_app_name_unique_idx:
        "Unique name per app among live channels; lists an app's channels",
    },
    accessPatterns: [
      {
        operation: 'Resolve a deployment key',
        query: 'WHERE deployment_key = ? AND deleted_at IS NULL',
        frequency: ON_KV_MISS,
      },
      {
        operation: "List an app's channels",
        query: 'WHERE app_id = ? AND deleted_at IS NULL',
        frequency: MEDIUM,
      },
      {
        operation: 'Invalidate cached releases',
        query: 'SET cache_version = cache_version + 1 WHERE id = ?',
        frequency: 'Per release change',
      },
    ],
    columns: {
      deployment_key: '10-100 chars of [A-Za-z0-9_-], the charset CodePush clients accept',
      cache_version: 'bumped on every release change; KV cache keys embed it',
    },
  },
  releases: {
    purpose:
      'A bundle published to a channel (seed 000, extended) with its targeting, rollout and CodePush fields.',
    rowsEstimate: '100,000s',
    indexes: {
      releases_app_idx: "An app's releases across channels",
      releases_status_idx: 'Releases by status (release-health job)',
      releases_created_idx: 'Releases by time across apps (seed 000)',
      releases_channel_created_idx: "The update check's one read: the newest releases of a channel",
      releases_channel_label_unique_idx:
        'CodePush labels (v1, v2, …) unique per channel; lookup by label',
      releases_created_by_idx: 'Releases a user made (foreign-key checks when a user is purged)',
    },
    accessPatterns: [
      {
        operation: 'Update check',
        query: 'WHERE channel_id = ? AND deleted_at IS NULL ORDER BY created_at DESC LIMIT ?',
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Rollback or promote by label',
        query: 'WHERE channel_id = ? AND label = ?',
        frequency: LOW,
      },
      {
        operation: "List an app's releases",
        query: 'WHERE app_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?',
        frequency: MEDIUM,
      },
      {
        operation: 'Release health',
        query: "WHERE status = 'active' AND created_at > ?",
        frequency: 'Cron',
      },
      {
        operation: 'Pause or roll back',
        query: 'SET status = ?, rollback_reason = ? WHERE id = ?',
        frequency: LOW,
      },
    ],
    columns: {
      label: 'CodePush label: v1, v2, … per channel',
      bundle_url: 'R2 key `{appId}/{releaseId}/bundle`',
      bundle_hash: '`sha256:<hex>` of the uploaded bytes',
      package_hash: 'CodePush manifest hash (codepush.md §2.4)',
      app_version_range: 'npm semver range (CodePush targetBinaryRange)',
      runtime_version: 'Expo runtime version',
      rollout_percentage: '0-100',
      origin_release_id: 'the release this one was promoted from',
    },
    softReferences: [
      {
        column: 'origin_release_id',
        table: 'releases',
        why: 'provenance only; the origin may be purged',
      },
    ],
  },
  release_diffs: {
    purpose:
      'A precomputed diff from a base release to a release, stored in R2 and served instead of the full bundle.',
    rowsEstimate: '100,000s',
    indexes: {
      release_diffs_unique_idx:
        'One diff per (release, base, kind), so consumer retries stay idempotent',
      release_diffs_base_hash_idx:
        "Update check: the diff that applies to the device's current bundle",
      release_diffs_base_release_idx: 'Diffs built on a release, found when that release is purged',
    },
    accessPatterns: [
      {
        operation: 'Find the diff for a device',
        query: 'WHERE release_id = ? AND base_hash = ?',
        frequency: 'Per update a device installs',
      },
      {
        operation: 'Record diffs',
        query: "INSERT in the upload consumer's batch()",
        frequency: 'Per release',
      },
      {
        operation: 'Purge with a release',
        query: 'WHERE release_id = ? OR base_release_id = ?',
        frequency: DAILY_CRON,
      },
    ],
    columns: {
      base_hash: 'the device-side bundle hash this diff applies to',
      object_key: 'R2 key `{appId}/{releaseId}/diffs/{baseReleaseId}.codepush.zip` or `.fossil`',
    },
  },
  upload_jobs: {
    purpose: "Seed 002's upload job: one bundle on its way from R2 `pending/` to a release.",
    rowsEstimate: '100,000s',
    indexes: {
      upload_jobs_app_created_idx: "An app's uploads, newest first",
      upload_jobs_status_idx: 'Stuck or abandoned jobs by status and age',
      upload_jobs_org_idx: 'Jobs of an org (foreign-key checks, org purge)',
      upload_jobs_channel_idx: 'Jobs of a channel (foreign-key checks, channel delete)',
      upload_jobs_user_idx: 'Jobs a user started (foreign-key checks, concurrency view)',
    },
    accessPatterns: [
      {
        operation: 'Create on upload',
        query: 'INSERT before the queue send',
        frequency: 'Per release',
      },
      {
        operation: 'Record progress',
        query: 'SET status = ?, progress = ?, attempts = ? WHERE id = ?',
        frequency: 'Per consumer step',
      },
      {
        operation: 'Read a job (polling fallback)',
        query: 'WHERE id = ? AND org_id = ?',
        frequency: MEDIUM,
      },
      {
        operation: "List an app's uploads",
        query: 'WHERE app_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
        frequency: LOW,
      },
      {
        operation: 'Find stale jobs',
        query: "WHERE status = 'pending' AND created_at < ?",
        frequency: DAILY_CRON,
      },
    ],
    columns: {
      release_id: 'minted up front; set on the release once it commits',
      priority: '0 enterprise, 1 pro, 2 free: queue P0, P1, P2',
      progress: '0-100, mirrored to UploadStatusDO',
      pending_key: 'R2 key `pending/{jobId}/bundle`',
      declared_hash: "the client's hash, checked by the consumer",
    },
    softReferences: [
      {
        column: 'release_id',
        table: 'releases',
        why: 'the id exists before the release row commits',
      },
    ],
  },

  // --- Flutter patches -----------------------------------------------------------------------
  retired_deployment_keys: {
    purpose:
      'Deployment keys rotated away or purged: apps in the field embed them, so no other channel may ever take one.',
    rowsEstimate: '1,000s',
    indexes: {},
    accessPatterns: [
      {
        operation: 'Refuse a retired key for a new channel',
        query: 'WHERE deployment_key = ? (inside the channel insert batch)',
        frequency: LOW,
      },
    ],
    columns: { channel_id: 'the channel that last used it; no foreign key, it may be purged' },
  },
  patch_channels: {
    purpose:
      "The track (channel) of each Flutter patch number, beside seed 001's patches table, which has none (shorebird.md §7.1).",
    rowsEstimate: '10,000s',
    indexes: {
      patch_channels_channel_idx:
        "The patch check: a release version's numbers on the device's track",
    },
    accessPatterns: [
      {
        operation: 'Reserve the next patch number',
        query: 'INSERT … SELECT max(patch_number) + 1 over patches and patch_channels',
        frequency: LOW,
      },
      {
        operation: 'Patch check on a track',
        query: 'WHERE app_id = ? AND release_version = ? AND channel = ?',
        frequency: HIGH,
      },
    ],
    columns: {
      channel: "a track name; a number with no row is on 'stable'",
    },
  },
  patches: {
    purpose:
      'A Flutter patch for one app release version, platform and arch, exactly as seed 001 wrote it.',
    rowsEstimate: '10,000s',
    indexes: {
      patches_unique: 'One patch number per (app, release version, platform, arch)',
      idx_patches_lookup:
        "Patch check: the newest active patch for a device's release, platform and arch",
    },
    accessPatterns: [
      {
        operation: 'Patch check',
        query:
          'WHERE app_id = ? AND release_version = ? AND platform = ? AND arch = ? AND active = 1 ORDER BY patch_number DESC LIMIT 1',
        frequency: HIGH,
      },
      { operation: 'Publish a patch', query: 'INSERT', frequency: LOW },
      {
        operation: 'Withdraw a patch',
        query: 'SET active = 0 WHERE app_id = ? AND release_version = ? AND patch_number = ?',
        frequency: LOW,
      },
    ],
    columns: {
      app_id: 'the app id as the Shorebird-shaped client sends it',
      download_url:
        'artifact under R2 `patches/{appId}/{releaseVersion}/{platform}/{arch}/{patchNumber}`',
      active: "1 served, 0 withdrawn (seed 001's integer flag)",
    },
    softReferences: [{ column: 'app_id', table: 'apps', why: 'seed 001 declares none' }],
  },

  // --- Telemetry -----------------------------------------------------------------------------
  devices: {
    purpose: "Seed 000's device registry: one row per app and device, with the bundle it runs.",
    rowsEstimate: '1,000,000s',
    indexes: {
      'PRIMARY KEY':
        "Per-app identity: iOS identifierForVendor is shared by a vendor's apps; the upsert target",
      devices_app_idx: "An app's devices (also served by the primary key's prefix)",
      devices_last_seen_idx: 'Active-device counts and retention of silent devices',
      devices_release_idx: 'Devices on a release (adoption, rollback impact)',
    },
    accessPatterns: [
      {
        operation: 'Record a report',
        query: 'INSERT … SELECT … WHERE ingest_batch = ? ON CONFLICT (app_id, id) DO UPDATE',
        frequency: 'High, per telemetry batch',
      },
      {
        operation: 'Adoption of a release',
        query: 'WHERE current_release_id = ?',
        frequency: MEDIUM,
      },
      {
        operation: 'Forget silent devices',
        query: 'WHERE last_seen_at < ?',
        frequency: DAILY_CRON,
      },
    ],
    columns: {
      id: 'generated on the device (iOS: identifierForVendor)',
    },
    softReferences: [
      {
        column: 'current_release_id',
        table: 'releases',
        why: 'reported by the device; may name a purged release',
      },
    ],
  },
  telemetry_events: {
    purpose: "Seed 000's raw device events; client-generated ids make queue redelivery idempotent.",
    rowsEstimate: '10,000,000s',
    indexes: {
      telemetry_app_idx: "An app's events",
      telemetry_device_idx: "One device's timeline (support)",
      telemetry_event_type_idx: 'Seed 000: events of one type',
      telemetry_timestamp_idx: 'Retention: delete by age',
      telemetry_release_timestamp_idx: "Release health: a release's events in a time window",
      telemetry_ingest_batch_idx:
        "The consumer's aggregate statements: exactly the rows its batch just inserted",
    },
    accessPatterns: [
      {
        operation: 'Record a batch',
        query: 'INSERT … ON CONFLICT (id) DO NOTHING',
        frequency: 'High, per telemetry batch',
      },
      {
        operation: 'Aggregate a batch into release_stats and devices',
        query: 'WHERE ingest_batch = ? GROUP BY release_id (or app_id, device_id)',
        frequency: 'High, per telemetry batch',
      },
      {
        operation: 'Release health',
        query:
          "WHERE release_id = ? AND timestamp > ? AND event_type IN ('crash', 'update_failed')",
        frequency: 'Cron',
      },
      {
        operation: "A device's timeline",
        query: 'WHERE device_id = ? ORDER BY timestamp DESC',
        frequency: LOW,
      },
      { operation: 'Retention', query: 'WHERE timestamp < ?', frequency: DAILY_CRON },
    ],
    columns: {
      id: 'client-generated: a redelivered message inserts nothing',
      timestamp: 'when the event happened on the device',
      created_at: 'when the consumer stored it',
      ingest_batch:
        'the consumer batch that inserted the row; counters and devices are computed from one ' +
        "batch's rows, so a redelivered event (which keeps its first marker) counts once",
    },
    softReferences: [
      { column: 'app_id', table: 'apps', why: 'raw events are kept as received' },
      {
        column: 'device_id',
        table: 'devices',
        why: 'with app_id; events may precede the device row',
      },
      { column: 'release_id', table: 'releases', why: 'raw events are kept as received' },
    ],
  },
  release_stats: {
    purpose:
      "Seed 000's per-release counters, bumped once per telemetry batch for new events only.",
    rowsEstimate: '100,000s',
    indexes: {
      'PRIMARY KEY': 'One row per release: the counter upsert target',
    },
    accessPatterns: [
      {
        operation: 'Bump counters',
        query:
          'INSERT … SELECT … GROUP BY release_id ON CONFLICT (release_id) DO UPDATE SET total_installs = total_installs + excluded.total_installs, …',
        frequency: 'High, per telemetry batch',
      },
      { operation: "Read a release's stats", query: 'WHERE release_id = ?', frequency: MEDIUM },
      { operation: 'Release health', query: 'WHERE release_id IN (…)', frequency: 'Cron' },
    ],
  },

  // --- Status pages (seed 003) ---------------------------------------------------------------
  pages: {
    purpose:
      "An org's public status page (seed 003), served on its subdomain, custom domain or id host.",
    rowsEstimate: '100s',
    indexes: {
      pages_subdomain_unique: 'One page per subdomain; host → page',
      pages_custom_domain_unique: 'One page per custom domain; host → page',
      pages_subdomain_idx: "Seed 003's index; duplicates pages_subdomain_unique",
      pages_org_idx: "An org's pages",
    },
    accessPatterns: [
      {
        operation: 'Resolve a host',
        query: 'WHERE subdomain = ? (or custom_domain = ?, or id = ?)',
        frequency: ON_KV_MISS,
      },
      { operation: "List an org's pages", query: 'WHERE org_id = ?', frequency: LOW },
      {
        operation: 'Recompute the indicator',
        query: 'SET status_indicator = ?, status_description = ? WHERE id = ?',
        frequency: 'Per incident change',
      },
    ],
    columns: {
      url: "the company's own site, linked from the page header",
      status_indicator: 'derived from components and incidents (statuspage.md §2)',
    },
  },
  component_groups: {
    purpose: "A named group of components on a page (Statuspage's group container).",
    rowsEstimate: '1,000s',
    indexes: {
      component_groups_page_idx: "A page's groups in display order",
    },
    accessPatterns: [
      {
        operation: 'Render a page',
        query: 'WHERE page_id = ? ORDER BY position',
        frequency: ON_KV_MISS,
      },
    ],
  },
  components: {
    purpose: 'A service shown on a status page, with its current status.',
    rowsEstimate: '10,000s',
    indexes: {
      components_page_idx: "A page's components (summary.json, components.json)",
      components_group_idx: "A group's children; the ON DELETE SET NULL of groups reads it",
    },
    accessPatterns: [
      {
        operation: 'Render a page',
        query: 'WHERE page_id = ? ORDER BY position, created_at, id',
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Set a status',
        query: 'SET status = ? WHERE id = ? AND page_id = ?',
        frequency: 'Per incident update',
      },
    ],
    columns: {
      start_date: 'a calendar date (YYYY-MM-DD), as Statuspage sends it',
    },
  },
  incidents: {
    purpose: 'An incident or a scheduled maintenance (statuses scheduled … completed) of a page.',
    rowsEstimate: '10,000s',
    indexes: {
      incidents_page_idx: "A page's incidents (a prefix of incidents_page_created_idx)",
      incidents_status_idx: 'Maintenance automation: due rows by status',
      incidents_page_created_idx: "A page's newest incidents (incidents.json: 50 newest)",
    },
    accessPatterns: [
      {
        operation: 'Unresolved incidents',
        query: "WHERE page_id = ? AND status IN ('investigating', 'identified', 'monitoring')",
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Newest incidents',
        query: 'WHERE page_id = ? ORDER BY created_at DESC LIMIT 50',
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Maintenance automation',
        query: "WHERE status IN ('scheduled', 'in_progress') AND scheduled_for <= ?",
        frequency: 'Every minute (cron)',
      },
    ],
  },
  incident_updates: {
    purpose: 'A message posted on an incident, shown newest first.',
    rowsEstimate: '100,000s',
    indexes: {
      incident_updates_incident_idx: "An incident's updates by display time",
    },
    accessPatterns: [
      {
        operation: 'Render incidents',
        query: 'WHERE incident_id IN (…) ORDER BY display_at DESC, created_at DESC',
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Post an update',
        query: 'INSERT in one batch() with incident_components and components',
        frequency: LOW,
      },
    ],
  },
  incident_components: {
    purpose: 'The components an incident update touched, with their status before and after.',
    rowsEstimate: '100,000s',
    indexes: {
      incident_components_incident_idx: "An incident's components",
      incident_components_component_idx:
        "A component's incidents (uptime related events); cascades",
      incident_components_update_idx: "An update's affected_components; cascades",
    },
    accessPatterns: [
      {
        operation: 'affected_components of updates',
        query: 'WHERE incident_id IN (…)',
        frequency: ON_KV_MISS,
      },
      {
        operation: 'Related events for uptime',
        query: 'WHERE component_id = ?',
        frequency: MEDIUM,
      },
    ],
  },
  component_status_log: {
    purpose:
      'Every status each component has held, one row per stretch (open row: ended_at null); the uptime bars are computed from it.',
    rowsEstimate: '100,000s (one row per status change)',
    indexes: {
      component_status_log_component_idx: "A component's history in time order; cascades",
      component_status_log_page_ended_idx:
        "A page's stretches still open or ended inside the 90-day window; cascades",
    },
    accessPatterns: [
      {
        operation: 'Close the open stretch and open a new one',
        query:
          'UPDATE … SET ended_at = ? WHERE component_id = ? AND ended_at IS NULL; INSERT, in the batch of the status change',
        frequency: LOW,
      },
      {
        operation: 'Uptime of a page',
        query: 'WHERE page_id = ? AND (ended_at IS NULL OR ended_at >= ?)',
        frequency: ON_KV_MISS,
      },
    ],
  },
  subscribers: {
    purpose: 'Email and webhook subscribers of a page; webhook secrets are stored encrypted.',
    rowsEstimate: '1,000s per page',
    indexes: {
      subscribers_page_idx: "A page's subscribers of one mode, for fan-out",
      subscribers_unsubscribe_token_hash_unique: 'The unsubscribe link finds its subscriber',
    },
    accessPatterns: [
      {
        operation: 'Fan out an incident or component event',
        query: "WHERE page_id = ? AND mode = 'webhook' AND quarantined_at IS NULL",
        frequency: LOW,
      },
    ],
  },
  webhook_deliveries: {
    purpose: 'One webhook POST to one subscriber with its attempts and last answer.',
    rowsEstimate: '100,000s (kept 30 days)',
    indexes: {
      webhook_deliveries_subscriber_idx: "A subscriber's deliveries, newest first; cascades",
    },
    accessPatterns: [
      {
        operation: 'Record an attempt',
        query: 'UPDATE … SET attempts = attempts + 1, status = ? WHERE id = ?',
        frequency: LOW,
      },
    ],
  },
} satisfies Readonly<Record<string, TableNotes>>;
