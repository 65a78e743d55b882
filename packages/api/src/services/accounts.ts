import { SignInBody, SignUpBody } from '@skypatch/protocol';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { apiKeys, memberships, organizations, type User, users } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../lib/password';
import type { Actor } from './actor';
import { BaseService, isUniqueViolation } from './base';
import { RateLimitService } from './rate-limit';
import { type IssuedTokens, requireUser, type SessionOrigin, SessionService } from './sessions';
import { isRestorable } from './soft-delete';

/** Failed sign-ins in a row that lock an account, and for how long. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

// One message for every failed sign-in: unknown email, wrong password, locked, deleted.
const SIGN_IN_FAILED = 'Invalid email or password, or the account is temporarily locked';

const SignUpInput = SignUpBody;
const SignInInput = SignInBody;

export interface SignedIn {
  user: User;
  tokens: IssuedTokens;
}

export class AccountService extends BaseService {
  private readonly sessions = new SessionService(this.env);
  private readonly rateLimits = new RateLimitService(this.env.RATE_LIMITS);

  async signUp(input: z.input<typeof SignUpInput>, origin: SessionOrigin): Promise<SignedIn> {
    await this.rateLimits.consume('signUp', origin.ip ?? 'unknown');
    const { email, password, displayName, deviceName } = SignUpInput.parse(input);
    const now = new Date();
    const userId = newId('user');
    const passwordHash = await hashPassword(password);
    const { tokens, insert } = await this.sessions.open(userId, { ...origin, deviceName }, now);
    const actor: Actor = { kind: 'user', userId, sessionId: tokens.sessionId, ...origin };
    try {
      const [[user]] = await this.database.batch([
        this.database
          .insert(users)
          .values({
            id: userId,
            email,
            displayName: displayName ?? email.split('@')[0] ?? email,
            provider: 'email',
            providerId: email,
            passwordHash,
            passwordChangedAt: now,
            lastActiveAt: now,
          })
          .returning(),
        insert,
        this.audit(actor, {
          orgId: null,
          action: 'user.sign_up',
          resourceType: 'user',
          resourceId: userId,
          after: { email, provider: 'email' },
        }),
      ]);
      if (!user) throw new AppError('INTERNAL', 'Sign-up wrote no user');
      return { user, tokens };
    } catch (error) {
      // Sign-up cannot help confirming an address is taken; the signUp rate limit bounds how
      // fast anyone can ask (docs/security.md).
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'An account with this email already exists');
      }
      this.handleDatabaseError(error, 'signUp');
    }
  }

  /**
   * Email and password sign-in. Every failure costs the same PBKDF2 work (a dummy hash stands in
   * for a missing account) and gets the same message; failures of a real account count toward
   * a lockout, written in the background so the response does not wait on it.
   */
  async signIn(input: z.input<typeof SignInInput>, origin: SessionOrigin): Promise<SignedIn> {
    await this.rateLimits.consume('signIn', origin.ip ?? 'unknown');
    const { email, password, deviceName } = SignInInput.parse(input);
    const now = new Date();
    const [user] = await this.getReadDb('fresh')
      .select()
      .from(users)
      .where(and(eq(users.email, email), eq(users.provider, 'email')))
      .limit(1);
    const check = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);

    const locked = user?.lockedUntil != null && user.lockedUntil > now;
    const usable =
      user != null &&
      !user.isSuspended &&
      (user.deletedAt === null || isRestorable(user.deletedAt, now));
    if (!user || !usable || locked || !check.valid) {
      if (user && usable && !locked) await this.inBackground(this.recordFailure(user, origin, now));
      throw new AppError('UNAUTHORIZED', SIGN_IN_FAILED);
    }

    const { tokens, insert } = await this.sessions.open(user.id, { ...origin, deviceName }, now);
    const actor: Actor = { kind: 'user', userId: user.id, sessionId: tokens.sessionId, ...origin };
    const restoring = user.deletedAt !== null;
    const [[signedIn]] = await this.database.batch([
      this.database
        .update(users)
        .set({
          failedLoginAttempts: 0,
          lockedUntil: null,
          lastActiveAt: now,
          deletedAt: null,
          // Hashes made with weaker parameters are upgraded while the password is at hand.
          ...(check.needsRehash ? { passwordHash: await hashPassword(password) } : {}),
        })
        .where(eq(users.id, user.id))
        .returning(),
      insert,
      this.audit(actor, {
        orgId: null,
        action: restoring ? 'user.restore' : 'user.sign_in',
        resourceType: 'user',
        resourceId: user.id,
        after: { sessionId: tokens.sessionId, rehashed: check.needsRehash },
      }),
    ]);
    return { user: signedIn ?? user, tokens };
  }

  private async recordFailure(user: User, origin: SessionOrigin, now: Date) {
    const failures = (user.failedLoginAttempts ?? 0) + 1;
    const lock = failures >= MAX_FAILED_SIGN_INS;
    await this.database.batch([
      this.database
        .update(users)
        .set({
          // Counted in SQL: concurrent failures must all count, not overwrite each other.
          failedLoginAttempts: lock ? 0 : sql`coalesce(${users.failedLoginAttempts}, 0) + 1`,
          lockedUntil: lock ? new Date(now.getTime() + LOCKOUT_MS) : user.lockedUntil,
        })
        .where(eq(users.id, user.id)),
      this.audit(
        { kind: 'system', orgId: null, reason: 'sign-in' },
        {
          orgId: null,
          action: lock ? 'user.lock' : 'user.sign_in_failed',
          resourceType: 'user',
          resourceId: user.id,
          after: { failedAttempts: failures, ...(lock ? { lockedForMs: LOCKOUT_MS } : {}) },
          origin,
        },
      ),
    ]);
  }

  async signOut(actor: Actor): Promise<void> {
    const { sessionId } = requireUser(actor);
    await this.sessions.revoke(actor, { sessionId });
  }

  async me(actor: Actor) {
    const { userId } = requireUser(actor);
    const [user] = await this.getReadDb('fresh')
      .select()
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.deletedAt)))
      .limit(1);
    if (!user) throw new AppError('NOT_FOUND', 'User not found');
    return user;
  }

  /**
   * Soft-deletes the caller's account: sessions and the API keys they created are revoked (they
   * know those secrets), memberships stay so a sign-in within the grace period restores it all
   * but the keys. The sole owner of an org must hand it over or delete it first.
   */
  async deleteMe(actor: Actor): Promise<void> {
    const { userId } = requireUser(actor);
    const soleOwned = await this.getReadDb('fresh')
      .select({ orgId: memberships.orgId })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .where(
        and(
          eq(memberships.userId, userId),
          eq(memberships.role, 'owner'),
          isNull(organizations.deletedAt),
          // Only owners who still have a live account count: a deleted owner cannot run the org.
          sql`(SELECT count(*) FROM ${memberships} m JOIN ${users} u ON u.id = m.user_id WHERE m.org_id = ${memberships.orgId} AND m.role = 'owner' AND u.deleted_at IS NULL) = 1`,
        ),
      );
    if (soleOwned.length > 0) {
      throw new AppError(
        'CONFLICT',
        'You are the only owner of some organizations; transfer or delete them first',
        { orgIds: soleOwned.map((row) => row.orgId) },
      );
    }
    const now = new Date();
    await this.database.batch([
      this.database.update(users).set({ deletedAt: now }).where(eq(users.id, userId)),
      this.sessions.revokeAllOf(userId, now),
      this.database
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.createdByUserId, userId), isNull(apiKeys.revokedAt))),
      this.audit(actor, {
        orgId: null,
        action: 'user.delete',
        resourceType: 'user',
        resourceId: userId,
      }),
    ]);
  }
}
