import { eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db';
import { channels } from '../db/schema';
import { forgetInIsolate } from '../delivery/cache';

/**
 * The CACHE namespace's key patterns (docs/data-model.md). The update check keys its cached
 * releases by the channel's version stamp; every release or channel change bumps the stamp,
 * so the next check misses and reads D1 instead of serving what changed.
 */
export const cacheKeys = {
  app: (appId: string) => `app:${appId}`,
  deployment: (deploymentKey: string) => `deployment:${deploymentKey}`,
  channelVersion: (channelId: string) => `channel-version:${channelId}`,
  releases: (channelId: string, stamp: string) => `releases:${channelId}:v${stamp}`,
  /** Flutter patch checks of an app: bumped on every patch change (shorebird.md §7.4). */
  patchVersion: (appId: string) => `patch-version:${appId}`,
};

/**
 * The D1 half of a bump, for the caller's batch: channels.cache_version + 1, returned. D1
 * serialises writes, so concurrent bumps never lose one (a KV read-modify-write could).
 */
export function bumpChannelVersion(db: Database, channelId: string) {
  return bumpChannels(db, eq(channels.id, channelId));
}

/** bumpChannelVersion for every channel of an app: what a check sees of the app changed. */
export function bumpAppChannels(db: Database, appId: string) {
  return bumpChannels(db, eq(channels.appId, appId));
}

function bumpChannels(db: Database, which: SQL) {
  return db
    .update(channels)
    .set({ cacheVersion: sql`${channels.cacheVersion} + 1` })
    .where(which)
    .returning({ id: channels.id, cacheVersion: channels.cacheVersion });
}

/** The KV half, after the batch committed: publish the new stamps, drop retired entries. */
export async function publishCacheChanges(
  kv: KVNamespace,
  change: { versions?: { id: string; cacheVersion: number }[]; forget?: string[] },
): Promise<void> {
  forgetInIsolate();
  await Promise.all([
    ...(change.versions ?? []).map(({ id, cacheVersion }) =>
      kv.put(cacheKeys.channelVersion(id), String(cacheVersion)),
    ),
    ...(change.forget ?? []).map((key) => kv.delete(key)),
  ]);
}
