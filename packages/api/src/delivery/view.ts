import type { CandidateRelease } from '../core/selection';
import type { TargetingRules } from '../db/schema';

/** Told the rows each D1 read scanned: checks report it in `x-d1-rows-read` (the benchmark). */
export type D1Meter = (rowsRead: number) => void;

/** How many of a channel's newest releases a check considers (see docs/delivery.md). */
export const VIEW_RELEASE_LIMIT = 100;

export interface ViewDiff {
  kind: 'codepush_zip' | 'fossil_delta';
  baseReleaseId: string;
  /** The device-side hash it applies to: a package hash (codepush_zip) or a bundle sha256. */
  baseHash: string;
  objectKey: string;
  size: number;
  hash: string;
}

export interface ViewRelease extends CandidateRelease {
  /** A zip package (else one bundle file): decides which diff a native client can apply. */
  isZip: boolean;
  description: string | null;
  objectKey: string;
  size: number;
  signature: string | null;
  createdAt: number;
  diffs: ViewDiff[];
}

/**
 * Everything an update check needs about one deployment key, read in one D1 statement and
 * cached (delivery/cache.ts): the channel, its app, the app's signing key (still encrypted) and
 * the channel's newest releases, newest first, each with its diffs.
 */
export interface ChannelView {
  deploymentKey: string;
  channelId: string;
  appId: string;
  orgId: string;
  platform: 'ios' | 'android';
  signing: { keyId: string; encryptedPrivateKey: string } | null;
  releases: ViewRelease[];
}

// One statement, so a cache miss costs one D1 read: the key resolves through the unique index
// on channels.deployment_key, releases come from releases_channel_created_idx and their diffs
// from release_diffs_unique_idx; SQLite's JSON functions fold the rows into one result.
const CHANNEL_VIEW_SQL = `
SELECT c.id AS channelId, c.app_id AS appId, a.org_id AS orgId, a.platform AS platform,
  json_extract(a.settings, '$.codeSigning.keyId') AS keyId,
  (SELECT s.encrypted_value FROM user_secrets s
    WHERE s.id = json_extract(a.settings, '$.codeSigning.secretId')) AS encryptedPrivateKey,
  (SELECT json_group_array(json_object(
      'id', r.id, 'label', r.label, 'status', r.status,
      'appVersionRange', r.app_version_range, 'isMandatory', r.is_mandatory,
      'rolloutPercentage', r.rollout_percentage, 'targetingRules', json(r.targeting_rules),
      'packageHash', r.package_hash, 'bundleHash', r.bundle_hash, 'description', r.release_notes,
      'objectKey', r.bundle_url, 'size', r.bundle_size, 'signature', r.signature,
      'createdAt', r.created_at,
      'diffs', json((SELECT json_group_array(json_object(
          'kind', d.kind, 'baseReleaseId', d.base_release_id, 'baseHash', d.base_hash,
          'objectKey', d.object_key, 'size', d.size, 'hash', d.hash))
        FROM release_diffs d WHERE d.release_id = r.id))))
    FROM (SELECT * FROM releases
      WHERE channel_id = c.id AND deleted_at IS NULL
      ORDER BY created_at DESC, id DESC LIMIT ${VIEW_RELEASE_LIMIT}) r) AS releases
FROM channels c JOIN apps a ON a.id = c.app_id
WHERE c.deployment_key = ?1 AND c.deleted_at IS NULL AND a.deleted_at IS NULL`;

interface ViewRow {
  channelId: string;
  appId: string;
  orgId: string;
  platform: 'ios' | 'android';
  keyId: string | null;
  encryptedPrivateKey: string | null;
  releases: string;
}

type RawRelease = Omit<ViewRelease, 'isMandatory' | 'targetingRules' | 'isZip'> & {
  isMandatory: number;
  targetingRules: TargetingRules | null;
};

/** The view of a deployment key, or null when no live channel of a live app has it. */
export async function loadChannelView(
  db: D1Database,
  deploymentKey: string,
  meter?: D1Meter,
): Promise<ChannelView | null> {
  const { results, meta } = await db.prepare(CHANNEL_VIEW_SQL).bind(deploymentKey).all<ViewRow>();
  meter?.(meta.rows_read);
  const row = results[0];
  if (!row) return null;
  const releases = (JSON.parse(row.releases) as RawRelease[])
    .map((release) => ({
      ...release,
      isMandatory: release.isMandatory === 1,
      // A single file's package hash is its content hash (package-inspect.ts); a zip's is not.
      isZip: release.packageHash !== null && `sha256:${release.packageHash}` !== release.bundleHash,
    }))
    // json_group_array keeps the subquery's order in practice; sorting again costs nothing.
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  return {
    deploymentKey,
    channelId: row.channelId,
    appId: row.appId,
    orgId: row.orgId,
    platform: row.platform,
    signing:
      row.keyId && row.encryptedPrivateKey
        ? { keyId: row.keyId, encryptedPrivateKey: row.encryptedPrivateKey }
        : null,
    releases,
  };
}
