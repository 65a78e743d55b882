import { env, exports } from 'cloudflare:workers';
import { AuthJson, ErrorBody, UserJson } from '@skypatch/protocol';
import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { auditLogs, sessions, users } from '../src/db/schema';
import { db } from './factories';
import {
  GITHUB_TEST_CLIENT_ID,
  type GitHubVariant,
  githubCode,
  githubEmail,
  githubLogin,
} from './fake-github';
import { api, request } from './request';

// GitHub itself is the fake in fake-github.ts, reached through miniflare's outbound service:
// the Worker's real fetch() calls leave the runtime and are answered there.
// Tests in this file share storage, so each one signs in with a GitHub id of its own.

const stateKey = (state: string) => `oauth:github:state:${state}`;

/**
 * GET /v1/auth/github without following the redirect (a Fetcher follows redirects by default,
 * which `request()` in ./request does).
 */
async function start(): Promise<{ status: number; location: URL | null; text: string }> {
  const res = await exports.default.fetch(
    new Request('https://skypatch.test/v1/auth/github', { redirect: 'manual' }),
  );
  const location = res.headers.get('location');
  return {
    status: res.status,
    location: location ? new URL(location) : null,
    text: await res.text(),
  };
}

/** Starts sign-in as the browser would; returns the `state` GitHub will echo back. */
async function startSignIn(): Promise<string> {
  const res = await start();
  expect(res.status, res.text).toBe(302);
  const state = res.location?.searchParams.get('state');
  if (!state) throw new Error('no state in the redirect');
  return state;
}

/** GitHub's redirect back to us. */
const callback = (code: string, state: string) =>
  request('GET', `/v1/auth/github/callback?${new URLSearchParams({ code, state }).toString()}`, {
    headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Firefox/130.0' },
  });

async function signInWithGitHub(githubId: number, variant?: GitHubVariant) {
  return callback(githubCode(githubId, variant), await startSignIn());
}

const githubUsers = (githubId: number) =>
  db()
    .select()
    .from(users)
    .where(and(eq(users.provider, 'github'), eq(users.providerId, String(githubId))));

/** Row counts of everything a sign-in writes, to show a refused one wrote nothing. */
async function rowCounts() {
  const [[u], [s], [a]] = await db().batch([
    db().select({ n: count() }).from(users),
    db().select({ n: count() }).from(sessions),
    db().select({ n: count() }).from(auditLogs),
  ]);
  return { users: u?.n, sessions: s?.n, auditLogs: a?.n };
}

function expectError(res: { status: number; text: string; body: unknown }, status: number) {
  expect(res.status, res.text).toBe(status);
  return ErrorBody.parse(res.body).error;
}

describe('GET /v1/auth/github', () => {
  it('redirects to GitHub with our client id, callback, scopes and a remembered state', async () => {
    const res = await start();
    expect(res.status, res.text).toBe(302);
    const location = res.location ?? new URL('about:blank');
    expect(`${location.origin}${location.pathname}`).toBe(
      'https://github.com/login/oauth/authorize',
    );
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(GITHUB_TEST_CLIENT_ID);
    expect(params.get('redirect_uri')).toBe('https://skypatch.test/v1/auth/github/callback');
    expect(params.get('scope')?.split(' ').sort()).toEqual(['read:user', 'user:email']);
    const state = params.get('state') ?? '';
    expect(state.length).toBeGreaterThanOrEqual(16);
    expect(await env.CACHE.get(stateKey(state))).not.toBeNull();
    // The client secret never goes to the browser.
    expect(location.toString()).not.toContain('test-github-secret');

    const again = await start();
    expect(again.location?.searchParams.get('state')).not.toBe(state);
  });
});

describe('GET /v1/auth/github/callback', () => {
  it('creates the account on first sign-in and returns a working session', async () => {
    const githubId = 583231;
    const state = await startSignIn();
    const res = await callback(githubCode(githubId), state);
    expect(res.status, res.text).toBe(201);
    const { user, session } = AuthJson.parse(res.body);
    expect(user).toMatchObject({
      email: githubEmail(githubId).toLowerCase(),
      displayName: `Octo Cat ${githubId}`,
      avatarUrl: `https://avatars.githubusercontent.com/u/${githubId}?v=4`,
      provider: 'github',
      emailVerified: true,
    });
    expect(session.accessToken).toMatch(/^sp_at_/);

    const rows = await githubUsers(githubId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: user.id,
      provider: 'github',
      providerId: String(githubId),
      emailVerified: true,
      passwordHash: null,
    });
    const [sessionRow] = await db().select().from(sessions).where(eq(sessions.userId, user.id));
    expect(sessionRow).toMatchObject({ id: session.sessionId, browserName: 'Firefox' });
    expect(JSON.stringify(sessionRow)).not.toContain(session.accessToken);
    const audit = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, user.id));
    expect(audit.map((row) => row.action)).toEqual(['user.sign_up']);
    expect(audit[0]).toMatchObject({ userId: user.id, orgId: null });
    expect(JSON.stringify(audit)).not.toContain('gho_');

    // The state is spent.
    expect(await env.CACHE.get(stateKey(state))).toBeNull();

    const me = await api(session.accessToken).get('/v1/me');
    expect(me.status, me.text).toBe(200);
    expect(UserJson.parse(me.body)).toMatchObject({ id: user.id, provider: 'github' });
  });

  it('falls back to the GitHub login when the profile has no name', async () => {
    const githubId = 583232;
    const res = await signInWithGitHub(githubId, 'noname');
    expect(res.status, res.text).toBe(201);
    expect(AuthJson.parse(res.body).user.displayName).toBe(githubLogin(githubId));
  });

  it('signs the same GitHub account in again without creating a second user', async () => {
    const githubId = 583233;
    const first = await signInWithGitHub(githubId);
    expect(first.status, first.text).toBe(201);
    const created = AuthJson.parse(first.body);

    const second = await signInWithGitHub(githubId);
    expect(second.status, second.text).toBe(200);
    const signedIn = AuthJson.parse(second.body);
    expect(signedIn.user.id).toBe(created.user.id);
    expect(signedIn.session.sessionId).not.toBe(created.session.sessionId);

    expect(await githubUsers(githubId)).toHaveLength(1);
    const sessionRows = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.userId, created.user.id));
    expect(sessionRows).toHaveLength(2);
    const audit = await db()
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.resourceId, created.user.id));
    expect(audit.map((row) => row.action).sort()).toEqual(['user.sign_in', 'user.sign_up']);
    for (const { session } of [created, signedIn]) {
      expect((await api(session.accessToken).get('/v1/me')).status).toBe(200);
    }
  });

  it('accepts a state only once', async () => {
    const githubId = 583234;
    const state = await startSignIn();
    const first = await callback(githubCode(githubId), state);
    expect(first.status, first.text).toBe(201);

    const before = await rowCounts();
    const replay = await callback(githubCode(githubId), state);
    expect(expectError(replay, 400).code).toBe('BAD_REQUEST');
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a state it never issued and writes nothing', async () => {
    const githubId = 583235;
    const before = await rowCounts();
    const res = await callback(githubCode(githubId), 'forged-state-0123456789abcdef');
    expect(expectError(res, 400).code).toBe('BAD_REQUEST');
    expect(await githubUsers(githubId)).toHaveLength(0);
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 400 when code or state is missing', async () => {
    const state = await startSignIn();
    const noCode = await request('GET', `/v1/auth/github/callback?state=${state}`);
    expect(expectError(noCode, 400).code).toBe('BAD_REQUEST');
    const noState = await request('GET', `/v1/auth/github/callback?code=${githubCode(583236)}`);
    expect(expectError(noState, 400).code).toBe('BAD_REQUEST');
    // A request that failed validation did not spend the state.
    expect(await env.CACHE.get(stateKey(state))).not.toBeNull();
  });

  it('answers 401 and writes nothing when GitHub refuses the code', async () => {
    const before = await rowCounts();
    const state = await startSignIn();
    const res = await callback('bad', state);
    const error = expectError(res, 401);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('bad_verification_code');
    expect(await rowCounts()).toEqual(before);
    // The state was spent all the same: a retry starts over at GitHub.
    expect(await env.CACHE.get(stateKey(state))).toBeNull();
  });

  it('answers 403 when the GitHub account has no verified primary email', async () => {
    const githubId = 583237;
    const before = await rowCounts();
    const res = await signInWithGitHub(githubId, 'unverified');
    expect(expectError(res, 403).code).toBe('FORBIDDEN');
    expect(await githubUsers(githubId)).toHaveLength(0);
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 409 and writes nothing when the email belongs to a password account', async () => {
    const githubId = 583238;
    const signUp = await api().post('/v1/auth/sign-up', {
      email: githubEmail(githubId).toLowerCase(),
      password: 'correct horse battery staple',
    });
    expect(signUp.status, signUp.text).toBe(201);
    const owner = AuthJson.parse(signUp.body).user;

    const before = await rowCounts();
    const res = await signInWithGitHub(githubId);
    expect(expectError(res, 409).code).toBe('CONFLICT');
    expect(await githubUsers(githubId)).toHaveLength(0);
    expect(await rowCounts()).toEqual(before);
    const [row] = await db().select().from(users).where(eq(users.id, owner.id));
    expect(row).toMatchObject({ provider: 'email', passwordHash: expect.any(String) });
  });

  it('refuses a suspended GitHub account', async () => {
    const githubId = 583239;
    const first = await signInWithGitHub(githubId);
    expect(first.status, first.text).toBe(201);
    const { user } = AuthJson.parse(first.body);
    await db().update(users).set({ isSuspended: true }).where(eq(users.id, user.id));

    const before = await rowCounts();
    const res = await signInWithGitHub(githubId);
    expect(expectError(res, 401).code).toBe('UNAUTHORIZED');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('GitHub sign-in without GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET', () => {
  const unconfigured = [
    { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined },
    { GITHUB_CLIENT_ID: GITHUB_TEST_CLIENT_ID, GITHUB_CLIENT_SECRET: undefined },
    { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: 'test-github-secret' },
  ];

  it('answers 404 on both routes and touches neither KV nor D1', async () => {
    const app = createApp();
    for (const missing of unconfigured) {
      const bindings: Env = { ...env, ...missing };
      const keysBefore = (await env.CACHE.list({ prefix: 'oauth:github:state:' })).keys.length;
      const rowsBefore = await rowCounts();

      const start = await app.request('/v1/auth/github', {}, bindings);
      expect(start.status, await start.clone().text()).toBe(404);
      expect(start.headers.get('location')).toBeNull();
      expect(ErrorBody.parse(await start.json()).error.code).toBe('NOT_FOUND');

      // Even with a state that is live in KV: the route does not exist.
      const state = await startSignIn();
      const query = new URLSearchParams({ code: githubCode(583240), state }).toString();
      const done = await app.request(`/v1/auth/github/callback?${query}`, {}, bindings);
      expect(done.status, await done.clone().text()).toBe(404);
      expect(ErrorBody.parse(await done.json()).error.code).toBe('NOT_FOUND');

      expect(await env.CACHE.get(stateKey(state))).not.toBeNull();
      expect((await env.CACHE.list({ prefix: 'oauth:github:state:' })).keys.length).toBe(
        keysBefore + 1,
      );
      expect(await rowCounts()).toEqual(rowsBefore);
    }
  });
});

describe('the fake GitHub behind the outbound service', () => {
  it('is what answers fetch(): GitHub needs a user agent, anything else fails loudly', async () => {
    const noAgent = await fetch('https://api.github.com/user', {
      headers: { authorization: 'Bearer gho_1_std' },
    });
    expect(noAgent.status).toBe(403);
    const unknownToken = await fetch('https://api.github.com/user', {
      headers: { authorization: 'Bearer gho_nope', 'user-agent': 'test' },
    });
    expect(unknownToken.status).toBe(401);
    const stray = await fetch('https://example.com/');
    expect(stray.status).toBe(502);
    expect(await stray.text()).toContain('unexpected outbound request');
  });
});
