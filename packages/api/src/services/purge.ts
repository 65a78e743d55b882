import { and, asc, eq, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm';
import {
  apiKeys,
  apps,
  channels,
  devices,
  invitations,
  memberships,
  organizations,
  pages,
  patches,
  releaseDiffs,
  releaseStats,
  releases,
  retiredDeploymentKeys,
  sessions,
  telemetryEvents,
  uploadJobs,
  userSecrets,
  users,
} from '../db/schema';
import { systemActor } from './actor';
import { BaseService } from './base';
import { deletePrefix } from './retention';
import { purgeCutoff } from './soft-delete';

// Each run purges at most this many of each kind; the daily cron catches up on the rest.
const PURGE_BATCH = 25;

export interface PurgeReport {
  organizations: number;
  apps: number;
  users: number;
}

/**
 * The end of seed 004's soft delete: rows deleted longer ago than the grace period are removed
 * for good, dependents first (D1 enforces foreign keys), each root and its dependents in one
 * batch with an audit row. Status-page children go by their ON DELETE CASCADE.
 * An app's R2 objects (`{appId}/…` and `patches/{appId}/…`) go with it.
 */
export class PurgeService extends BaseService {
  async purgeExpired(now = new Date()): Promise<PurgeReport> {
    const cutoff = purgeCutoff(now);
    const expired = async (table: typeof organizations | typeof apps | typeof users) =>
      (
        await this.database
          .select({ id: table.id })
          .from(table)
          .where(and(isNotNull(table.deletedAt), lt(table.deletedAt, cutoff)))
          .orderBy(asc(table.deletedAt))
          .limit(PURGE_BATCH)
      ).map((row) => row.id);

    const orgIds = await expired(organizations);
    for (const orgId of orgIds) await this.purgeOrg(orgId);
    const appIds = await expired(apps);
    for (const appId of appIds) await this.purgeApp(appId);
    const userIds = await expired(users);
    for (const userId of userIds) await this.purgeUser(userId);
    const report = { organizations: orgIds.length, apps: appIds.length, users: userIds.length };
    if (orgIds.length + appIds.length + userIds.length > 0)
      this.logger.info('Purged', { ...report });
    return report;
  }

  /** Statements that delete everything hanging off the apps `appIds` selects. */
  private appDependents(appIds: ReturnType<typeof this.selectAppIds>) {
    const db = this.database;
    const releaseIds = db
      .select({ id: releases.id })
      .from(releases)
      .where(inArray(releases.appId, appIds));
    return [
      db.delete(releaseStats).where(inArray(releaseStats.releaseId, releaseIds)),
      db
        .delete(releaseDiffs)
        .where(
          or(
            inArray(releaseDiffs.releaseId, releaseIds),
            inArray(releaseDiffs.baseReleaseId, releaseIds),
          ),
        ),
      db.delete(uploadJobs).where(inArray(uploadJobs.appId, appIds)),
      db.delete(releases).where(inArray(releases.appId, appIds)),
      db.delete(devices).where(inArray(devices.appId, appIds)),
      db.delete(telemetryEvents).where(inArray(telemetryEvents.appId, appIds)),
      db.delete(patches).where(inArray(patches.appId, appIds)),
      // An app-scoped key with its app gone must not widen to the whole org: delete it.
      db.delete(apiKeys).where(inArray(apiKeys.appId, appIds)),
      db.delete(channels).where(inArray(channels.appId, appIds)),
    ] as const;
  }

  private selectAppIds(where: ReturnType<typeof eq>) {
    return this.database.select({ id: apps.id }).from(apps).where(where);
  }

  private audited(resourceType: string, id: string, orgId: string | null) {
    return this.audit(systemActor('purge', orgId), {
      orgId,
      action: `${resourceType}.purge`,
      resourceType,
      resourceId: id,
    });
  }

  async purgeApp(appId: string): Promise<void> {
    const [app] = await this.database
      .select({ orgId: apps.orgId })
      .from(apps)
      .where(eq(apps.id, appId));
    if (!app) return;
    await this.deleteAppObjects([appId]);
    const retire = await this.retireKeys(eq(channels.appId, appId));
    await this.database.batch([
      ...this.appDependents(this.selectAppIds(eq(apps.id, appId))),
      this.database.delete(apps).where(eq(apps.id, appId)),
      this.audited('app', appId, app.orgId),
      ...retire,
    ]);
  }

  async purgeOrg(orgId: string): Promise<void> {
    const db = this.database;
    const orgApps = await db.select({ id: apps.id }).from(apps).where(eq(apps.orgId, orgId));
    await this.deleteAppObjects(orgApps.map((app) => app.id));
    const retire = await this.retireKeys(
      inArray(channels.appId, this.selectAppIds(eq(apps.orgId, orgId))),
    );
    await db.batch([
      ...this.appDependents(this.selectAppIds(eq(apps.orgId, orgId))),
      db.delete(apps).where(eq(apps.orgId, orgId)),
      db.delete(uploadJobs).where(eq(uploadJobs.orgId, orgId)),
      db.delete(apiKeys).where(eq(apiKeys.orgId, orgId)),
      db.delete(userSecrets).where(eq(userSecrets.orgId, orgId)),
      db.delete(invitations).where(eq(invitations.orgId, orgId)),
      db.delete(memberships).where(eq(memberships.orgId, orgId)),
      db.delete(pages).where(eq(pages.orgId, orgId)),
      db.delete(organizations).where(eq(organizations.id, orgId)),
      this.audited('organization', orgId, orgId),
      ...retire,
    ]);
  }

  /**
   * Statements that retire the deployment keys of the channels `where` picks: apps in the field
   * still embed them, so they must never serve another channel (retired_deployment_keys).
   */
  private async retireKeys(where: SQL) {
    const keys = await this.database
      .select({ deploymentKey: channels.deploymentKey, channelId: channels.id })
      .from(channels)
      .where(where);
    const statements = [];
    // D1 binds at most 100 parameters per statement: 3 per row.
    for (let at = 0; at < keys.length; at += 30) {
      statements.push(
        this.database
          .insert(retiredDeploymentKeys)
          .values(keys.slice(at, at + 30))
          .onConflictDoNothing(),
      );
    }
    return statements;
  }

  /**
   * R2 first, D1 second: if the batch then fails, the next run finds the rows again and the
   * objects are already gone, never the other way round (rows pointing at nothing are purged
   * anyway; objects with no rows would be lost to every sweep).
   */
  private async deleteAppObjects(appIds: string[]): Promise<void> {
    for (const appId of appIds) {
      await deletePrefix(this.env.BUNDLES, `${appId}/`);
      await deletePrefix(this.env.BUNDLES, `patches/${appId}/`);
    }
  }

  /**
   * A user's own rows go; rows of their orgs that merely name them (created-by columns) keep
   * their data and lose the name. An org secret they stored passes to another owner of the org
   * (user_secrets.user_id is NOT NULL, per seed 004) or, with none left, goes too.
   */
  async purgeUser(userId: string): Promise<void> {
    const db = this.database;
    const anotherOwner = sql`(SELECT m.user_id FROM ${memberships} m WHERE m.org_id = ${userSecrets.orgId} AND m.role = 'owner' AND m.user_id <> ${userId} LIMIT 1)`;
    await db.batch([
      db.delete(sessions).where(eq(sessions.userId, userId)),
      db.delete(memberships).where(eq(memberships.userId, userId)),
      db
        .update(userSecrets)
        .set({ userId: anotherOwner })
        .where(and(eq(userSecrets.userId, userId), sql`${anotherOwner} IS NOT NULL`)),
      db.delete(userSecrets).where(eq(userSecrets.userId, userId)),
      db.update(apiKeys).set({ createdByUserId: null }).where(eq(apiKeys.createdByUserId, userId)),
      db
        .update(releases)
        .set({ createdByUserId: null })
        .where(eq(releases.createdByUserId, userId)),
      db.update(uploadJobs).set({ userId: null }).where(eq(uploadJobs.userId, userId)),
      db
        .update(invitations)
        .set({ invitedByUserId: null })
        .where(eq(invitations.invitedByUserId, userId)),
      db
        .update(invitations)
        .set({ acceptedByUserId: null })
        .where(eq(invitations.acceptedByUserId, userId)),
      db.delete(users).where(eq(users.id, userId)),
      this.audited('user', userId, null),
    ]);
  }
}
