import {
  AcceptedInvitationJson,
  AuthJson,
  CreatedApiKeyJson,
  CreatedInvitationJson,
  ErrorBody,
  MemberPageJson,
  OrgJson,
  OrgListJson,
  WhoAmIJson,
} from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, auditLogs, memberships, organizations } from '../src/db/schema';
import {
  createApiKey,
  createMember,
  createOrg,
  createSession,
  db,
  type TestOrg,
} from './factories';
import { api, request } from './request';

// Organizations, members, invitations and ownership, through the real Worker.

let counter = 0;
const uniqueIp = () => `192.0.2.${++counter % 250}`;

async function ownerSession(): Promise<{ test: TestOrg; token: string }> {
  const test = await createOrg();
  return { test, token: (await createSession(test.ownerId)).accessToken };
}

async function roleOf(orgId: string, userId: string) {
  const [row] = await db()
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row?.role ?? null;
}

describe('the first-run story', () => {
  it('signs up, creates an org, creates an API key and uses it', async () => {
    const signUp = await request<AuthJson>('POST', '/v1/auth/sign-up', {
      json: { email: `founder-${Date.now()}@example.test`, password: 'a long enough password' },
      headers: { 'cf-connecting-ip': uniqueIp() },
    });
    expect(signUp.status, signUp.text).toBe(201);
    const session = AuthJson.parse(signUp.body).session;

    const org = await api(session.accessToken).post<OrgJson>('/v1/orgs', { name: 'Acme Mobile' });
    expect(org.status, org.text).toBe(201);
    const created = OrgJson.parse(org.body);
    expect(created).toMatchObject({ name: 'Acme Mobile', role: 'owner', plan: 'free' });
    expect(created.slug).toMatch(/^acme-mobile-/);

    const key = await api(session.accessToken).post<CreatedApiKeyJson>(
      `/v1/orgs/${created.id}/api-keys`,
      { name: 'CI', role: 'developer' },
    );
    expect(key.status, key.text).toBe(201);
    const { secret, prefix } = CreatedApiKeyJson.parse(key.body);
    expect(secret.startsWith(prefix)).toBe(true);

    const who = await api(secret).get<WhoAmIJson>('/v1/whoami');
    expect(who.status, who.text).toBe(200);
    expect(WhoAmIJson.parse(who.body)).toMatchObject({
      kind: 'api_key',
      orgId: created.id,
      role: 'developer',
    });
    const orgs = await api(secret).get<OrgListJson>('/v1/orgs');
    expect(OrgListJson.parse(orgs.body).items.map((o) => o.id)).toEqual([created.id]);
  });
});

describe('organizations', () => {
  it('lists only my organizations, with my role', async () => {
    const mine = await createOrg();
    const other = await createOrg();
    const token = (await createSession(mine.ownerId)).accessToken;
    const res = await api(token).get<OrgListJson>('/v1/orgs');
    const ids = OrgListJson.parse(res.body).items.map((o) => o.id);
    expect(ids).toContain(mine.org.id);
    expect(ids).not.toContain(other.org.id);
  });

  it("answers 404 for another org's id, with no hint that it exists", async () => {
    const { token } = await ownerSession();
    const other = await createOrg();
    const res = await api(token).get(`/v1/orgs/${other.org.id}`);
    expect(res.status, res.text).toBe(404);
    expect((await api(token).get('/v1/orgs/org_doesnotexist')).text).toBe(res.text);
  });

  it('renames, with an audit row holding before and after', async () => {
    const { test, token } = await ownerSession();
    const res = await api(token).patch<OrgJson>(`/v1/orgs/${test.org.id}`, { name: 'Renamed' });
    expect(res.status, res.text).toBe(200);
    expect(OrgJson.parse(res.body).name).toBe('Renamed');
    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.resourceId, test.org.id), eq(auditLogs.action, 'org.update')));
    expect(audit?.oldValues).toEqual({ name: test.org.name });
    expect(audit?.newValues).toEqual({ name: 'Renamed' });
  });

  it('soft-deletes: keys stop working, lists hide it, an owner restores it', async () => {
    const { test, token } = await ownerSession();
    const key = await createApiKey(test, 'admin');
    expect((await api(key.secret).get('/v1/whoami')).status).toBe(200);

    expect((await api(token).delete(`/v1/orgs/${test.org.id}`)).status).toBe(204);
    expect((await api(key.secret).get('/v1/whoami')).status).toBe(401);
    expect((await api(token).get(`/v1/orgs/${test.org.id}`)).status).toBe(404);
    const list = OrgListJson.parse((await api(token).get('/v1/orgs')).body);
    expect(list.items.map((o) => o.id)).not.toContain(test.org.id);

    const restored = await api(token).post<OrgJson>(`/v1/orgs/${test.org.id}/restore`);
    expect(restored.status, restored.text).toBe(200);
    expect(OrgJson.parse(restored.body).deletedAt).toBeNull();
    expect((await api(key.secret).get('/v1/whoami')).status).toBe(200);
  });

  it('refuses to restore after the grace period', async () => {
    const { test, token } = await ownerSession();
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    await db()
      .update(organizations)
      .set({ deletedAt: longAgo })
      .where(eq(organizations.id, test.org.id));
    const res = await api(token).post(`/v1/orgs/${test.org.id}/restore`);
    expect(res.status, res.text).toBe(404);
  });

  it.each([
    ['an empty name', { name: '' }],
    ['a huge name', { name: 'x'.repeat(101) }],
    ['a bad slug', { name: 'Fine', slug: 'Not A Slug' }],
  ])('answers 400 to %s and creates nothing', async (_, body) => {
    const { token, test } = await ownerSession();
    const res = await api(token).post('/v1/orgs', body);
    expect(res.status, res.text).toBe(400);
    const mine = await db().select().from(memberships).where(eq(memberships.userId, test.ownerId));
    expect(mine).toHaveLength(1);
  });

  it('refuses a taken slug with 409', async () => {
    const { token } = await ownerSession();
    const slug = `taken-${Date.now()}`;
    expect((await api(token).post('/v1/orgs', { name: 'One', slug })).status).toBe(201);
    expect((await api(token).post('/v1/orgs', { name: 'Two', slug })).status).toBe(409);
  });
});

describe('members and invitations', () => {
  it('invites with a one-time token that a signed-in user accepts', async () => {
    const { test, token } = await ownerSession();
    const invited = await api(token).post<CreatedInvitationJson>(
      `/v1/orgs/${test.org.id}/invitations`,
      {
        email: 'New.Dev@Example.test',
        role: 'developer',
      },
    );
    expect(invited.status, invited.text).toBe(201);
    const invitation = CreatedInvitationJson.parse(invited.body);
    expect(invitation.email).toBe('new.dev@example.test');

    const joiner = await createSession((await createOrg()).ownerId);
    const accepted = await api(joiner.accessToken).post<AcceptedInvitationJson>(
      '/v1/invitations/accept',
      {
        token: invitation.token,
      },
    );
    expect(accepted.status, accepted.text).toBe(200);
    expect(AcceptedInvitationJson.parse(accepted.body)).toEqual({
      orgId: test.org.id,
      role: 'developer',
    });
    expect(await roleOf(test.org.id, joiner.userId)).toBe('developer');

    // One use only.
    const other = await createSession((await createOrg()).ownerId);
    const again = await api(other.accessToken).post('/v1/invitations/accept', {
      token: invitation.token,
    });
    expect(again.status, again.text).toBe(404);
    expect(await roleOf(test.org.id, other.userId)).toBeNull();
  });

  it('does not let an admin invite an owner, nor accept a revoked invitation', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const owner = await api(admin.accessToken).post(`/v1/orgs/${test.org.id}/invitations`, {
      email: 'boss@example.test',
      role: 'owner',
    });
    expect(owner.status, owner.text).toBe(403);

    const created = CreatedInvitationJson.parse(
      (
        await api(admin.accessToken).post(`/v1/orgs/${test.org.id}/invitations`, {
          email: 'v@example.test',
          role: 'viewer',
        })
      ).body,
    );
    expect(
      (await api(admin.accessToken).delete(`/v1/orgs/${test.org.id}/invitations/${created.id}`))
        .status,
    ).toBe(204);
    const joiner = await createSession((await createOrg()).ownerId);
    const res = await api(joiner.accessToken).post('/v1/invitations/accept', {
      token: created.token,
    });
    expect(res.status, res.text).toBe(404);
  });

  it('lists members with cursor pagination', async () => {
    const test = await createOrg();
    for (const role of ['viewer', 'developer', 'admin'] as const) await createMember(test, role);
    const token = (await createSession(test.ownerId)).accessToken;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const res = await api(token).get<unknown>(`/v1/orgs/${test.org.id}/members?limit=2${query}`);
      expect(res.status, res.text).toBe(200);
      const page = MemberPageJson.parse(res.body);
      seen.push(...page.items.map((m) => m.userId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it('lets admins change roles below owner, and only owners touch the owner role', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const dev = await createMember(test, 'developer');
    const path = `/v1/orgs/${test.org.id}/members`;

    expect(
      (await api(admin.accessToken).patch(`${path}/${dev.userId}`, { role: 'viewer' })).status,
    ).toBe(200);
    expect(await roleOf(test.org.id, dev.userId)).toBe('viewer');
    expect(
      (await api(admin.accessToken).patch(`${path}/${dev.userId}`, { role: 'owner' })).status,
    ).toBe(403);
    expect(
      (await api(admin.accessToken).patch(`${path}/${test.ownerId}`, { role: 'viewer' })).status,
    ).toBe(403);
    expect((await api(admin.accessToken).delete(`${path}/${test.ownerId}`)).status).toBe(403);
    expect(await roleOf(test.org.id, test.ownerId)).toBe('owner');
    expect(
      (await api(admin.accessToken).patch(`${path}/${dev.userId}`, { role: 'boss' })).status,
    ).toBe(400);
  });

  it('never leaves an org without an owner', async () => {
    const test = await createOrg();
    const token = (await createSession(test.ownerId)).accessToken;
    const path = `/v1/orgs/${test.org.id}`;
    const demote = await api(token).patch(`${path}/members/${test.ownerId}`, { role: 'admin' });
    expect(demote.status, demote.text).toBe(409);
    expect((await api(token).post(`${path}/leave`)).status).toBe(409);
    expect(await roleOf(test.org.id, test.ownerId)).toBe('owner');
    // The refused changes left no audit row behind.
    const audit = await db().select().from(auditLogs).where(eq(auditLogs.orgId, test.org.id));
    expect(audit.map((a) => a.action)).toEqual([]);
  });

  it('removing a member revokes the keys they created', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const created = CreatedApiKeyJson.parse(
      (await api(admin.accessToken).post(`/v1/orgs/${test.org.id}/api-keys`, { name: 'theirs' }))
        .body,
    );
    const owner = (await createSession(test.ownerId)).accessToken;
    const res = await api(owner).delete(`/v1/orgs/${test.org.id}/members/${admin.userId}`);
    expect(res.status, res.text).toBe(204);
    expect(await roleOf(test.org.id, admin.userId)).toBeNull();
    expect((await api(created.secret).get('/v1/whoami')).status).toBe(401);
    expect((await api(admin.accessToken).get(`/v1/orgs/${test.org.id}`)).status).toBe(404);
  });

  it('a member can leave', async () => {
    const test = await createOrg();
    const viewer = await createMember(test, 'viewer');
    expect((await api(viewer.accessToken).post(`/v1/orgs/${test.org.id}/leave`)).status).toBe(204);
    expect(await roleOf(test.org.id, viewer.userId)).toBeNull();
  });
});

describe('ownership transfer', () => {
  it('promotes the new owner and demotes the old one in one batch', async () => {
    const test = await createOrg();
    const dev = await createMember(test, 'developer');
    const ownerKey = await createApiKey(test, 'owner');
    const token = (await createSession(test.ownerId)).accessToken;
    const res = await api(token).post(`/v1/orgs/${test.org.id}/transfer`, { userId: dev.userId });
    expect(res.status, res.text).toBe(204);
    expect(await roleOf(test.org.id, dev.userId)).toBe('owner');
    expect(await roleOf(test.org.id, test.ownerId)).toBe('admin');
    // The old owner's owner-level keys are capped to admin.
    const [key] = await db().select().from(apiKeys).where(eq(apiKeys.id, ownerKey.row.id));
    expect(key?.role).toBe('admin');
    const audit = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.orgId, test.org.id), eq(auditLogs.action, 'org.transfer')));
    expect(audit).toHaveLength(1);
    // And the old owner can no longer do owner things.
    expect((await api(token).delete(`/v1/orgs/${test.org.id}`)).status).toBe(403);
  });

  it('refuses a non-member, an admin caller and an API key', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const stranger = await createOrg();
    const token = (await createSession(test.ownerId)).accessToken;
    const path = `/v1/orgs/${test.org.id}/transfer`;
    expect((await api(token).post(path, { userId: stranger.ownerId })).status).toBe(404);
    expect((await api(admin.accessToken).post(path, { userId: admin.userId })).status).toBe(403);
    const key = await createApiKey(test, 'owner');
    const res = await api(key.secret).post(path, { userId: admin.userId });
    expect(res.status, res.text).toBe(403);
    expect(ErrorBody.parse(res.body).error.message).toMatch(/signed-in user/);
    expect(await roleOf(test.org.id, test.ownerId)).toBe('owner');
  });

  it('demoting a member caps the keys they created and revokes their higher invitations', async () => {
    const test = await createOrg();
    const admin = await createMember(test, 'admin');
    const path = `/v1/orgs/${test.org.id}`;
    const key = CreatedApiKeyJson.parse(
      (await api(admin.accessToken).post(`${path}/api-keys`, { name: 'ci', role: 'admin' })).body,
    );
    const invite = CreatedInvitationJson.parse(
      (
        await api(admin.accessToken).post(`${path}/invitations`, {
          email: 'a@example.test',
          role: 'admin',
        })
      ).body,
    );
    const owner = (await createSession(test.ownerId)).accessToken;
    expect(
      (await api(owner).patch(`${path}/members/${admin.userId}`, { role: 'developer' })).status,
    ).toBe(200);
    const [row] = await db().select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.role).toBe('developer');
    const joiner = await createSession((await createOrg()).ownerId);
    const accepted = await api(joiner.accessToken).post('/v1/invitations/accept', {
      token: invite.token,
    });
    expect(accepted.status, accepted.text).toBe(404);
  });

  it('does not count an owner whose account is deleted', async () => {
    const test = await createOrg();
    const second = await createMember(test, 'owner');
    expect((await api(second.accessToken).delete('/v1/me')).status).toBe(204);
    const token = (await createSession(test.ownerId)).accessToken;
    const res = await api(token).post(`/v1/orgs/${test.org.id}/leave`);
    expect(res.status, res.text).toBe(409);
    expect(await roleOf(test.org.id, test.ownerId)).toBe('owner');
  });
});
