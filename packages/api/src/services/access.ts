import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db';
import { memberships, organizations, users } from '../db/schema';
import { AppError } from '../lib/errors';
import type { Actor } from './actor';
import type { OrgAccess } from './permissions';

export interface AccessOptions {
  /** Restoring a soft-deleted org is the one thing that may reach it. */
  includeDeleted?: boolean;
}

// One resolution per (actor, org) per request: the route middleware and the service behind it
// ask the same question, and the second ask must not cost another D1 read. Actors are built
// per request, so the WeakMap entry dies with the request.
const resolved = new WeakMap<Actor, Map<string, Promise<OrgAccess>>>();

/**
 * What `actor` holds in `orgId`. A caller outside the org gets NOT_FOUND, never FORBIDDEN:
 * a foreign id must not confirm that it exists.
 */
export function resolveOrgAccess(
  db: Database,
  actor: Actor,
  orgId: string,
  options: AccessOptions = {},
): Promise<OrgAccess> {
  const memoKey = `${orgId}:${options.includeDeleted ? 'any' : 'live'}`;
  let perActor = resolved.get(actor);
  if (!perActor) {
    perActor = new Map();
    resolved.set(actor, perActor);
  }
  let access = perActor.get(memoKey);
  if (!access) {
    access = lookUp(db, actor, orgId, options);
    perActor.set(memoKey, access);
  }
  return access;
}

const orgNotFound = () => new AppError('NOT_FOUND', 'Organization not found');

async function lookUp(
  db: Database,
  actor: Actor,
  orgId: string,
  options: AccessOptions,
): Promise<OrgAccess> {
  if (actor.kind === 'system') {
    return { orgId, role: 'owner', readOnly: false, appId: null, userId: null };
  }
  if (actor.kind === 'api_key') {
    // The key's org was checked live at authentication; a key never reaches another org.
    if (actor.orgId !== orgId || options.includeDeleted) throw orgNotFound();
    return {
      orgId,
      role: actor.role,
      readOnly: actor.readOnly,
      appId: actor.appId,
      userId: actor.userId,
    };
  }
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        eq(memberships.orgId, orgId),
        eq(memberships.userId, actor.userId),
        isNull(users.deletedAt),
        options.includeDeleted ? undefined : isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  if (!row) throw orgNotFound();
  return { orgId, role: row.role, readOnly: false, appId: null, userId: actor.userId };
}
