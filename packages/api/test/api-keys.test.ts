import { ApiKeyJson, ApiKeyPageJson, CreatedApiKeyJson, ErrorBody } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, auditLogs } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { RATE_LIMITS } from '../src/services/rate-limit';
import { createApiKey, createApp, createMember, createOrg, createSession, db } from './factories';
import { api } from './request';

// API keys for CI and the CLI: created once, stored hashed, scoped, revocable at once.

async function adminOf() {
  const test = await createOrg();
  const token = (await createSession(test.ownerId)).accessToken;
  return { test, token, keys: `/v1/orgs/${test.org.id}/api-keys` };
}

describe('API keys', () => {
  it('shows the secret once, stores only its hash, and lists prefixes only', async () => {
    const { test, token, keys } = await adminOf();
    const res = await api(token).post<CreatedApiKeyJson>(keys, { name: 'deploy', role: 'admin' });
    expect(res.status, res.text).toBe(201);
    const created = CreatedApiKeyJson.parse(res.body);
    expect(created.secret).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(created.prefix).toBe(created.secret.slice(0, 12));

    const [row] = await db().select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).toBe(await sha256Hex(created.secret));
    expect(JSON.stringify(row)).not.toContain(created.secret);
    expect(row?.createdByUserId).toBe(test.ownerId);

    const list = await api(token).get<unknown>(keys);
    const page = ApiKeyPageJson.parse(list.body);
    expect(page.items.map((k) => k.id)).toContain(created.id);
    expect(list.text).not.toContain(created.secret);
    expect(list.text).not.toContain(row?.keyHash);

    const [audit] = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, created.id));
    expect(audit?.action).toBe('api_key.create');
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it('works as Bearer wherever a session does, and stops on the next request once revoked', async () => {
    const { test, token, keys } = await adminOf();
    const { secret, id } = CreatedApiKeyJson.parse(
      (await api(token).post(keys, { name: 'ci' })).body,
    );
    expect((await api(secret).get(`/v1/orgs/${test.org.id}`)).status).toBe(200);

    const revoked = await api(token).delete<ApiKeyJson>(`${keys}/${id}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(ApiKeyJson.parse(revoked.body).revokedAt).not.toBeNull();
    expect((await api(secret).get(`/v1/orgs/${test.org.id}`)).status).toBe(401);
    expect((await api(token).delete(`${keys}/${id}`)).status).toBe(404);
  });

  it('expires: an expired key is refused, a past expiry is a 400', async () => {
    const { test, token, keys } = await adminOf();
    const expired = await createApiKey(test, 'admin', { expiresAt: new Date(Date.now() - 1000) });
    expect((await api(expired.secret).get('/v1/whoami')).status).toBe(401);
    const past = await api(token).post(keys, { name: 'old', expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status, past.text).toBe(400);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await api(token).post<CreatedApiKeyJson>(keys, { name: 'soon', expiresAt: future });
    expect(ok.status, ok.text).toBe(201);
    expect(CreatedApiKeyJson.parse(ok.body).expiresAt).toBe(future);
  });

  it('never grants more than the creator holds', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const res = await api(admin.accessToken).post(`/v1/orgs/${test.org.id}/api-keys`, {
      name: 'escalate',
      role: 'owner',
    });
    expect(res.status, res.text).toBe(403);
    const mine = await db().select().from(apiKeys).where(eq(apiKeys.createdByUserId, admin.userId));
    expect(mine).toHaveLength(0);
  });

  it('narrows a key to one app of the org, and keeps it out of org-wide management', async () => {
    const { test, token, keys } = await adminOf();
    const { app } = await createApp(test);
    const other = await createApp(await createOrg());
    const foreign = await api(token).post(keys, { name: 'x', appId: other.app.id });
    expect(foreign.status, foreign.text).toBe(404);

    const res = await api(token).post<CreatedApiKeyJson>(keys, {
      name: 'app',
      role: 'admin',
      appId: app.id,
    });
    const scoped = CreatedApiKeyJson.parse(res.body);
    expect(scoped.appId).toBe(app.id);
    expect((await api(scoped.secret).get(`/v1/orgs/${test.org.id}`)).status).toBe(200);
    const manage = await api(scoped.secret).get(keys);
    expect(manage.status, manage.text).toBe(403);
    expect(ErrorBody.parse(manage.body).error.message).toMatch(/one app/);
  });

  it('a read-only key reads but never writes', async () => {
    const { test, keys } = await adminOf();
    const readOnly = await createApiKey(test, 'owner', { scope: 'read_only' });
    expect((await api(readOnly.secret).get(`/v1/orgs/${test.org.id}`)).status).toBe(200);
    const res = await api(readOnly.secret).post(keys, { name: 'nope' });
    expect(res.status, res.text).toBe(403);
    expect(
      (await api(readOnly.secret).patch(`/v1/orgs/${test.org.id}`, { name: 'x' })).status,
    ).toBe(403);
  });

  it.each([
    ['no name', {}],
    ['an unknown role', { name: 'k', role: 'root' }],
    ['an unknown scope', { name: 'k', scope: 'everything' }],
    ['a bad date', { name: 'k', expiresAt: 'tomorrow' }],
  ])('answers 400 to %s and writes nothing', async (_, body) => {
    const { test, token, keys } = await adminOf();
    const res = await api(token).post(keys, body);
    expect(res.status, res.text).toBe(400);
    expect(await db().select().from(apiKeys).where(eq(apiKeys.orgId, test.org.id))).toHaveLength(0);
  });

  it(`answers 429 with Retry-After after ${RATE_LIMITS.keyCreate.limit} keys an hour`, async () => {
    const { token, keys } = await adminOf();
    for (let i = 0; i < RATE_LIMITS.keyCreate.limit; i++) {
      expect((await api(token).post(keys, { name: `k${i}` })).status).toBe(201);
    }
    const limited = await api(token).post(keys, { name: 'one too many' });
    expect(limited.status, limited.text).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("cannot revoke another org's key", async () => {
    const { token, keys } = await adminOf();
    const theirs = await createApiKey(await createOrg(), 'owner');
    expect((await api(token).delete(`${keys}/${theirs.row.id}`)).status).toBe(404);
    expect((await api(theirs.secret).get('/v1/whoami')).status).toBe(200);
  });
});
