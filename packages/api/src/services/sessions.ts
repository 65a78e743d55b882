import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { type Session, sessions, users } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { isToken, mintToken } from '../lib/tokens';
import { describeUserAgent } from '../lib/user-agent';
import type { Actor, RequestOrigin } from './actor';
import { BaseService } from './base';

/** Short-lived access tokens; the refresh-token family slides forward with every use. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60 * 1000;
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
// last_used_at moves at most once a minute, so an active client is not a D1 write per request.
const LAST_USED_RESOLUTION_MS = 60_000;

/** Where a session is opened from: the request, plus what the client says about itself. */
export interface SessionOrigin extends RequestOrigin {
  country?: string | null;
  city?: string | null;
  deviceName?: string | null;
  deviceFingerprint?: string | null;
}

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  expiresAt: Date;
}

const RefreshInput = z.object({ refreshToken: z.string().min(1).max(200) });
const SessionIdInput = z.object({ sessionId: z.string().min(1).max(64) });

const liveSession = (now: Date) =>
  and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), eq(sessions.isActive, true));

export class SessionService extends BaseService {
  /**
   * A new session for `userId`, as an unexecuted insert so sign-up and sign-in can batch it with
   * their own writes and audit row. The plaintext tokens exist only in the returned object.
   */
  async open(userId: string, origin: SessionOrigin, now = new Date()) {
    const [access, refresh] = await Promise.all([mintToken('access'), mintToken('refresh')]);
    const tokens: IssuedTokens = {
      sessionId: newId('session'),
      accessToken: access.secret,
      refreshToken: refresh.secret,
      accessExpiresAt: new Date(now.getTime() + ACCESS_TOKEN_TTL_MS),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    };
    const device = describeUserAgent(origin.userAgent);
    const insert = this.database.insert(sessions).values({
      id: tokens.sessionId,
      userId,
      accessTokenHash: access.hash,
      refreshTokenHash: refresh.hash,
      ipAddress: origin.ip ?? 'unknown',
      userAgent: origin.userAgent ?? 'unknown',
      deviceFingerprint: origin.deviceFingerprint ?? null,
      deviceName: origin.deviceName ?? null,
      deviceType: device.deviceType,
      osName: device.osName,
      browserName: device.browserName,
      country: origin.country ?? null,
      city: origin.city ?? null,
      accessExpiresAt: tokens.accessExpiresAt,
      expiresAt: tokens.expiresAt,
      lastUsedAt: now,
      createdAt: now,
    });
    return { tokens, insert };
  }

  /** The user actor of a live access token, or null. Revocation is seen on the next request. */
  async authenticate(
    token: string,
    origin: RequestOrigin,
  ): Promise<{ actor: Actor; touch?: Promise<unknown> } | null> {
    if (!isToken('access', token)) return null;
    const now = new Date();
    const [row] = await this.getReadDb('fresh')
      .select({ id: sessions.id, userId: sessions.userId, lastUsedAt: sessions.lastUsedAt })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.accessTokenHash, await sha256Hex(token)),
          liveSession(now),
          gt(sessions.accessExpiresAt, now),
          isNull(users.deletedAt),
          eq(users.isSuspended, false),
        ),
      )
      .limit(1);
    if (!row) return null;
    const actor: Actor = { kind: 'user', userId: row.userId, sessionId: row.id, ...origin };
    const stale =
      !row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
    const touch = stale
      ? this.database.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, row.id)).run()
      : undefined;
    return { actor, touch };
  }

  /**
   * Rotates a refresh token: new access and refresh tokens, the old refresh token remembered as
   * `previous`. Presenting that previous token again means two parties hold the family (a
   * stolen token, or a replay), so the whole session is revoked and both must sign in again.
   */
  async refresh(input: z.input<typeof RefreshInput>, origin: RequestOrigin): Promise<IssuedTokens> {
    const { refreshToken } = RefreshInput.parse(input);
    const invalid = new AppError('UNAUTHORIZED', 'Invalid or expired refresh token');
    if (!isToken('refresh', refreshToken)) throw invalid;
    const presented = await sha256Hex(refreshToken);
    const now = new Date();

    const [current] = await this.getReadDb('fresh')
      .select({ id: sessions.id, userId: sessions.userId })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(eq(sessions.refreshTokenHash, presented), liveSession(now), isNull(users.deletedAt)),
      )
      .limit(1);
    if (!current) {
      await this.revokeOnReuse(presented, origin, now);
      throw invalid;
    }

    const [access, refresh] = await Promise.all([mintToken('access'), mintToken('refresh')]);
    const tokens: IssuedTokens = {
      sessionId: current.id,
      accessToken: access.secret,
      refreshToken: refresh.secret,
      accessExpiresAt: new Date(now.getTime() + ACCESS_TOKEN_TTL_MS),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    };
    const actor: Actor = { kind: 'user', userId: current.userId, sessionId: current.id, ...origin };
    const [rotated] = await this.database.batch([
      // The WHERE repeats the token: of two racing refreshes with the same token, one wins.
      this.database
        .update(sessions)
        .set({
          accessTokenHash: access.hash,
          refreshTokenHash: refresh.hash,
          previousRefreshTokenHash: presented,
          accessExpiresAt: tokens.accessExpiresAt,
          expiresAt: tokens.expiresAt,
          lastUsedAt: now,
        })
        .where(and(eq(sessions.id, current.id), eq(sessions.refreshTokenHash, presented)))
        .returning({ id: sessions.id }),
      this.audit(actor, {
        orgId: null,
        action: 'session.refresh',
        resourceType: 'session',
        resourceId: current.id,
      }),
    ]);
    if (rotated.length === 0) {
      await this.revokeOnReuse(presented, origin, now);
      throw invalid;
    }
    return tokens;
  }

  private async revokeOnReuse(presented: string, origin: RequestOrigin, now: Date) {
    const [family] = await this.getReadDb('fresh')
      .select({ id: sessions.id, userId: sessions.userId })
      .from(sessions)
      .where(and(eq(sessions.previousRefreshTokenHash, presented), isNull(sessions.revokedAt)))
      .limit(1);
    if (!family) return;
    const actor: Actor = { kind: 'user', userId: family.userId, sessionId: family.id, ...origin };
    await this.database.batch([
      this.database
        .update(sessions)
        .set({ revokedAt: now, isActive: false })
        .where(eq(sessions.id, family.id)),
      this.audit(actor, {
        orgId: null,
        action: 'session.reuse_detected',
        resourceType: 'session',
        resourceId: family.id,
        after: { revoked: true },
      }),
    ]);
    this.logger.warn('Refresh token reuse: session revoked', { sessionId: family.id });
  }

  /** The caller's live sessions, newest first, with seed 004's device fields. */
  async listMine(actor: Actor): Promise<Session[]> {
    const userId = requireUser(actor).userId;
    return this.getReadDb('fresh')
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), liveSession(new Date())))
      .orderBy(desc(sessions.lastUsedAt), desc(sessions.id))
      .limit(100);
  }

  /** Revokes one of the caller's sessions; another user's id is simply not found. */
  async revoke(actor: Actor, input: z.input<typeof SessionIdInput>): Promise<void> {
    const { sessionId } = SessionIdInput.parse(input);
    const { userId } = requireUser(actor);
    const now = new Date();
    const [owned] = await this.getReadDb('fresh')
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), liveSession(now)))
      .limit(1);
    if (!owned) throw new AppError('NOT_FOUND', 'Session not found');
    await this.database.batch([
      this.database
        .update(sessions)
        .set({ revokedAt: now, isActive: false })
        .where(eq(sessions.id, owned.id)),
      this.audit(actor, {
        orgId: null,
        action: 'session.revoke',
        resourceType: 'session',
        resourceId: owned.id,
      }),
    ]);
  }

  /** Every live session of a user, revoked (account deletion, password change). */
  revokeAllOf(userId: string, now = new Date()) {
    return this.database
      .update(sessions)
      .set({ revokedAt: now, isActive: false })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
  }
}

/** The user behind a session actor; API keys and the system have no "my sessions". */
export function requireUser(actor: Actor): Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') {
    throw new AppError('FORBIDDEN', 'This needs a signed-in user, not an API key');
  }
  return actor;
}
