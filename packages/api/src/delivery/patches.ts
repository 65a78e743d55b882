import { ReleaseVersion } from '@skypatch/protocol';
import { getDb } from '../db';
import { type PatchTarget, patchesOfTarget } from '../db/queries/patches';
import { PATCH_ARCHES, PATCH_PLATFORMS } from '../db/schema';
import { cacheKeys } from '../services/cache';
import { readThrough } from './cache';
import type { D1Meter } from './view';

/** One artifact row of a device's (app, release, platform, arch), as the check caches it. */
export interface TargetPatch {
  number: number;
  /** The R2 key of the artifact (seed 001's `download_url` column holds the key). */
  objectKey: string;
  hash: string;
  hashSignature: string | null;
  /** Seed 001's `active`: 1 served, 0 rolled back; anything else neither. */
  active: number | null;
  channel: string;
}

export interface PatchDecision {
  best: TargetPatch | null;
  rolledBack: number[];
}

/** App ids as the patch service writes them (`app_…`), and seed 001's `com.example.app`. */
const APP_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * A device's request in the seed's terms, or null when no row can match it: a platform or arch
 * the seed's CHECK constraints exclude, or an app id or release version of a shape the patch
 * service never writes. Those answer "no patch" with no I/O, and every cache key stays well
 * under KV's 512 bytes.
 */
export function toPatchTarget(device: {
  app_id: string;
  release_version: string;
  platform: string;
  arch: string;
}): PatchTarget | null {
  const platform = PATCH_PLATFORMS.find((known) => known === device.platform);
  const arch = PATCH_ARCHES.find((known) => known === device.arch);
  if (!platform || !arch) return null;
  if (!APP_ID.test(device.app_id) || !ReleaseVersion.safeParse(device.release_version).success) {
    return null;
  }
  return { appId: device.app_id, releaseVersion: device.release_version, platform, arch };
}

/**
 * The check's decision over every row of the target (shorebird.md §3, §7.1, §7.3): the newest
 * active patch on the requested channel, and that channel's rolled-back numbers. Tracks are
 * independent, with no fallback to `stable`. With the legacy `patch_number`, a best patch at or
 * below it is no patch: those updaters would download it again on every launch.
 */
export function decidePatch(
  rows: readonly TargetPatch[],
  request: { channel: string; legacyPatchNumber?: number | null },
): PatchDecision {
  let best: TargetPatch | null = null;
  const rolledBack: number[] = [];
  for (const row of rows) {
    if (row.channel !== request.channel) continue;
    if (row.active === 0) rolledBack.push(row.number);
    else if (row.active === 1 && (!best || row.number > best.number)) best = row;
  }
  const legacy = request.legacyPatchNumber;
  if (best && typeof legacy === 'number' && best.number <= legacy) best = null;
  return { best, rolledBack: rolledBack.sort((a, b) => a - b) };
}

/**
 * Every row of the target, cached (delivery/cache.ts): a hit costs no D1 read, a miss one
 * indexed statement. One entry serves every channel and legacy number, so a device's answer
 * is computed from it per request. The stamp is the app's `patch-version`, which the patch
 * service moves after every upload, rollback and track change.
 */
export function patchesOf(
  env: Pick<Env, 'DB' | 'CACHE'>,
  target: PatchTarget,
  waitUntil: (work: Promise<unknown>) => void,
  meter?: D1Meter,
): Promise<TargetPatch[]> {
  // Encoded parts: an app id or a release version can never run into the next part.
  const id = [target.appId, target.releaseVersion, target.platform, target.arch]
    .map(encodeURIComponent)
    .join(':');
  return readThrough<TargetPatch[]>({
    kv: env.CACHE,
    memoKey: `patches:${id}`,
    stampKey: cacheKeys.patchVersion(target.appId),
    viewKey: (stamp) => `patch-check:${id}:v${stamp}`,
    load: () => loadTargetPatches(env.DB, target, meter),
    waitUntil,
  });
}

/** The columns of patchesOfTarget, as D1 names them. */
interface TargetRow {
  patch_number: number;
  download_url: string;
  hash: string;
  hash_signature: string | null;
  active: number | null;
  channel: string;
}

/**
 * Reads the primary, never a replica: a view is cached under the stamp read before it, so it
 * must hold every write that stamp was published for (a lagging replica would not). The typed
 * query runs as a raw statement so D1's meta (rows read) reaches the meter.
 */
async function loadTargetPatches(
  d1: D1Database,
  target: PatchTarget,
  meter?: D1Meter,
): Promise<TargetPatch[]> {
  const query = patchesOfTarget(getDb(d1), target).toSQL();
  const { results, meta } = await d1
    .prepare(query.sql)
    .bind(...query.params)
    .all<TargetRow>();
  meter?.(meta.rows_read);
  return results.map((row) => ({
    number: row.patch_number,
    objectKey: row.download_url,
    hash: row.hash,
    hashSignature: row.hash_signature,
    active: row.active,
    channel: row.channel,
  }));
}
