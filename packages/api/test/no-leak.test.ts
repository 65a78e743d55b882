import { env } from 'cloudflare:workers';
import {
  AcceptedInvitationJson,
  AuthJson,
  CreatedApiKeyJson,
  CreatedInvitationJson,
  OrgJson,
  SecretJson,
  SessionTokensJson,
} from '@skypatch/protocol';
import { eq, inArray, or } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiKeys, auditLogs, invitations, sessions, userSecrets, users } from '../src/db/schema';
import { createApiKey, createOrg, createSession, db } from './factories';
import { request, type TestResponse } from './request';

/**
 * The promise, end to end: "no secret, password hash or token ever appears in a
 * response body, an audit row or a log line". A whole account's life runs through the real
 * Worker while every console line is captured; then every response, every audit row of the
 * user and org, and every log line is searched for every secret the flow produced or stored.
 */

let counter = 0;
const uniqueIp = () => `203.0.113.${(++counter % 200) + 20}`;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

let logLines: string[] = [];

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

beforeEach(() => {
  logLines = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map(text).join(' '));
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Exchange {
  label: string;
  res: TestResponse;
  /** Secrets this response exists to hand out, once: only those may appear in it. */
  hands: string[];
}

function recorder() {
  const exchanges: Exchange[] = [];
  const send = async <T = unknown>(
    label: string,
    method: string,
    path: string,
    options: { token?: string; json?: unknown; ip?: string } = {},
  ): Promise<TestResponse<T>> => {
    const res = await request<T>(method, path, {
      json: options.json,
      headers: { 'cf-connecting-ip': options.ip ?? uniqueIp(), 'user-agent': USER_AGENT },
      ...(options.token ? { key: options.token } : {}),
    });
    exchanges.push({ label, res, hands: [] });
    return res;
  };
  /** Marks the last response as the one that legitimately hands out `secrets`. */
  const handsOut = (...secrets: string[]) => {
    const last = exchanges[exchanges.length - 1];
    if (!last) throw new Error('handsOut: no response yet');
    last.hands.push(...secrets);
  };
  return { exchanges, send, handsOut };
}

/** The named secret must not be in `haystack`; the message says where it was found. */
function expectAbsent(haystack: string, secrets: Map<string, string>, where: string) {
  for (const [name, secret] of secrets) {
    expect(haystack.includes(secret), `${name} leaked into ${where}`).toBe(false);
  }
}

/** A stored hash and its parts: `scheme$params$salt$hash` leaks even one part at a time. */
function hashParts(name: string, value: string | null | undefined): [string, string][] {
  if (!value) return [];
  const parts = value.split('$').filter((part) => part.length >= 16 && part !== value);
  return [[name, value], ...parts.map((part, i): [string, string] => [`${name} part ${i}`, part])];
}

describe('no secret leaks', () => {
  it('through a whole account flow: responses, audit rows and log lines', async () => {
    const { exchanges, send, handsOut } = recorder();
    const password = `correct horse battery staple ${Date.now()}-${++counter}`;
    const email = `leak${++counter}-${Date.now()}@example.test`;
    const secretValue = `-----BEGIN PRIVATE KEY-----\nMIIEvQ${crypto.randomUUID()}${crypto.randomUUID()}\n-----END PRIVATE KEY-----`;
    const ip = uniqueIp();

    // Sign-up: the tokens are shown in this response only.
    const signedUp = await send<AuthJson>('sign-up', 'POST', '/v1/auth/sign-up', {
      json: { email, password, deviceName: 'laptop' },
      ip,
    });
    expect(signedUp.status, signedUp.text).toBe(201);
    const first = AuthJson.parse(signedUp.body);
    handsOut(first.session.accessToken, first.session.refreshToken);
    const userId = first.user.id;

    // A wrong password, then the right one.
    const wrongPassword = `${password} but wrong`;
    const refused = await send('wrong sign-in', 'POST', '/v1/auth/sign-in', {
      json: { email, password: wrongPassword },
      ip,
    });
    expect(refused.status, refused.text).toBe(401);
    const signedIn = await send<AuthJson>('sign-in', 'POST', '/v1/auth/sign-in', {
      json: { email, password },
      ip,
    });
    expect(signedIn.status, signedIn.text).toBe(200);
    const second = AuthJson.parse(signedIn.body);
    handsOut(second.session.accessToken, second.session.refreshToken);

    // Refresh, then replay the rotated refresh token: the session is revoked.
    const refreshed = await send<unknown>('refresh', 'POST', '/v1/auth/refresh', {
      json: { refreshToken: second.session.refreshToken },
    });
    expect(refreshed.status, refreshed.text).toBe(200);
    const third = SessionTokensJson.parse(refreshed.body);
    handsOut(third.accessToken, third.refreshToken);
    const replayed = await send('refresh replay', 'POST', '/v1/auth/refresh', {
      json: { refreshToken: second.session.refreshToken },
    });
    expect(replayed.status, replayed.text).toBe(401);
    const revoked = await send('revoked access', 'GET', '/v1/me', { token: third.accessToken });
    expect(revoked.status, revoked.text).toBe(401);
    // The spy sees the Worker's log lines (this one is written on reuse).
    expect(logLines.some((line) => line.includes('Refresh token reuse'))).toBe(true);

    // The sign-up session still works: create an org, a key, a secret, an invitation.
    const token = first.session.accessToken;
    const me = await send('me', 'GET', '/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    const mySessions = await send('my sessions', 'GET', '/v1/me/sessions', { token });
    expect(mySessions.status, mySessions.text).toBe(200);
    const orgRes = await send<unknown>('create org', 'POST', '/v1/orgs', {
      token,
      json: { name: 'Leak check' },
    });
    expect(orgRes.status, orgRes.text).toBe(201);
    const orgId = OrgJson.parse(orgRes.body).id;

    const keyRes = await send<unknown>('create key', 'POST', `/v1/orgs/${orgId}/api-keys`, {
      token,
      json: { name: 'ci', role: 'admin' },
    });
    expect(keyRes.status, keyRes.text).toBe(201);
    const key = CreatedApiKeyJson.parse(keyRes.body);
    handsOut(key.secret);
    const whoami = await send('whoami by key', 'GET', '/v1/whoami', { token: key.secret });
    expect(whoami.status, whoami.text).toBe(200);
    const keys = await send('list keys', 'GET', `/v1/orgs/${orgId}/api-keys`, { token });
    expect(keys.status, keys.text).toBe(200);

    const secretRes = await send<unknown>('create secret', 'POST', `/v1/orgs/${orgId}/secrets`, {
      token: key.secret,
      json: {
        provider: 'apple',
        secretType: 'signing_key',
        displayName: 'Distribution key',
        value: secretValue,
      },
    });
    expect(secretRes.status, secretRes.text).toBe(201);
    const secretId = SecretJson.parse(secretRes.body).id;
    const tooBig = await send('oversized secret', 'POST', `/v1/orgs/${orgId}/secrets`, {
      token,
      json: {
        provider: 'apple',
        secretType: 'x',
        displayName: 'x',
        value: `${secretValue}`.repeat(2_000),
      },
    });
    expect(tooBig.status, tooBig.text).toBe(400);
    const secretList = await send('list secrets', 'GET', `/v1/orgs/${orgId}/secrets`, {
      token: key.secret,
    });
    expect(secretList.status, secretList.text).toBe(200);

    const invitationRes = await send<unknown>('invite', 'POST', `/v1/orgs/${orgId}/invitations`, {
      token,
      json: { email: `invitee${++counter}@example.test`, role: 'developer' },
    });
    expect(invitationRes.status, invitationRes.text).toBe(201);
    const invitation = CreatedInvitationJson.parse(invitationRes.body);
    handsOut(invitation.token);
    const invitationList = await send('list invitations', 'GET', `/v1/orgs/${orgId}/invitations`, {
      token,
    });
    expect(invitationList.status, invitationList.text).toBe(200);

    // The invitee signs up and accepts.
    const inviteePassword = `another long password ${Date.now()}`;
    const inviteeRes = await send<AuthJson>('invitee sign-up', 'POST', '/v1/auth/sign-up', {
      json: { email: `joiner${++counter}-${Date.now()}@example.test`, password: inviteePassword },
    });
    expect(inviteeRes.status, inviteeRes.text).toBe(201);
    const invitee = AuthJson.parse(inviteeRes.body);
    handsOut(invitee.session.accessToken, invitee.session.refreshToken);
    const accepted = await send<unknown>('accept', 'POST', '/v1/invitations/accept', {
      token: invitee.session.accessToken,
      json: { token: invitation.token },
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(AcceptedInvitationJson.parse(accepted.body).orgId).toBe(orgId);
    const members = await send('list members', 'GET', `/v1/orgs/${orgId}/members`, { token });
    expect(members.status, members.text).toBe(200);

    const auditRes = await send('audit log', 'GET', `/v1/orgs/${orgId}/audit-logs?limit=100`, {
      token,
    });
    expect(auditRes.status, auditRes.text).toBe(200);

    // Let background bookkeeping (the failed sign-in's counter and its audit row) settle.
    await vi.waitFor(async () => {
      const rows = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, userId));
      expect(rows.map((row) => row.action)).toContain('user.sign_in_failed');
    });

    // Everything secret the flow made or stored.
    const userIds = [userId, invitee.user.id];
    const userRows = await db().select().from(users).where(inArray(users.id, userIds));
    const sessionRows = await db().select().from(sessions).where(inArray(sessions.userId, userIds));
    const keyRows = await db().select().from(apiKeys).where(eq(apiKeys.orgId, orgId));
    const secretRows = await db().select().from(userSecrets).where(eq(userSecrets.orgId, orgId));
    const invitationRows = await db()
      .select()
      .from(invitations)
      .where(eq(invitations.orgId, orgId));
    expect(userRows).toHaveLength(2);
    expect(sessionRows.length).toBeGreaterThanOrEqual(3);
    expect(keyRows).toHaveLength(1);
    expect(secretRows.map((row) => row.id)).toEqual([secretId]);
    expect(invitationRows).toHaveLength(1);

    const secrets = new Map<string, string>([
      ['the password', password],
      ['the wrong password', wrongPassword],
      ["the invitee's password", inviteePassword],
      ['the API key secret', key.secret],
      ['the invitation token', invitation.token],
      ['the secret value', secretValue],
      ['the secret value (its middle)', secretValue.slice(30, -30)],
    ]);
    const issued = [first.session, second.session, third, invitee.session];
    issued.forEach((tokens, i) => {
      secrets.set(`access token ${i}`, tokens.accessToken);
      secrets.set(`refresh token ${i}`, tokens.refreshToken);
    });
    for (const row of userRows) {
      expect(row.passwordHash).toBeTruthy();
      for (const [name, value] of hashParts(`password hash of ${row.id}`, row.passwordHash)) {
        secrets.set(name, value);
      }
    }
    for (const row of sessionRows) {
      secrets.set(`access token hash of ${row.id}`, row.accessTokenHash);
      secrets.set(`refresh token hash of ${row.id}`, row.refreshTokenHash);
      if (row.previousRefreshTokenHash) {
        secrets.set(`previous refresh token hash of ${row.id}`, row.previousRefreshTokenHash);
      }
    }
    for (const row of keyRows) secrets.set(`key hash of ${row.id}`, row.keyHash);
    for (const row of invitationRows) secrets.set(`invitation hash of ${row.id}`, row.tokenHash);
    for (const row of secretRows) {
      secrets.set(`ciphertext of ${row.id}`, row.encryptedValue);
      for (const [i, part] of row.encryptedValue.split('.').slice(1).entries()) {
        secrets.set(`ciphertext part ${i} of ${row.id}`, part);
      }
    }

    // Responses: none but the one that hands a secret out, and that one only that secret.
    expect(exchanges.length).toBeGreaterThan(20);
    for (const { label, res, hands } of exchanges) {
      const allowed = new Set(hands);
      for (const handed of hands)
        expect(res.text, `${label} hands out its secret`).toContain(handed);
      const forbidden = new Map([...secrets].filter(([, value]) => !allowed.has(value)));
      expectAbsent(res.text, forbidden, `the "${label}" response`);
      expectAbsent(JSON.stringify([...res.headers]), secrets, `the "${label}" response headers`);
    }

    // Audit rows: every row about the users or the org.
    const auditRows = await db()
      .select()
      .from(auditLogs)
      .where(
        or(
          eq(auditLogs.orgId, orgId),
          inArray(auditLogs.userId, userIds),
          inArray(auditLogs.resourceId, [...userIds, ...sessionRows.map((row) => row.id)]),
        ),
      );
    const actions = new Set(auditRows.map((row) => row.action));
    for (const action of [
      'user.sign_up',
      'user.sign_in_failed',
      'user.sign_in',
      'session.refresh',
      'session.reuse_detected',
      'org.create',
      'api_key.create',
      'secret.create',
      'invitation.create',
      'invitation.accept',
    ]) {
      expect(actions, `audit action ${action}`).toContain(action);
    }
    for (const row of auditRows)
      expectAbsent(JSON.stringify(row), secrets, `audit row ${row.action}`);

    // Log lines.
    expectAbsent(logLines.join('\n'), secrets, 'a log line');
  });

  it('when D1 fails: the 500 and its log line carry no token hash', async () => {
    const org = await createOrg();
    const session = await createSession(org.ownerId);
    const key = await createApiKey(org, 'admin');
    const [stored] = await db().select().from(sessions).where(eq(sessions.id, session.sessionId));
    const [keyRow] = await db().select().from(apiKeys).where(eq(apiKeys.id, key.row.id));
    if (!stored || !keyRow) throw new Error('rows missing');
    const secrets = new Map([
      ['access token', session.accessToken],
      ['access token hash', stored.accessTokenHash],
      ['refresh token hash', stored.refreshTokenHash],
      ['API key', key.secret],
      ['key hash', keyRow.keyHash],
    ]);

    // A real D1 error: the tables authentication reads are briefly gone.
    await env.DB.exec('ALTER TABLE sessions RENAME TO sessions_away');
    await env.DB.exec('ALTER TABLE api_keys RENAME TO api_keys_away');
    try {
      const bySession = await request('GET', '/v1/me', { key: session.accessToken });
      const byKey = await request('GET', '/v1/whoami', { key: key.secret });
      const refresh = await request('POST', '/v1/auth/refresh', {
        json: { refreshToken: session.refreshToken },
      });
      // Sign-up's batch fails after hashing: its password hash and token hashes are params.
      const signUp = await request('POST', '/v1/auth/sign-up', {
        json: { email: `d1-down-${Date.now()}@example.test`, password: 'a password never logged' },
        headers: { 'cf-connecting-ip': uniqueIp() },
      });
      for (const res of [bySession, byKey, refresh, signUp]) {
        expect(res.status, res.text).toBe(500);
        expectAbsent(res.text, secrets, 'a 500 response');
      }
    } finally {
      await env.DB.exec('ALTER TABLE sessions_away RENAME TO sessions');
      await env.DB.exec('ALTER TABLE api_keys_away RENAME TO api_keys');
    }
    const logged = logLines.join('\n');
    expect(logLines.filter((line) => line.includes('Unhandled error'))).toHaveLength(4);
    expect(logged).toContain('Database error in signUp');
    // The SQL stays for debugging; the bound values do not.
    expect(logged).toContain('Failed query:');
    expect(logged).toContain('params: [redacted]');
    expectAbsent(logged, secrets, 'a log line');
    expect(logged).not.toContain('a password never logged');
    expect(logged).not.toContain('pbkdf2');
    expect(logged).not.toMatch(/[0-9a-f]{64}/);
    expect((await request('GET', '/v1/me', { key: session.accessToken })).status).toBe(200);
  });
});
