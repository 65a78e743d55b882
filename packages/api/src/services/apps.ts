import {
  CreateAppBody,
  CreateChannelBody,
  RenameChannelBody,
  UpdateAppBody,
} from '@skypatch/protocol';
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  type App,
  type AppSettings,
  apps,
  type Channel,
  channels,
  components,
  pages,
  retiredDeploymentKeys,
} from '../db/schema';
import { BASE62, randomString } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PageInput, toPage } from '../lib/pagination';
import type { Actor } from './actor';
import { BaseService, isGuardFailure, isUniqueViolation } from './base';
import { bumpAppChannels, bumpChannelVersion, cacheKeys, publishCacheChanges } from './cache';
import type { OrgAccess, Permission } from './permissions';
import { isRestorable } from './soft-delete';

const Id = z.string().min(1).max(64);
const AppRef = z.object({ orgId: Id, appId: Id });
const ChannelRef = AppRef.extend({ channelId: Id });

/** CodePush's defaults for a new app, in the order its CLI lists them. */
export const DEFAULT_CHANNELS = ['Staging', 'Production'] as const;

/** 40 base62 characters: inside CodePush's 10-100 [A-Za-z0-9_-], ~238 bits. */
export function generateDeploymentKey(): string {
  return randomString(40, BASE62);
}

/** An API key narrowed to one app sees that app only; anything else is simply not there. */
export function assertAppInScope(access: OrgAccess, appId: string): void {
  if (access.appId && access.appId !== appId) throw new AppError('NOT_FOUND', 'App not found');
}

export class AppService extends BaseService {
  async create(actor: Actor, input: z.input<typeof CreateAppBody> & { orgId: string }) {
    const { orgId, ...body } = CreateAppBody.extend({ orgId: Id }).parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    await this.assertStatusComponent(orgId, body.settings);
    const appId = newId('app');
    const names = body.manuallyProvisionChannels ? [] : DEFAULT_CHANNELS;
    const newChannels = names.map((name) => ({
      id: newId('channel'),
      appId,
      name,
      deploymentKey: generateDeploymentKey(),
    }));
    try {
      const [[app], ...rest] = await this.database.batch([
        this.database
          .insert(apps)
          .values({
            id: appId,
            orgId,
            name: body.name,
            bundleId: body.bundleId,
            platform: body.platform,
            settings: body.settings ?? {},
          })
          .returning(),
        ...newChannels.map((c) => this.database.insert(channels).values(c).returning()),
        this.audit(actor, {
          orgId,
          action: 'app.create',
          resourceType: 'app',
          resourceId: appId,
          after: {
            name: body.name,
            bundleId: body.bundleId,
            platform: body.platform,
            channels: names,
          },
        }),
      ]);
      if (!app) throw new AppError('INTERNAL', 'App creation wrote no row');
      const created = rest.slice(0, newChannels.length).flat() as Channel[]; // the channel inserts
      return { app, channels: created };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'An app with this name already exists in the organization');
      }
      this.handleDatabaseError(error, 'createApp');
    }
  }

  async list(actor: Actor, input: z.input<typeof PageInput> & { orgId: string }) {
    const { orgId, cursor, limit } = PageInput.extend({ orgId: Id }).parse(input);
    const access = await this.authorize(actor, orgId, 'org.read');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(apps)
      .where(
        and(
          eq(apps.orgId, orgId),
          isNull(apps.deletedAt),
          access.appId ? eq(apps.id, access.appId) : undefined,
          this.afterCursor(apps.createdAt, apps.id, cursor),
        ),
      )
      .orderBy(desc(apps.createdAt), desc(apps.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }

  async get(actor: Actor, input: z.input<typeof AppRef>): Promise<App> {
    const { orgId, appId } = AppRef.parse(input);
    return this.authorizedApp(actor, orgId, appId, 'org.read');
  }

  /**
   * The app, if `actor` may use `permission` on it: org access, an app-scoped key's one app,
   * and the app's own org and liveness, in that order. Every app-level service starts here.
   */
  async authorizedApp(actor: Actor, orgId: string, appId: string, permission: Permission) {
    const access = await this.authorize(actor, orgId, permission);
    assertAppInScope(access, appId);
    return this.findOwnedApp(orgId, appId);
  }

  async update(actor: Actor, input: z.input<typeof UpdateAppBody> & z.input<typeof AppRef>) {
    const { orgId, appId } = AppRef.parse(input);
    const body = UpdateAppBody.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const app = await this.findOwnedApp(orgId, appId);
    await this.assertStatusComponent(orgId, body.settings);
    // Merged over the stored settings, so internal keys (codeSigning) survive an edit.
    const settings = body.settings ? { ...(app.settings ?? {}), ...body.settings } : undefined;
    const changes = { name: body.name, bundleId: body.bundleId, settings };
    try {
      const [[updated]] = await this.database.batch([
        this.database.update(apps).set(changes).where(eq(apps.id, app.id)).returning(),
        this.audit(actor, {
          orgId,
          action: 'app.update',
          resourceType: 'app',
          resourceId: app.id,
          before: { name: app.name, bundleId: app.bundleId, settings: app.settings },
          after: changes,
        }),
      ]);
      await this.env.CACHE.delete(cacheKeys.app(app.id));
      if (!updated) throw new AppError('NOT_FOUND', 'App not found');
      return updated;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'An app with this name already exists in the organization');
      }
      this.handleDatabaseError(error, 'updateApp');
    }
  }

  /**
   * Soft delete: its deployment keys stop resolving at once (lookups filter on the app's
   * deleted_at, and their cache entries go); restorable for the grace period.
   */
  async remove(actor: Actor, input: z.input<typeof AppRef>): Promise<void> {
    const { orgId, appId } = AppRef.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const app = await this.findOwnedApp(orgId, appId);
    const live = await this.listChannelRows(app.id);
    const [bumped] = await this.database.batch([
      // Cached channel views of the app reload, and find no live app behind their keys.
      bumpAppChannels(this.database, app.id),
      this.database.update(apps).set({ deletedAt: new Date() }).where(eq(apps.id, app.id)),
      this.audit(actor, { orgId, action: 'app.delete', resourceType: 'app', resourceId: app.id }),
    ]);
    await publishCacheChanges(this.env.CACHE, {
      versions: bumped,
      forget: [cacheKeys.app(app.id), ...live.map((c) => cacheKeys.deployment(c.deploymentKey))],
    });
  }

  async restore(actor: Actor, input: z.input<typeof AppRef>): Promise<App> {
    const { orgId, appId } = AppRef.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const [app] = await this.getReadDb('fresh')
      .select()
      .from(apps)
      .where(and(eq(apps.id, appId), eq(apps.orgId, orgId)))
      .limit(1);
    if (!app || (app.deletedAt && !isRestorable(app.deletedAt))) {
      throw new AppError('NOT_FOUND', 'App not found');
    }
    if (!app.deletedAt) throw new AppError('CONFLICT', 'The app is not deleted');
    try {
      const [[restored], bumped] = await this.database.batch([
        this.database.update(apps).set({ deletedAt: null }).where(eq(apps.id, app.id)).returning(),
        bumpAppChannels(this.database, app.id),
        this.audit(actor, {
          orgId,
          action: 'app.restore',
          resourceType: 'app',
          resourceId: app.id,
        }),
      ]);
      if (!restored) throw new AppError('NOT_FOUND', 'App not found');
      await publishCacheChanges(this.env.CACHE, { versions: bumped });
      return restored;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'Another app took this name meanwhile; rename it first');
      }
      this.handleDatabaseError(error, 'restoreApp');
    }
  }

  async listChannels(actor: Actor, input: z.input<typeof AppRef>): Promise<Channel[]> {
    const { orgId, appId } = AppRef.parse(input);
    const app = await this.authorizedApp(actor, orgId, appId, 'org.read');
    return this.listChannelRows(app.id);
  }

  async createChannel(
    actor: Actor,
    input: z.input<typeof CreateChannelBody> & z.input<typeof AppRef>,
  ) {
    const { orgId, appId } = AppRef.parse(input);
    const { name, deploymentKey } = CreateChannelBody.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const app = await this.findOwnedApp(orgId, appId);
    const id = newId('channel');
    try {
      const key = deploymentKey ?? generateDeploymentKey();
      const [, [channel]] = await this.database.batch([
        // Guard: a retired key still sits in apps in the field; it must never serve another channel.
        this.audit(
          actor,
          {
            orgId,
            action: 'channel.create',
            resourceType: 'channel',
            resourceId: id,
            after: { appId: app.id, name, keyProvided: deploymentKey !== undefined },
          },
          sql`NOT EXISTS (SELECT 1 FROM ${retiredDeploymentKeys} r WHERE r.deployment_key = ${key})`,
        ),
        this.database
          .insert(channels)
          .values({
            id,
            appId: app.id,
            name,
            deploymentKey: key,
          })
          .returning(),
      ]);
      if (!channel) throw new AppError('INTERNAL', 'Channel creation wrote no row');
      return channel;
    } catch (error) {
      if (isGuardFailure(error)) {
        throw new AppError('CONFLICT', 'That deployment key was retired and cannot be used again');
      }
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'A channel with this name or deployment key already exists');
      }
      this.handleDatabaseError(error, 'createChannel');
    }
  }

  async renameChannel(
    actor: Actor,
    input: z.input<typeof RenameChannelBody> & z.input<typeof ChannelRef>,
  ) {
    const { orgId, appId, channelId } = ChannelRef.parse(input);
    const { name } = RenameChannelBody.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const channel = await this.findOwnedChannel(orgId, appId, channelId);
    try {
      const [[renamed]] = await this.database.batch([
        this.database.update(channels).set({ name }).where(eq(channels.id, channel.id)).returning(),
        this.audit(actor, {
          orgId,
          action: 'channel.rename',
          resourceType: 'channel',
          resourceId: channel.id,
          before: { name: channel.name },
          after: { name },
        }),
      ]);
      if (!renamed) throw new AppError('NOT_FOUND', 'Channel not found');
      return renamed;
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('CONFLICT', 'A channel with this name already exists');
      this.handleDatabaseError(error, 'renameChannel');
    }
  }

  /** A new deployment key; the old one stops resolving (apps built with it stop updating). */
  async rotateDeploymentKey(actor: Actor, input: z.input<typeof ChannelRef>): Promise<Channel> {
    const { orgId, appId, channelId } = ChannelRef.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const channel = await this.findOwnedChannel(orgId, appId, channelId);
    const deploymentKey = generateDeploymentKey();
    const [[rotated], , bumped] = await this.database.batch([
      this.database
        .update(channels)
        .set({ deploymentKey })
        .where(eq(channels.id, channel.id))
        .returning(),
      this.database
        .insert(retiredDeploymentKeys)
        .values({ deploymentKey: channel.deploymentKey, channelId: channel.id })
        .onConflictDoNothing(),
      bumpChannelVersion(this.database, channel.id),
      this.audit(actor, {
        orgId,
        action: 'channel.rotate_key',
        resourceType: 'channel',
        resourceId: channel.id,
        before: { keyPrefix: channel.deploymentKey.slice(0, 4) },
        after: { keyPrefix: deploymentKey.slice(0, 4) },
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, {
      versions: bumped,
      forget: [cacheKeys.deployment(channel.deploymentKey)],
    });
    if (!rotated) throw new AppError('NOT_FOUND', 'Channel not found');
    return rotated;
  }

  async removeChannel(actor: Actor, input: z.input<typeof ChannelRef>): Promise<void> {
    const { orgId, appId, channelId } = ChannelRef.parse(input);
    await this.authorize(actor, orgId, 'app.manage');
    const channel = await this.findOwnedChannel(orgId, appId, channelId);
    const [, bumped] = await this.database.batch([
      this.database
        .update(channels)
        .set({ deletedAt: new Date() })
        .where(eq(channels.id, channel.id)),
      bumpChannelVersion(this.database, channel.id),
      this.audit(actor, {
        orgId,
        action: 'channel.delete',
        resourceType: 'channel',
        resourceId: channel.id,
        before: { name: channel.name },
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, {
      versions: bumped,
      forget: [cacheKeys.deployment(channel.deploymentKey)],
    });
  }

  /** Seed 004's ownership check as one query: the org id and deleted_at sit in the WHERE. */
  /** A linked status component must be on one of the org's own pages. */
  private async assertStatusComponent(orgId: string, settings: AppSettings | undefined) {
    const componentId = settings?.statusComponentId;
    if (!componentId) return;
    const [found] = await this.getReadDb('fresh')
      .select({ id: components.id })
      .from(components)
      .innerJoin(pages, eq(pages.id, components.pageId))
      .where(and(eq(components.id, componentId), eq(pages.orgId, orgId)))
      .limit(1);
    if (!found) {
      throw new AppError('BAD_REQUEST', 'Unknown status page component', {
        field: 'settings.statusComponentId',
      });
    }
  }

  async findOwnedApp(orgId: string, appId: string): Promise<App> {
    const [app] = await this.getReadDb('fresh')
      .select()
      .from(apps)
      .where(and(eq(apps.id, appId), eq(apps.orgId, orgId), isNull(apps.deletedAt)))
      .limit(1);
    if (!app) throw new AppError('NOT_FOUND', 'App not found');
    return app;
  }

  async findOwnedChannel(orgId: string, appId: string, channelId: string): Promise<Channel> {
    const [row] = await this.getReadDb('fresh')
      .select({ channel: channels })
      .from(channels)
      .innerJoin(apps, eq(apps.id, channels.appId))
      .where(
        and(
          eq(channels.id, channelId),
          eq(channels.appId, appId),
          eq(apps.orgId, orgId),
          isNull(apps.deletedAt),
          isNull(channels.deletedAt),
        ),
      )
      .limit(1);
    if (!row) throw new AppError('NOT_FOUND', 'Channel not found');
    return row.channel;
  }

  private listChannelRows(appId: string): Promise<Channel[]> {
    return this.getReadDb('fresh')
      .select()
      .from(channels)
      .where(and(eq(channels.appId, appId), isNull(channels.deletedAt)))
      .orderBy(asc(channels.name), asc(channels.id));
  }
}
