import type { Role } from '../db/schema';

/**
 * Who is calling, as services see it: no HTTP, just identity. Routes build it in
 * middleware/auth.ts from a session or an API key; queues and cron use the system actor.
 * What an actor may do inside one org is resolved separately (services/access.ts).
 */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

export type Actor =
  | ({ kind: 'user'; userId: string; sessionId: string } & RequestOrigin)
  | ({
      kind: 'api_key';
      apiKeyId: string;
      orgId: string;
      role: Role;
      readOnly: boolean;
      appId: string | null;
      /** The user who created the key: audit rows and created-by columns name them. */
      userId: string | null;
    } & RequestOrigin)
  | { kind: 'system'; orgId: string | null; reason: string };

export function systemActor(reason: string, orgId: string | null = null): Actor {
  return { kind: 'system', orgId, reason };
}

/** The person behind an actor, if any. */
export function actorUserId(actor: Actor): string | null {
  return actor.kind === 'system' ? null : actor.userId;
}
