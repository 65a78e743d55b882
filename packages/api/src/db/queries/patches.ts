import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../index';
import { type NewPatch, type PatchArch, patchChannels, patches } from '../schema';

// Seed 001's four queries (04 - DATABASE SCHEMA, "Query Examples"), typed. Each keeps the seed's
// WHERE and ORDER BY, so the reads run on `idx_patches_lookup` (app_id, release_version,
// platform, arch, active, patch_number). Each returns the unexecuted query: a caller may await
// it or put it in a D1 batch beside its audit row.

/** What a device names when it checks: one release of one app on one platform and arch. */
export interface PatchTarget {
  appId: string;
  releaseVersion: string;
  platform: 'android' | 'ios';
  arch: PatchArch;
}

/** One artifact row of a patch number: its target plus the number. */
export interface PatchArtifactRef extends PatchTarget {
  patchNumber: number;
}

/** "Check for Update": the newest active patch of the target, or none. */
export function checkForUpdate(db: Database, target: PatchTarget) {
  return db
    .select({
      patchNumber: patches.patchNumber,
      downloadUrl: patches.downloadUrl,
      hash: patches.hash,
      hashSignature: patches.hashSignature,
    })
    .from(patches)
    .where(and(...targetIs(target), eq(patches.active, 1)))
    .orderBy(desc(patches.patchNumber))
    .limit(1);
}

/** "Insert Patch": one artifact row; `active` takes the seed's default (1) unless given. */
export function insertPatch(db: Database, row: NewPatch) {
  return db.insert(patches).values(row).returning();
}

/** "Rollback Patch": `active = 0` on one artifact row. */
export function rollbackPatch(db: Database, ref: PatchArtifactRef) {
  return setPatchActive(db, ref, false);
}

/**
 * The rollback statement with the value as a parameter: `active = 1` undoes a rollback (roll
 * forward, shorebird.md §7.3) under the same WHERE, so both run on the seed's UNIQUE index.
 */
export function setPatchActive(db: Database, ref: PatchArtifactRef, active: boolean) {
  return db
    .update(patches)
    .set({ active: active ? 1 : 0 })
    .where(and(...targetIs(ref), eq(patches.patchNumber, ref.patchNumber)));
}

/** "List All Patches for App": every artifact row of an app, newest first. */
export function listPatchesForApp(db: Database, appId: string) {
  return db
    .select({
      releaseVersion: patches.releaseVersion,
      platform: patches.platform,
      arch: patches.arch,
      patchNumber: patches.patchNumber,
      active: patches.active,
      createdAt: patches.createdAt,
    })
    .from(patches)
    .where(eq(patches.appId, appId))
    .orderBy(desc(patches.createdAt));
}

/**
 * Every artifact row of a target, rolled back or not, each with its track: what the cached
 * patch check needs, in one statement (delivery/patches.ts picks the best patch and the
 * rolled-back numbers of the requested channel from it). The check-for-update WHERE without
 * `active`: SQLite reads it from the seed's UNIQUE index, whose patch_number order serves the
 * ORDER BY. The track comes through patch_channels' primary key; a number with no row there is
 * on `stable` (shorebird.md §7.1).
 */
export function patchesOfTarget(db: Database, target: PatchTarget) {
  return db
    .select({
      patchNumber: patches.patchNumber,
      downloadUrl: patches.downloadUrl,
      hash: patches.hash,
      hashSignature: patches.hashSignature,
      active: patches.active,
      channel: sql<string>`coalesce(${patchChannels.channel}, 'stable')`.as('channel'),
    })
    .from(patches)
    .leftJoin(
      patchChannels,
      and(
        eq(patchChannels.appId, patches.appId),
        eq(patchChannels.releaseVersion, patches.releaseVersion),
        eq(patchChannels.patchNumber, patches.patchNumber),
      ),
    )
    .where(and(...targetIs(target)))
    .orderBy(desc(patches.patchNumber));
}

function targetIs(target: PatchTarget) {
  return [
    eq(patches.appId, target.appId),
    eq(patches.releaseVersion, target.releaseVersion),
    eq(patches.platform, target.platform),
    eq(patches.arch, target.arch),
  ];
}
