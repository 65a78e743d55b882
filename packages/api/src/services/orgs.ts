import { CreateOrgBody, TransferOrgBody, UpdateOrgBody } from '@skypatch/protocol';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  apiKeys,
  apps,
  channels,
  memberships,
  type Organization,
  organizations,
  type Role,
  users,
} from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Actor } from './actor';
import { BaseService, isGuardFailure, isUniqueViolation } from './base';
import { slugify } from './bootstrap';
import { cacheKeys, publishCacheChanges } from './cache';
import { requireUser } from './sessions';
import { isRestorable } from './soft-delete';

const OrgId = z.string().min(1).max(64);
const CreateOrgInput = CreateOrgBody;
const UpdateOrgInput = UpdateOrgBody.extend({ orgId: OrgId });
const OrgInput = z.object({ orgId: OrgId });
const TransferInput = TransferOrgBody.extend({ orgId: OrgId });

export interface OrgWithRole {
  org: Organization;
  role: Role;
}

export class OrgService extends BaseService {
  /** A new org with the caller as its owner. */
  async create(actor: Actor, input: z.input<typeof CreateOrgInput>): Promise<OrgWithRole> {
    const { userId } = requireUser(actor);
    const { name, slug } = CreateOrgInput.parse(input);
    const orgId = newId('org');
    const orgSlug = slug ?? `${slugify(name)}-${orgId.slice(-6).toLowerCase()}`;
    try {
      const [[org]] = await this.database.batch([
        this.database
          .insert(organizations)
          .values({
            id: orgId,
            name,
            slug: orgSlug,
          })
          .returning(),
        this.database
          .insert(memberships)
          .values({ id: newId('membership'), orgId, userId, role: 'owner' }),
        this.audit(actor, {
          orgId,
          action: 'org.create',
          resourceType: 'organization',
          resourceId: orgId,
          after: { name, slug: orgSlug },
        }),
      ]);
      if (!org) throw new AppError('INTERNAL', 'Org creation wrote no row');
      return { org, role: 'owner' };
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'That slug is taken');
      this.handleDatabaseError(error, 'createOrg');
    }
  }

  /** The orgs the caller belongs to: a user's memberships, or an API key's one org. */
  async listMine(actor: Actor): Promise<OrgWithRole[]> {
    if (actor.kind === 'api_key') {
      const { org } = await this.get(actor, { orgId: actor.orgId });
      return [{ org, role: actor.role }];
    }
    const { userId } = requireUser(actor);
    return this.getReadDb('fresh')
      .select({ org: organizations, role: memberships.role })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .where(and(eq(memberships.userId, userId), isNull(organizations.deletedAt)))
      .orderBy(asc(organizations.name), asc(organizations.id))
      .limit(200);
  }

  async get(actor: Actor, input: z.input<typeof OrgInput>): Promise<OrgWithRole> {
    const { orgId } = OrgInput.parse(input);
    const access = await this.authorize(actor, orgId, 'org.read');
    return { org: await this.findOrg(orgId), role: access.role };
  }

  async update(actor: Actor, input: z.input<typeof UpdateOrgInput>): Promise<OrgWithRole> {
    const { orgId, name } = UpdateOrgInput.parse(input);
    const access = await this.authorize(actor, orgId, 'org.update');
    const before = await this.findOrg(orgId);
    const [[org]] = await this.database.batch([
      this.database
        .update(organizations)
        .set({ name })
        .where(and(eq(organizations.id, orgId), isNull(organizations.deletedAt)))
        .returning(),
      this.audit(actor, {
        orgId,
        action: 'org.update',
        resourceType: 'organization',
        resourceId: orgId,
        before: { name: before.name },
        after: { name },
      }),
    ]);
    if (!org) throw new AppError('CONFLICT', 'The organization changed while renaming it');
    return { org, role: access.role };
  }

  /**
   * Soft delete: the org, its apps and its keys stop working at once (every lookup filters on
   * deleted_at); an owner can restore it within the grace period, then the purge removes it.
   */
  async remove(actor: Actor, input: z.input<typeof OrgInput>): Promise<void> {
    const { orgId } = OrgInput.parse(input);
    await this.authorize(actor, orgId, 'org.delete');
    await this.database.batch([
      this.database
        .update(organizations)
        .set({ deletedAt: new Date() })
        .where(and(eq(organizations.id, orgId), isNull(organizations.deletedAt))),
      this.audit(actor, {
        orgId,
        action: 'org.delete',
        resourceType: 'organization',
        resourceId: orgId,
      }),
    ]);
    // Its deployment keys must stop resolving at once, not when their cache entries expire.
    const live = await this.getReadDb('fresh')
      .select({ appId: apps.id, deploymentKey: channels.deploymentKey })
      .from(apps)
      .innerJoin(channels, eq(channels.appId, apps.id))
      .where(eq(apps.orgId, orgId));
    await publishCacheChanges(this.env.CACHE, {
      forget: live.flatMap((row) => [
        cacheKeys.app(row.appId),
        cacheKeys.deployment(row.deploymentKey),
      ]),
    });
  }

  async restore(actor: Actor, input: z.input<typeof OrgInput>): Promise<OrgWithRole> {
    const { orgId } = OrgInput.parse(input);
    const access = await this.authorize(actor, orgId, 'org.delete', { includeDeleted: true });
    const org = await this.findOrg(orgId, { includeDeleted: true });
    if (!org.deletedAt) throw new AppError('CONFLICT', 'The organization is not deleted');
    if (!isRestorable(org.deletedAt)) {
      throw new AppError('NOT_FOUND', 'The grace period is over; the organization is gone');
    }
    try {
      const [[restored]] = await this.database.batch([
        this.database
          .update(organizations)
          .set({ deletedAt: null })
          .where(eq(organizations.id, orgId))
          .returning(),
        this.audit(actor, {
          orgId,
          action: 'org.restore',
          resourceType: 'organization',
          resourceId: orgId,
        }),
      ]);
      if (!restored) throw new AppError('NOT_FOUND', 'Organization not found');
      return { org: restored, role: access.role };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'Another organization took this slug meanwhile');
      }
      this.handleDatabaseError(error, 'restoreOrg');
    }
  }

  /**
   * Seed 004's ownership transfer, as one D1 batch instead of a transaction: the new owner is
   * promoted and the caller steps down to admin together, or neither happens.
   */
  async transfer(actor: Actor, input: z.input<typeof TransferInput>): Promise<void> {
    const { orgId, userId: toUserId } = TransferInput.parse(input);
    const { userId: fromUserId } = requireUser(actor);
    await this.authorize(actor, orgId, 'org.transfer');
    if (toUserId === fromUserId) throw new AppError('BAD_REQUEST', 'You already own it');
    const [target] = await this.getReadDb('fresh')
      .select({ id: memberships.id, role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, toUserId)))
      .limit(1);
    if (!target) throw new AppError('NOT_FOUND', 'That user is not a member of this organization');
    try {
      await this.database.batch([
        // The guard re-checks, when the batch runs, that the caller still owns the org.
        this.audit(
          actor,
          {
            orgId,
            action: 'org.transfer',
            resourceType: 'organization',
            resourceId: orgId,
            before: { ownerUserId: fromUserId, newOwnerRole: target.role },
            after: { ownerUserId: toUserId, previousOwnerRole: 'admin' },
          },
          sql`${isOwner(orgId, fromUserId)} AND ${isLiveMember(orgId, toUserId)}`,
        ),
        this.database
          .update(memberships)
          .set({ role: 'owner' })
          .where(eq(memberships.id, target.id)),
        this.database
          .update(memberships)
          .set({ role: 'admin' })
          .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, fromUserId))),
        // Keys the old owner minted as owner would keep owner powers; cap them at admin.
        this.database
          .update(apiKeys)
          .set({ role: 'admin' })
          .where(
            and(
              eq(apiKeys.orgId, orgId),
              eq(apiKeys.createdByUserId, fromUserId),
              eq(apiKeys.role, 'owner'),
            ),
          ),
      ]);
    } catch (error) {
      if (isGuardFailure(error))
        throw new AppError('CONFLICT', 'You no longer own this organization');
      this.handleDatabaseError(error, 'transferOrg');
    }
  }

  async findOrg(orgId: string, options: { includeDeleted?: boolean } = {}): Promise<Organization> {
    const [org] = await this.getReadDb('fresh')
      .select()
      .from(organizations)
      .where(
        and(
          eq(organizations.id, orgId),
          options.includeDeleted ? undefined : isNull(organizations.deletedAt),
        ),
      )
      .limit(1);
    if (!org) throw new AppError('NOT_FOUND', 'Organization not found');
    return org;
  }
}

/** SQL: `userId` is an owner of `orgId` at the moment the statement runs. */
export const isOwner = (orgId: string, userId: string) =>
  sql`EXISTS (SELECT 1 FROM ${memberships} o JOIN ${users} u ON u.id = o.user_id WHERE o.org_id = ${orgId} AND o.user_id = ${userId} AND o.role = 'owner' AND u.deleted_at IS NULL)`;

/** SQL: someone other than `userId` owns `orgId`, so `userId` may step down or leave. */
export const anotherOwnerExists = (orgId: string, userId: string) =>
  sql`EXISTS (SELECT 1 FROM ${memberships} o JOIN ${users} u ON u.id = o.user_id WHERE o.org_id = ${orgId} AND o.role = 'owner' AND o.user_id <> ${userId} AND u.deleted_at IS NULL)`;

/** SQL: `userId` is a live member of `orgId` (a transfer's target must still be there). */
export const isLiveMember = (orgId: string, userId: string) =>
  sql`EXISTS (SELECT 1 FROM ${memberships} o JOIN ${users} u ON u.id = o.user_id WHERE o.org_id = ${orgId} AND o.user_id = ${userId} AND u.deleted_at IS NULL)`;
