import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import semver from 'semver';
import type { Database } from '../db';
import { type Release, releases } from '../db/schema';
import { AppError } from '../lib/errors';

// CodePush's release rules (specs/codepush.md §2.3-2.6), shared by uploads, promotion and edits.

/** The channel's newest releases, newest first. */
export function recentReleases(db: Database, channelId: string, limit = 50): Promise<Release[]> {
  return db
    .select()
    .from(releases)
    .where(and(eq(releases.channelId, channelId), isNull(releases.deletedAt)))
    .orderBy(desc(releases.createdAt), desc(releases.id))
    .limit(limit);
}

/** 409 while the channel's newest release is active and not yet at 100%. */
export function refuseUnfinishedRollout(latest: Release | undefined): void {
  if (latest && latest.status === 'active' && latest.rolloutPercentage < 100) {
    throw new AppError(
      'CONFLICT',
      `Release ${latest.label} is rolled out to ${latest.rolloutPercentage}%: complete its rollout (or roll it back) before releasing a new package`,
    );
  }
}

/** CodePush compares two ranges by their normalised text, an exact version by `satisfies`. */
export function sameAppVersions(existing: string | null, incoming: string): boolean {
  if (!existing) return false;
  if (semver.valid(incoming)) return semver.satisfies(incoming, existing);
  return semver.validRange(existing) === semver.validRange(incoming);
}

/** The newest release for the same app versions, if its contents equal `packageHash`. */
export function identicalRelease(
  recent: readonly Release[],
  appVersion: string,
  packageHash: string | null,
): Release | undefined {
  const current = recent.find((release) => sameAppVersions(release.appVersionRange, appVersion));
  return current && current.packageHash === packageHash ? current : undefined;
}

export function assertAppVersionRange(appVersion: string): void {
  if (!semver.validRange(appVersion)) {
    throw new AppError('BAD_REQUEST', 'appVersion must be a semver version or range, e.g. ^1.2.0');
  }
}

/**
 * The next CodePush label of a channel (v1, v2, …), decided inside the insert itself so two
 * releases committing together cannot take the same one (the unique index backs it up).
 */
export function nextLabel(channelId: string) {
  return sql<string>`(SELECT 'v' || (coalesce(max(CAST(substr(${releases.label}, 2) AS INTEGER)), 0) + 1) FROM ${releases} WHERE ${releases.channelId} = ${channelId})`;
}

/** The lowest binary version a range admits: seed 000's `version` and `min_app_version`. */
export function minimumVersion(appVersion: string): string {
  return semver.minVersion(appVersion)?.version ?? appVersion;
}
