import type { Role } from '../db/schema';

/**
 * Who is calling, as services see it: no HTTP, just identity, org and role. Routes build it in
 * middleware/auth.ts; queues and cron use the system actor.
 */
export type Actor =
  | {
      kind: 'api_key';
      apiKeyId: string;
      orgId: string;
      role: Role;
      readOnly: boolean;
      appId: string | null;
      userId: string | null;
      ip: string | null;
      userAgent: string | null;
    }
  | { kind: 'system'; orgId: string | null; reason: string };

const ROLE_RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

export function hasRole(actor: Actor, minimum: Role): boolean {
  if (actor.kind === 'system') return true;
  return ROLE_RANK[actor.role] >= ROLE_RANK[minimum];
}

export function systemActor(reason: string, orgId: string | null = null): Actor {
  return { kind: 'system', orgId, reason };
}
