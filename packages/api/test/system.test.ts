import { env } from 'cloudflare:workers';
import { BootstrapJson, ErrorBody, HealthJson, WhoAmIJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, auditLogs, memberships, organizations, users } from '../src/db/schema';
import { createApiKey, createOrg, db } from './factories';
import { api, request } from './request';

describe('GET /health', () => {
  it('reports D1, R2 and KV reachable', async () => {
    const res = await api().get('/health');
    expect(res.status, res.text).toBe(200);
    const body = HealthJson.parse(res.body);
    expect(body.status).toBe('ok');
    expect([body.checks.d1.ok, body.checks.r2.ok, body.checks.kv.ok]).toEqual([true, true, true]);
  });
});

describe('POST /v1/bootstrap', () => {
  const bootstrap = (json: unknown, token = 'test-bootstrap-token') =>
    request('POST', '/v1/bootstrap', { json, headers: { 'x-bootstrap-token': token } });

  it('refuses a wrong token and writes nothing', async () => {
    const res = await bootstrap({}, 'wrong-token');
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(res.body).error.code).toBe('UNAUTHORIZED');
    expect(await db().select().from(users)).toHaveLength(0);
  });

  it('creates the owner, the org and a working key once, and only once', async () => {
    const res = await bootstrap({ email: 'founder@example.test', orgName: 'Acme Mobile' });
    expect(res.status, res.text).toBe(201);
    const created = BootstrapJson.parse(res.body);
    expect(created.apiKey).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);

    const [user] = await db().select().from(users).where(eq(users.id, created.userId));
    expect(user?.email).toBe('founder@example.test');
    expect(user?.passwordHash).toMatch(/^pbkdf2-sha256\$100000x6\$/);
    expect(user?.passwordHash).not.toContain(created.password);
    const [org] = await db()
      .select()
      .from(organizations)
      .where(eq(organizations.id, created.orgId));
    expect(org).toMatchObject({ name: 'Acme Mobile', slug: 'acme-mobile', plan: 'free' });
    const [membership] = await db()
      .select()
      .from(memberships)
      .where(eq(memberships.userId, created.userId));
    expect(membership).toMatchObject({ orgId: created.orgId, role: 'owner' });

    // The key is stored only as a hash, and the audit row carries no secret.
    const [key] = await db().select().from(apiKeys).where(eq(apiKeys.orgId, created.orgId));
    expect(key?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(key?.prefix).toBe(created.apiKey.slice(0, 12));
    const audit = await db().select().from(auditLogs).where(eq(auditLogs.orgId, created.orgId));
    expect(audit.map((row) => row.action)).toEqual(['instance.bootstrap']);
    expect(JSON.stringify(audit)).not.toContain(created.apiKey);
    expect(JSON.stringify(audit)).not.toContain(created.password);

    const me = await api(created.apiKey).get('/v1/whoami');
    expect(me.status, me.text).toBe(200);
    expect(WhoAmIJson.parse(me.body)).toMatchObject({
      orgId: created.orgId,
      role: 'owner',
      readOnly: false,
    });

    const again = await bootstrap({ email: 'someone-else@example.test' });
    expect(again.status).toBe(409);
    expect(await db().select().from(users)).toHaveLength(1);
  });

  it('does not exist when no BOOTSTRAP_TOKEN is configured', async () => {
    const { BootstrapService } = await import('../src/services/bootstrap');
    const service = new BootstrapService({ ...env, BOOTSTRAP_TOKEN: undefined });
    await expect(
      service.bootstrap('anything', { email: 'a@b.test', orgName: 'x' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('API key authentication', () => {
  it('rejects a missing, malformed, unknown, revoked or expired key', async () => {
    const org = await createOrg();
    const revoked = await createApiKey(org, 'owner', { revokedAt: new Date() });
    const expired = await createApiKey(org, 'owner', { expiresAt: new Date(Date.now() - 1000) });
    for (const key of [
      undefined,
      'not-a-key',
      `sk_live_${'x'.repeat(32)}`,
      revoked.secret,
      expired.secret,
    ]) {
      const res = await api(key).get('/v1/whoami');
      expect(res.status, `key ${key}`).toBe(401);
      expect(ErrorBody.parse(res.body).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('accepts a key in Bearer and in Statuspage OAuth form, and stops at once when revoked', async () => {
    const org = await createOrg();
    const key = await createApiKey(org, 'viewer', { scope: 'read_only' });
    const bearer = await api(key.secret).get('/v1/whoami');
    expect(WhoAmIJson.parse(bearer.body)).toMatchObject({
      role: 'viewer',
      readOnly: true,
      orgId: org.org.id,
    });
    const oauth = await request('GET', '/v1/whoami', {
      headers: { authorization: `OAuth ${key.secret}` },
    });
    expect(oauth.status).toBe(200);

    await db().update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.row.id));
    expect((await api(key.secret).get('/v1/whoami')).status).toBe(401);
  });

  it('rejects a key whose organization was deleted', async () => {
    const org = await createOrg();
    const key = await createApiKey(org);
    await db()
      .update(organizations)
      .set({ deletedAt: new Date() })
      .where(eq(organizations.id, org.org.id));
    expect((await api(key.secret).get('/v1/whoami')).status).toBe(401);
  });

  it('records when a key was last used', async () => {
    const org = await createOrg();
    const key = await createApiKey(org);
    await api(key.secret).get('/v1/whoami');
    // waitUntil work settles before the next request in this runtime; poll briefly to be safe.
    let row = (await db().select().from(apiKeys).where(eq(apiKeys.id, key.row.id)))[0];
    for (let i = 0; i < 20 && !row?.lastUsedAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      row = (await db().select().from(apiKeys).where(eq(apiKeys.id, key.row.id)))[0];
    }
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });
});
