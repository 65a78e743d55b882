import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { apiKeys, organizations } from '../db/schema';
import { looksLikeApiKey } from '../lib/api-keys';
import { sha256Hex } from '../lib/crypto';
import type { Actor, RequestOrigin } from './actor';
import { BaseService } from './base';
import { SessionService } from './sessions';

// last_used_at is refreshed at most once a minute per key, so a busy CI key does not turn
// every request into a D1 write.
const LAST_USED_RESOLUTION_MS = 60_000;

export interface Authenticated {
  actor: Actor;
  /** A last-used bookkeeping write the response need not wait for. */
  touch?: Promise<unknown>;
}

export class AuthService extends BaseService {
  private readonly sessions = new SessionService(this.env);

  /** A bearer token (API key or session access token) to its actor, or null. */
  authenticate(token: string, origin: RequestOrigin): Promise<Authenticated | null> {
    if (looksLikeApiKey(token)) return this.authenticateApiKey(token, origin);
    return this.sessions.authenticate(token, origin);
  }

  /**
   * Resolves a bearer API key to its actor, or null. A revoked or expired key, or one whose
   * org was deleted, fails on the very next request: the check is in the query, not a cache.
   */
  async authenticateApiKey(token: string, context: RequestOrigin): Promise<Authenticated | null> {
    if (!looksLikeApiKey(token)) return null;
    const now = new Date();
    const [row] = await this.getReadDb('fresh')
      .select({
        id: apiKeys.id,
        orgId: apiKeys.orgId,
        appId: apiKeys.appId,
        role: apiKeys.role,
        scope: apiKeys.scope,
        createdByUserId: apiKeys.createdByUserId,
        lastUsedAt: apiKeys.lastUsedAt,
      })
      .from(apiKeys)
      .innerJoin(organizations, eq(organizations.id, apiKeys.orgId))
      .where(
        and(
          eq(apiKeys.keyHash, await sha256Hex(token)),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
          isNull(organizations.deletedAt),
        ),
      )
      .limit(1);
    if (!row) return null;

    const actor: Actor = {
      kind: 'api_key',
      apiKeyId: row.id,
      orgId: row.orgId,
      role: row.role,
      readOnly: row.scope === 'read_only',
      appId: row.appId,
      userId: row.createdByUserId,
      ip: context.ip,
      userAgent: context.userAgent,
    };
    const stale =
      !row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
    const touch = stale
      ? this.database
          .update(apiKeys)
          .set({ lastUsedAt: now })
          .where(
            and(
              eq(apiKeys.id, row.id),
              sql`coalesce(${apiKeys.lastUsedAt}, 0) < ${now.getTime() - LAST_USED_RESOLUTION_MS}`,
            ),
          )
          .run()
      : undefined;
    return { actor, touch };
  }
}
