import { PromoteReleaseBody, RollbackReleaseBody, UpdateReleaseBody } from '@skypatch/protocol';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { crashDecision } from '../core/crash-rate';
import { apps, type Release, releaseStats, releases } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PageInput, toPage } from '../lib/pagination';
import { type Actor, systemActor } from './actor';
import { AppService, assertAppInScope } from './apps';
import { BaseService, isGuardFailure } from './base';
import { bumpChannelVersion, publishCacheChanges } from './cache';
import type { Permission } from './permissions';
import { readReleaseHealth } from './release-health';
import { openReleaseIncident } from './release-incidents';
import {
  assertAppVersionRange,
  identicalRelease,
  minimumVersion,
  nextLabel,
  recentReleases,
  refuseUnfinishedRollout,
} from './release-rules';

const Id = z.string().min(1).max(64);
const ListInput = PageInput.extend({ orgId: Id, appId: Id, channelId: Id.optional() });
const ReleaseRef = z.object({ orgId: Id, appId: Id, releaseId: Id });

/**
 * Release management after upload: history, CodePush's `patch` (metadata, rollout only up),
 * pause and resume, seed 000's rollback (`rolled_back` with a reason), and promotion to another
 * channel without re-uploading. Every change bumps the channel's cache version in the same
 * batch as the change and its audit row, so the update check never serves the old state.
 */
export class ReleaseService extends BaseService {
  private readonly apps = new AppService(this.env);

  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, appId, channelId, cursor, limit } = ListInput.parse(input);
    const app = await this.apps.authorizedApp(actor, orgId, appId, 'org.read');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(releases)
      .where(
        and(
          eq(releases.appId, app.id),
          isNull(releases.deletedAt),
          channelId ? eq(releases.channelId, channelId) : undefined,
          this.afterCursor(releases.createdAt, releases.id, cursor),
        ),
      )
      .orderBy(desc(releases.createdAt), desc(releases.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }

  async get(actor: Actor, input: z.input<typeof ReleaseRef>): Promise<Release> {
    return this.authorizedRelease(actor, ReleaseRef.parse(input), 'org.read');
  }

  /** A release's health (services/release-health.ts): counters, crash rate, buckets, breakdowns. */
  async health(actor: Actor, input: z.input<typeof ReleaseRef>) {
    const release = await this.authorizedRelease(actor, ReleaseRef.parse(input), 'org.read');
    return readReleaseHealth(this.getReadDb('fresh'), release);
  }

  /** CodePush §2.6 `patch`: metadata freely; the rollout only upwards and only while unfinished. */
  async update(
    actor: Actor,
    input: z.input<typeof UpdateReleaseBody> & z.input<typeof ReleaseRef>,
  ) {
    const ref = ReleaseRef.parse(input);
    const body = UpdateReleaseBody.parse(
      Object.fromEntries(Object.entries(input).filter(([key]) => !(key in ref))),
    );
    const release = await this.authorizedRelease(actor, ref, 'release.rollout');
    if (body.appVersion !== undefined) assertAppVersionRange(body.appVersion);
    if (body.rollout !== undefined && body.rollout !== release.rolloutPercentage) {
      if (release.rolloutPercentage >= 100) {
        throw new AppError(
          'CONFLICT',
          'Cannot update rollout value for a completed rollout release',
        );
      }
      if (body.rollout < release.rolloutPercentage) {
        throw new AppError(
          'CONFLICT',
          `Rollout value must be greater than "${release.rolloutPercentage}", the existing value`,
        );
      }
    }
    const changes = {
      ...(body.description !== undefined ? { releaseNotes: body.description } : {}),
      ...(body.mandatory !== undefined ? { isMandatory: body.mandatory } : {}),
      ...(body.appVersion !== undefined
        ? { appVersionRange: body.appVersion, minAppVersion: minimumVersion(body.appVersion) }
        : {}),
      ...(body.rollout !== undefined ? { rolloutPercentage: body.rollout } : {}),
      ...(body.targetingRules !== undefined ? { targetingRules: body.targetingRules } : {}),
    };
    // CodePush answers "nothing changed" without writing; so do we (no bump, no audit row).
    const effective = Object.fromEntries(
      Object.entries(changes).filter(
        ([key, value]) => JSON.stringify(value) !== JSON.stringify(release[key as keyof Release]), // keys of Release
      ),
    );
    return this.change(actor, ref.orgId, release, effective, 'release.update');
  }

  async pause(actor: Actor, input: z.input<typeof ReleaseRef>) {
    const ref = ReleaseRef.parse(input);
    const release = await this.authorizedRelease(actor, ref, 'release.rollout');
    if (release.status !== 'active') {
      throw new AppError('CONFLICT', `Release ${release.label} is ${release.status}, not active`);
    }
    return this.change(actor, ref.orgId, release, { status: 'paused' }, 'release.pause');
  }

  async resume(actor: Actor, input: z.input<typeof ReleaseRef>) {
    const ref = ReleaseRef.parse(input);
    const release = await this.authorizedRelease(actor, ref, 'release.rollout');
    if (release.status !== 'paused') {
      throw new AppError('CONFLICT', `Release ${release.label} is ${release.status}, not paused`);
    }
    return this.change(actor, ref.orgId, release, { status: 'active' }, 'release.resume');
  }

  /**
   * Seed 000's rollback: the release is marked `rolled_back` with the reason; update checks stop
   * offering it, and devices that installed it are sent back to the release before it.
   */
  async rollback(
    actor: Actor,
    input: z.input<typeof RollbackReleaseBody> & z.input<typeof ReleaseRef>,
  ) {
    const ref = ReleaseRef.parse(input);
    const { reason } = RollbackReleaseBody.parse(input);
    const release = await this.authorizedRelease(actor, ref, 'release.rollback');
    if (release.status === 'rolled_back') {
      throw new AppError('CONFLICT', `Release ${release.label} is already rolled back`);
    }
    return this.change(
      actor,
      ref.orgId,
      release,
      { status: 'rolled_back', rollbackReason: reason },
      'release.rollback',
    );
  }

  /**
   * CodePush §2.5: a new release in another channel of the same app, sharing the bundle (no
   * re-upload), with release method `promote` and the source as its origin.
   */
  async promote(
    actor: Actor,
    input: z.input<typeof PromoteReleaseBody> & z.input<typeof ReleaseRef>,
  ) {
    const ref = ReleaseRef.parse(input);
    const body = PromoteReleaseBody.parse(
      Object.fromEntries(Object.entries(input).filter(([key]) => !(key in ref))),
    );
    const source = await this.authorizedRelease(actor, ref, 'release.create');
    if (source.status === 'rolled_back') {
      throw new AppError(
        'CONFLICT',
        `Release ${source.label} was rolled back; promote another one`,
      );
    }
    const target = await this.apps.findOwnedChannel(ref.orgId, ref.appId, body.targetChannelId);
    if (target.id === source.channelId) {
      throw new AppError('BAD_REQUEST', 'The target channel is the release’s own channel');
    }
    const appVersion = body.appVersion ?? source.appVersionRange ?? source.version;
    assertAppVersionRange(appVersion);
    const recent = await recentReleases(this.getReadDb('fresh'), target.id);
    refuseUnfinishedRollout(recent[0]);
    const same = identicalRelease(recent, appVersion, source.packageHash);
    if (same) {
      throw new AppError(
        'CONFLICT',
        `Not promoted: identical to release ${same.label}, the target channel's current release`,
      );
    }
    const id = newId('release');
    const [[promoted], bumped] = await this.database.batch([
      this.database
        .insert(releases)
        .values({
          id,
          appId: source.appId,
          channelId: target.id,
          version: minimumVersion(appVersion),
          label: nextLabel(target.id),
          bundleUrl: source.bundleUrl,
          bundleSize: source.bundleSize,
          bundleHash: source.bundleHash,
          packageHash: source.packageHash,
          targetingRules: source.targetingRules,
          releaseNotes: body.description ?? source.releaseNotes,
          minAppVersion: minimumVersion(appVersion),
          appVersionRange: appVersion,
          runtimeVersion: source.runtimeVersion,
          isMandatory: body.mandatory ?? source.isMandatory,
          rolloutPercentage: body.rollout ?? 100,
          // CodePush: isDisabled defaults to the source's; paused is our disabled.
          status: source.status === 'paused' ? 'paused' : 'active',
          signature: source.signature,
          releaseMethod: 'promote',
          originReleaseId: source.id,
          createdByUserId: actor.kind === 'system' ? null : actor.userId,
        })
        .returning(),
      bumpChannelVersion(this.database, target.id),
      this.audit(actor, {
        orgId: ref.orgId,
        action: 'release.promote',
        resourceType: 'release',
        resourceId: id,
        after: { from: source.id, fromLabel: source.label, channelId: target.id, appVersion },
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, { versions: bumped });
    if (!promoted) throw new AppError('INTERNAL', 'Promotion wrote no release');
    return promoted;
  }

  /**
   * Crash-rate auto-rollback (docs/delivery.md): after the telemetry consumer committed a batch,
   * the counters of the batch's releases are read once (active releases of apps that set a
   * crashRollbackThreshold only) and every release core/crash-rate.ts condemns is rolled back
   * or paused. Returns the releases changed. Safe to repeat: a redelivered batch re-evaluates
   * the same counters and finds the release no longer active.
   */
  async enforceCrashRates(releaseIds: readonly string[]): Promise<Release[]> {
    const ids = [...new Set(releaseIds)];
    if (ids.length === 0) return [];
    const rows = await this.getReadDb('fresh')
      .select({
        releaseId: releaseStats.releaseId,
        installs: releaseStats.totalInstalls,
        crashes: releaseStats.totalCrashes,
        settings: apps.settings,
      })
      .from(releaseStats)
      .innerJoin(releases, eq(releases.id, releaseStats.releaseId))
      .innerJoin(apps, eq(apps.id, releases.appId))
      .where(
        and(
          // One parameter for any number of ids (D1 binds at most 100 per statement).
          sql`${releaseStats.releaseId} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
          eq(releases.status, 'active'),
          isNull(releases.deletedAt),
          isNull(apps.deletedAt),
          sql`json_extract(${apps.settings}, '$.crashRollbackThreshold') IS NOT NULL`,
        ),
      );
    const changed: Release[] = [];
    for (const row of rows) {
      const decision = crashDecision(row.settings, {
        installs: row.installs ?? 0,
        crashes: row.crashes ?? 0,
      });
      if (!decision.act) continue;
      const release = await this.autoRollback(row.releaseId, decision.reason, decision.action);
      if (release) changed.push(release);
    }
    return changed;
  }

  /**
   * Rolls back (or pauses) an active release on the system actor's behalf: status, reason,
   * `release.auto_rollback` audit row and the channel's cache stamp in one D1 batch, then the
   * stamp to KV. Guarded on status = 'active' (the audit row is the batch's guard, the UPDATE
   * repeats the condition), so a second call, or a race with a person's rollback, changes
   * nothing and returns null.
   */
  async autoRollback(
    releaseId: string,
    reason: string,
    action: 'rollback' | 'pause' = 'rollback',
  ): Promise<Release | null> {
    const [row] = await this.getReadDb('fresh')
      .select({ release: releases, orgId: apps.orgId, appName: apps.name, settings: apps.settings })
      .from(releases)
      .innerJoin(apps, eq(apps.id, releases.appId))
      .where(and(eq(releases.id, releaseId), isNull(releases.deletedAt)))
      .limit(1);
    if (row?.release.status !== 'active') return null;
    const { release, orgId, appName, settings } = row;
    const changes = {
      status: action === 'pause' ? ('paused' as const) : ('rolled_back' as const),
      rollbackReason: reason,
    };
    const stillActive = and(eq(releases.id, release.id), eq(releases.status, 'active'));
    try {
      const [, [updated], bumped] = await this.database.batch([
        this.audit(
          systemActor('crash-rate auto-rollback', orgId),
          {
            orgId,
            action: 'release.auto_rollback',
            resourceType: 'release',
            resourceId: release.id,
            before: { status: release.status, rollbackReason: release.rollbackReason },
            after: changes,
          },
          sql`EXISTS (SELECT 1 FROM ${releases} WHERE ${stillActive})`,
        ),
        this.database.update(releases).set(changes).where(stillActive).returning(),
        bumpChannelVersion(this.database, release.channelId),
      ]);
      await publishCacheChanges(this.env.CACHE, { versions: bumped });
      if (!updated) return null;
      this.logger.warn('Release auto-rolled back', { releaseId, action, reason });
      await openReleaseIncident(this.env, { release: updated, appName, orgId, settings, reason });
      return updated;
    } catch (error) {
      if (isGuardFailure(error)) return null;
      this.handleDatabaseError(error, 'autoRollback', { releaseId });
    }
  }

  /** One release change: the row, the channel's cache version and the audit row, together. */
  private async change(
    actor: Actor,
    orgId: string,
    release: Release,
    changes: Partial<Release>,
    action: string,
  ): Promise<Release> {
    if (Object.keys(changes).length === 0) return release;
    const before = Object.fromEntries(
      Object.keys(changes).map((key) => [key, release[key as keyof Release]]), // keys of Release
    );
    const [[updated], bumped] = await this.database.batch([
      this.database.update(releases).set(changes).where(eq(releases.id, release.id)).returning(),
      bumpChannelVersion(this.database, release.channelId),
      this.audit(actor, {
        orgId,
        action,
        resourceType: 'release',
        resourceId: release.id,
        before,
        after: changes,
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, { versions: bumped });
    if (!updated) throw new AppError('NOT_FOUND', 'Release not found');
    return updated;
  }

  private async authorizedRelease(
    actor: Actor,
    ref: z.infer<typeof ReleaseRef>,
    permission: Permission,
  ): Promise<Release> {
    const access = await this.authorize(actor, ref.orgId, permission);
    assertAppInScope(access, ref.appId);
    const [row] = await this.getReadDb('fresh')
      .select({ release: releases })
      .from(releases)
      .innerJoin(apps, eq(apps.id, releases.appId))
      .where(
        and(
          eq(releases.id, ref.releaseId),
          eq(releases.appId, ref.appId),
          eq(apps.orgId, ref.orgId),
          isNull(apps.deletedAt),
          isNull(releases.deletedAt),
        ),
      )
      .limit(1);
    if (!row) throw new AppError('NOT_FOUND', 'Release not found');
    return row.release;
  }
}
