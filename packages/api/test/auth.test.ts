import {
  AuthJson,
  ErrorBody,
  SessionListJson,
  SessionTokensJson,
  UserJson,
  WhoAmIJson,
} from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditLogs, sessions, users } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from '../src/services/accounts';
import { RATE_LIMITS } from '../src/services/rate-limit';
import { createOrg, createSession, db } from './factories';
import { request, type TestResponse } from './request';

// Sign-up, sign-in, lockout, sessions and refresh-token rotation, through the real Worker.

const PASSWORD = 'correct horse battery staple';
let counter = 0;
const uniqueEmail = () => `user${++counter}-${Date.now()}@example.test`;
// Each test signs in from its own address, so the per-IP rate limit never couples tests.
const uniqueIp = () => `198.51.100.${++counter % 250}`;

function post<T = unknown>(path: string, json: unknown, ip: string, token?: string) {
  return request<T>('POST', path, {
    json,
    headers: { 'cf-connecting-ip': ip, 'user-agent': 'Mozilla/5.0 (Macintosh) Firefox/140.0' },
    ...(token ? { key: token } : {}),
  });
}

async function signUp(email = uniqueEmail(), ip = uniqueIp()) {
  const res = await post<AuthJson>('/v1/auth/sign-up', { email, password: PASSWORD }, ip);
  expect(res.status, res.text).toBe(201);
  return { ...AuthJson.parse(res.body), email, ip };
}

async function userRow(email: string) {
  const [row] = await db().select().from(users).where(eq(users.email, email));
  return row;
}

function expectGenericFailure(res: TestResponse) {
  expect(res.status, res.text).toBe(401);
  expect(ErrorBody.parse(res.body).error.message).toBe(
    'Invalid email or password, or the account is temporarily locked',
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sign-up', () => {
  it('creates the user and a session, storing only hashes', async () => {
    const { user, session, email } = await signUp();
    expect(user.email).toBe(email);

    const row = await userRow(email);
    expect(row?.passwordHash).toMatch(/^pbkdf2-sha256\$100000x6\$/);
    expect(row?.passwordHash).not.toContain(PASSWORD);
    const [stored] = await db().select().from(sessions).where(eq(sessions.id, session.sessionId));
    expect(stored?.accessTokenHash).toBe(await sha256Hex(session.accessToken));
    expect(stored?.refreshTokenHash).toBe(await sha256Hex(session.refreshToken));
    expect(stored?.browserName).toBe('Firefox');
    expect(stored?.osName).toBe('macOS');

    const audit = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, user.id));
    expect(audit.map((a) => a.action)).toEqual(['user.sign_up']);
    expect(audit[0]?.actorType).toBe('user');

    const me = await request<UserJson>('GET', '/v1/me', { key: session.accessToken });
    expect(me.status, me.text).toBe(200);
    expect(UserJson.parse(me.body).id).toBe(user.id);
    const who = await request<WhoAmIJson>('GET', '/v1/whoami', { key: session.accessToken });
    expect(WhoAmIJson.parse(who.body)).toMatchObject({
      kind: 'user',
      userId: user.id,
      orgId: null,
    });
  });

  it('refuses a taken email with 409', async () => {
    const { email } = await signUp();
    const res = await post(
      '/v1/auth/sign-up',
      { email: email.toUpperCase(), password: PASSWORD },
      uniqueIp(),
    );
    expect(res.status, res.text).toBe(409);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', password: PASSWORD }],
    ['an empty password', { email: 'x@example.test', password: '' }],
    ['a short password', { email: 'x@example.test', password: 'short' }],
    ['a huge password', { email: 'x@example.test', password: 'p'.repeat(257) }],
    ['no password', { email: 'x@example.test' }],
    ['a password of the wrong type', { email: 'x@example.test', password: 12345678901234 }],
  ])('answers 400 to %s and writes nothing', async (_, body) => {
    const res = await post('/v1/auth/sign-up', body, uniqueIp());
    expect(res.status, res.text).toBe(400);
    expect(ErrorBody.parse(res.body).error.code).toBe('BAD_REQUEST');
    expect(res.text).not.toContain('p'.repeat(257));
    expect(await userRow('x@example.test')).toBeUndefined();
  });
});

describe('sign-in', () => {
  it('signs in with the right password and records the session', async () => {
    const { email, user } = await signUp();
    const res = await post<AuthJson>(
      '/v1/auth/sign-in',
      { email, password: PASSWORD, deviceName: 'CI laptop' },
      uniqueIp(),
    );
    expect(res.status, res.text).toBe(200);
    const body = AuthJson.parse(res.body);
    expect(body.user.id).toBe(user.id);
    const [stored] = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.id, body.session.sessionId));
    expect(stored?.deviceName).toBe('CI laptop');
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const { email } = await signUp();
    const ip = uniqueIp();
    expectGenericFailure(
      await post('/v1/auth/sign-in', { email, password: 'wrong password!' }, ip),
    );
    expectGenericFailure(
      await post('/v1/auth/sign-in', { email: uniqueEmail(), password: 'wrong password!' }, ip),
    );
  });

  it('does the same PBKDF2 work for an unknown email, a wrong password and a locked account', async () => {
    const { email } = await signUp();
    const locked = (await signUp()).email;
    await db()
      .update(users)
      .set({ lockedUntil: new Date(Date.now() + LOCKOUT_MS) })
      .where(eq(users.email, locked));
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const calls: number[] = [];
    for (const attempt of [
      { email: uniqueEmail(), password: 'wrong password!' },
      { email, password: 'wrong password!' },
      { email: locked, password: PASSWORD },
    ]) {
      derive.mockClear();
      expectGenericFailure(await post('/v1/auth/sign-in', attempt, uniqueIp()));
      calls.push(derive.mock.calls.length);
    }
    expect(calls).toEqual([6, 6, 6]);
  });

  it(`locks the account after ${MAX_FAILED_SIGN_INS} failures, then lets it in once the lock expires`, async () => {
    const { email } = await signUp();
    const ip = uniqueIp();
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      expectGenericFailure(
        await post('/v1/auth/sign-in', { email, password: `wrong ${i} password` }, ip),
      );
    }
    const lockedRow = await userRow(email);
    expect(lockedRow?.lockedUntil?.getTime()).toBeGreaterThan(Date.now());
    // The right password does not get through a lock, and says nothing different.
    expectGenericFailure(await post('/v1/auth/sign-in', { email, password: PASSWORD }, uniqueIp()));
    const actions = await db()
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(eq(auditLogs.resourceId, lockedRow?.id ?? ''));
    expect(actions.map((a) => a.action)).toContain('user.lock');

    await db()
      .update(users)
      .set({ lockedUntil: new Date(Date.now() - 1000) })
      .where(eq(users.email, email));
    const res = await post('/v1/auth/sign-in', { email, password: PASSWORD }, uniqueIp());
    expect(res.status, res.text).toBe(200);
    const unlocked = await userRow(email);
    expect(unlocked?.failedLoginAttempts).toBe(0);
    expect(unlocked?.lockedUntil).toBeNull();
  });

  it('upgrades a hash made with weaker parameters at the next sign-in', async () => {
    const { email } = await signUp();
    // The same password hashed with one round of 1,000 iterations, as an older release might have.
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(PASSWORD),
      'PBKDF2',
      false,
      ['deriveBits'],
    );
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 },
      key,
      256,
    );
    const b64 = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
    const weak = `pbkdf2-sha256$1000x1$${b64(salt)}$${b64(new Uint8Array(bits))}`;
    await db().update(users).set({ passwordHash: weak }).where(eq(users.email, email));

    const res = await post('/v1/auth/sign-in', { email, password: PASSWORD }, uniqueIp());
    expect(res.status, res.text).toBe(200);
    expect((await userRow(email))?.passwordHash).toMatch(/^pbkdf2-sha256\$100000x6\$/);
  });

  it(`answers 429 with Retry-After after ${RATE_LIMITS.signIn.limit} attempts a minute from one IP`, async () => {
    const ip = uniqueIp();
    for (let i = 0; i < RATE_LIMITS.signIn.limit; i++) {
      expectGenericFailure(
        await post('/v1/auth/sign-in', { email: uniqueEmail(), password: 'whatever it is' }, ip),
      );
    }
    const limited = await post(
      '/v1/auth/sign-in',
      { email: uniqueEmail(), password: 'whatever it is' },
      ip,
    );
    expect(limited.status, limited.text).toBe(429);
    expect(ErrorBody.parse(limited.body).error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(RATE_LIMITS.signIn.windowSeconds);
    // Another address is not affected.
    expectGenericFailure(
      await post(
        '/v1/auth/sign-in',
        { email: uniqueEmail(), password: 'whatever it is' },
        uniqueIp(),
      ),
    );
  });
});

describe('sessions', () => {
  it('rotates tokens on refresh; the old access and refresh tokens stop working', async () => {
    const { session } = await signUp();
    const res = await post<SessionTokensJson>(
      '/v1/auth/refresh',
      { refreshToken: session.refreshToken },
      uniqueIp(),
    );
    expect(res.status, res.text).toBe(200);
    const next = SessionTokensJson.parse(res.body);
    expect(next.sessionId).toBe(session.sessionId);
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await request('GET', '/v1/me', { key: session.accessToken })).status).toBe(401);
    expect((await request('GET', '/v1/me', { key: next.accessToken })).status).toBe(200);
  });

  it('revokes the whole session when a rotated refresh token is used again', async () => {
    const { session, user } = await signUp();
    const first = await post<SessionTokensJson>(
      '/v1/auth/refresh',
      { refreshToken: session.refreshToken },
      uniqueIp(),
    );
    const current = SessionTokensJson.parse(first.body);

    const replay = await post(
      '/v1/auth/refresh',
      { refreshToken: session.refreshToken },
      uniqueIp(),
    );
    expect(replay.status, replay.text).toBe(401);
    // Both holders are out: the legitimate client's newest tokens died with the family.
    expect((await request('GET', '/v1/me', { key: current.accessToken })).status).toBe(401);
    const again = await post(
      '/v1/auth/refresh',
      { refreshToken: current.refreshToken },
      uniqueIp(),
    );
    expect(again.status).toBe(401);
    const [row] = await db().select().from(sessions).where(eq(sessions.id, session.sessionId));
    expect(row?.revokedAt).not.toBeNull();
    const audit = await db()
      .select()
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.resourceId, session.sessionId),
          eq(auditLogs.action, 'session.reuse_detected'),
        ),
      );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.userId).toBe(user.id);
  });

  it.each([['garbage'], ['sp_rt_tooShort'], [''], ['x'.repeat(500)]])(
    'refuses the refresh token %j',
    async (refreshToken) => {
      const res = await post('/v1/auth/refresh', { refreshToken }, uniqueIp());
      expect([400, 401]).toContain(res.status);
      expect(ErrorBody.safeParse(res.body).success).toBe(true);
    },
  );

  it('lists my sessions with their device fields and revokes one at once', async () => {
    const { session, email } = await signUp();
    const second = AuthJson.parse(
      (
        await post(
          '/v1/auth/sign-in',
          { email, password: PASSWORD, deviceName: 'phone' },
          uniqueIp(),
        )
      ).body,
    );

    const list = await request<SessionListJson>('GET', '/v1/me/sessions', {
      key: session.accessToken,
    });
    expect(list.status, list.text).toBe(200);
    const items = SessionListJson.parse(list.body).items;
    expect(items.map((s) => s.id).sort()).toEqual(
      [session.sessionId, second.session.sessionId].sort(),
    );
    expect(items.find((s) => s.current)?.id).toBe(session.sessionId);
    expect(items.find((s) => s.id === second.session.sessionId)).toMatchObject({
      deviceName: 'phone',
      browserName: 'Firefox',
    });
    expect(list.text).not.toContain(second.session.accessToken);

    const revoked = await request('DELETE', `/v1/me/sessions/${second.session.sessionId}`, {
      key: session.accessToken,
    });
    expect(revoked.status, revoked.text).toBe(204);
    expect((await request('GET', '/v1/me', { key: second.session.accessToken })).status).toBe(401);
    expect((await request('GET', '/v1/me', { key: session.accessToken })).status).toBe(200);
  });

  it("cannot revoke another user's session (404, and it keeps working)", async () => {
    const mine = await signUp();
    const theirs = await signUp();
    const res = await request('DELETE', `/v1/me/sessions/${theirs.session.sessionId}`, {
      key: mine.session.accessToken,
    });
    expect(res.status, res.text).toBe(404);
    expect((await request('GET', '/v1/me', { key: theirs.session.accessToken })).status).toBe(200);
  });

  it('signs out: the access token stops working on the next request', async () => {
    const { session } = await signUp();
    const res = await post('/v1/auth/sign-out', undefined, uniqueIp(), session.accessToken);
    expect(res.status, res.text).toBe(204);
    expect((await request('GET', '/v1/me', { key: session.accessToken })).status).toBe(401);
  });

  it('refuses an expired access token and a malformed one', async () => {
    const { ownerId } = await createOrg();
    const expired = await createSession(ownerId, { accessExpiresAt: new Date(Date.now() - 1) });
    expect((await request('GET', '/v1/me', { key: expired.accessToken })).status).toBe(401);
    expect((await request('GET', '/v1/me', { key: 'sp_at_nope' })).status).toBe(401);
  });
});

describe('account deletion', () => {
  it('soft-deletes, revokes sessions, and restores on sign-in within the grace period', async () => {
    const { session, email, user } = await signUp();
    const res = await request('DELETE', '/v1/me', { key: session.accessToken });
    expect(res.status, res.text).toBe(204);
    expect((await userRow(email))?.deletedAt).not.toBeNull();
    expect((await request('GET', '/v1/me', { key: session.accessToken })).status).toBe(401);

    const back = await post<AuthJson>(
      '/v1/auth/sign-in',
      { email, password: PASSWORD },
      uniqueIp(),
    );
    expect(back.status, back.text).toBe(200);
    expect((await userRow(email))?.deletedAt).toBeNull();
    const actions = await db()
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(eq(auditLogs.resourceId, user.id));
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['user.delete', 'user.restore']),
    );
  });

  it('refuses to delete the only owner of an organization', async () => {
    const { ownerId, org } = await createOrg();
    const session = await createSession(ownerId);
    const res = await request('DELETE', '/v1/me', { key: session.accessToken });
    expect(res.status, res.text).toBe(409);
    expect(ErrorBody.parse(res.body).error.details).toEqual({ orgIds: [org.id] });
    const [row] = await db().select().from(users).where(eq(users.id, ownerId));
    expect(row?.deletedAt).toBeNull();
  });
});
