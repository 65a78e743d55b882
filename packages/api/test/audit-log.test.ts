import {
  type AuditLogJson,
  AuditLogPageJson,
  CreatedApiKeyJson,
  CreatedInvitationJson,
  ErrorBody,
  OrgJson,
  SecretJson,
} from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type AuditLog, auditLogs } from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { encodeCursor } from '../src/lib/pagination';
import {
  createApiKey,
  createMember,
  createOrg,
  createSession,
  db,
  type TestOrg,
} from './factories';
import { request, type TestResponse } from './request';

// The audit trail: one row per mutation, who and from where, and the admin-only reader.

let counter = 0;
const uniqueIp = () => `192.0.2.${++counter % 250}`;
const uniqueAgent = () => `audit-test-agent/${++counter}`;

/** A caller with its own address and user agent, so each row can be traced to its request. */
function client(token: string, ip = uniqueIp(), userAgent = uniqueAgent()) {
  const headers = { 'cf-connecting-ip': ip, 'user-agent': userAgent };
  return {
    ip,
    userAgent,
    get: <T = unknown>(path: string) => request<T>('GET', path, { key: token, headers }),
    delete: <T = unknown>(path: string) => request<T>('DELETE', path, { key: token, headers }),
    post: <T = unknown>(path: string, json?: unknown) =>
      request<T>('POST', path, { key: token, headers, json }),
    patch: <T = unknown>(path: string, json?: unknown) =>
      request<T>('PATCH', path, { key: token, headers, json }),
  };
}
type Client = ReturnType<typeof client>;

async function rowsOf(orgId: string): Promise<AuditLog[]> {
  return db().select().from(auditLogs).where(eq(auditLogs.orgId, orgId));
}

/** Newest first, as the API orders: timestamp descending, ties by id descending. */
function newestFirst(rows: AuditLog[]): string[] {
  return [...rows]
    .sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime() || (a.id < b.id ? 1 : -1))
    .map((row) => row.id);
}

async function list(caller: Client, orgId: string, query = '') {
  const res = await caller.get(`/v1/orgs/${orgId}/audit-logs${query ? `?${query}` : ''}`);
  expect(res.status, res.text).toBe(200);
  return AuditLogPageJson.parse(res.body);
}

/** Every page of a listing, following nextCursor to the end. */
async function listAll(caller: Client, orgId: string, query: string, limit: number) {
  const items: AuditLogJson[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const page = await list(caller, orgId, params.toString());
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return items;
    expect(page.items).toHaveLength(limit);
  }
  throw new Error('listAll: too many pages');
}

async function ownerOf(org: TestOrg) {
  return client((await createSession(org.ownerId)).accessToken);
}

/** A handful of mutations through the API; returns the org-scoped rows they wrote. */
async function mutate(caller: Client, orgId: string, renames: number) {
  for (let i = 0; i < renames; i++) {
    const res = await caller.patch(`/v1/orgs/${orgId}`, { name: `Renamed ${++counter}` });
    expect(res.status, res.text).toBe(200);
  }
}

/** Runs one mutation and checks it wrote exactly one row in the org: the one returned. */
async function expectOneRow(orgId: string, mutation: () => Promise<unknown>): Promise<AuditLog> {
  const before = new Set((await rowsOf(orgId)).map((row) => row.id));
  await mutation();
  const added = (await rowsOf(orgId)).filter((row) => !before.has(row.id));
  expect(added, JSON.stringify(added)).toHaveLength(1);
  const [row] = added;
  if (!row) throw new Error('unreachable');
  return row;
}

describe('writing the audit trail', () => {
  it('records each mutation of a signed-in user once, with who, where and what', async () => {
    const org = await createOrg();
    const session = await createSession(org.ownerId);
    const owner = client(session.accessToken);
    const orgId = org.org.id;
    const expectActor = (row: AuditLog) => {
      expect(row.actorType).toBe('user');
      expect(row.userId).toBe(org.ownerId);
      expect(row.apiKeyId).toBeNull();
      expect(row.ipAddress).toBe(owner.ip);
      expect(row.userAgent).toBe(owner.userAgent);
    };

    const renamed = await expectOneRow(orgId, async () => {
      const res = await owner.patch(`/v1/orgs/${orgId}`, { name: 'Audited' });
      expect(res.status, res.text).toBe(200);
    });
    expect(renamed).toMatchObject({
      action: 'org.update',
      resourceType: 'organization',
      resourceId: orgId,
      newValues: { name: 'Audited' },
    });
    expectActor(renamed);

    let keyId = '';
    const keyCreated = await expectOneRow(orgId, async () => {
      const res = await owner.post(`/v1/orgs/${orgId}/api-keys`, { name: 'ci', role: 'admin' });
      expect(res.status, res.text).toBe(201);
      keyId = CreatedApiKeyJson.parse(res.body).id;
    });
    expect(keyCreated).toMatchObject({
      action: 'api_key.create',
      resourceType: 'api_key',
      resourceId: keyId,
    });
    expectActor(keyCreated);

    let secretId = '';
    const secretCreated = await expectOneRow(orgId, async () => {
      const res = await owner.post(`/v1/orgs/${orgId}/secrets`, {
        provider: 'apple',
        secretType: 'signing_key',
        displayName: 'Signing key',
        value: 'an audited secret value that is long enough',
      });
      expect(res.status, res.text).toBe(201);
      secretId = SecretJson.parse(res.body).id;
    });
    expect(secretCreated).toMatchObject({
      action: 'secret.create',
      resourceType: 'secret',
      resourceId: secretId,
    });
    expectActor(secretCreated);

    const secretDeleted = await expectOneRow(orgId, async () => {
      const res = await owner.delete(`/v1/orgs/${orgId}/secrets/${secretId}`);
      expect(res.status, res.text).toBe(204);
    });
    expect(secretDeleted).toMatchObject({ action: 'secret.delete', resourceId: secretId });
    expectActor(secretDeleted);

    let invitationId = '';
    const invited = await expectOneRow(orgId, async () => {
      const res = await owner.post(`/v1/orgs/${orgId}/invitations`, {
        email: `invitee${++counter}@example.test`,
        role: 'developer',
      });
      expect(res.status, res.text).toBe(201);
      invitationId = CreatedInvitationJson.parse(res.body).id;
    });
    expect(invited).toMatchObject({
      action: 'invitation.create',
      resourceType: 'invitation',
      resourceId: invitationId,
    });
    expectActor(invited);

    const revoked = await expectOneRow(orgId, async () => {
      const res = await owner.delete(`/v1/orgs/${orgId}/api-keys/${keyId}`);
      expect(res.status, res.text).toBe(200);
    });
    expect(revoked).toMatchObject({ action: 'api_key.revoke', resourceId: keyId });
    expectActor(revoked);

    // A refused or invalid mutation writes nothing.
    const before = (await rowsOf(orgId)).length;
    const invalid = await owner.patch(`/v1/orgs/${orgId}`, { name: '' });
    expect(invalid.status, invalid.text).toBe(400);
    const viewer = client((await createMember(org, 'viewer')).accessToken);
    const refused = await viewer.patch(`/v1/orgs/${orgId}`, { name: 'Nope' });
    expect(refused.status, refused.text).toBe(403);
    // Reading the log is not a mutation either.
    await list(owner, orgId);
    expect(await rowsOf(orgId)).toHaveLength(before);
  });

  it('records an org created through the API in the new org', async () => {
    const org = await createOrg();
    const owner = await ownerOf(org);
    const res = await owner.post('/v1/orgs', { name: `Created ${++counter}` });
    expect(res.status, res.text).toBe(201);
    const created = OrgJson.parse(res.body);
    const rows = await rowsOf(created.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'org.create',
      actorType: 'user',
      userId: org.ownerId,
      apiKeyId: null,
      resourceType: 'organization',
      resourceId: created.id,
      ipAddress: owner.ip,
      userAgent: owner.userAgent,
    });
  });

  it('names the API key (and the user behind it) for mutations made with a key', async () => {
    const org = await createOrg();
    const orgId = org.org.id;
    const key = await createApiKey(org, 'owner');
    const ci = client(key.secret);

    const renamed = await expectOneRow(orgId, async () => {
      const res = await ci.patch(`/v1/orgs/${orgId}`, { name: 'By key' });
      expect(res.status, res.text).toBe(200);
    });
    let invitationId = '';
    const invited = await expectOneRow(orgId, async () => {
      const res = await ci.post(`/v1/orgs/${orgId}/invitations`, {
        email: `invitee${++counter}@example.test`,
        role: 'viewer',
      });
      expect(res.status, res.text).toBe(201);
      invitationId = CreatedInvitationJson.parse(res.body).id;
    });
    expect(renamed.action).toBe('org.update');
    expect(invited).toMatchObject({ action: 'invitation.create', resourceId: invitationId });
    for (const row of [renamed, invited]) {
      expect(row).toMatchObject({
        actorType: 'api_key',
        apiKeyId: key.row.id,
        userId: org.ownerId,
        ipAddress: ci.ip,
        userAgent: ci.userAgent,
      });
    }

    const page = await list(ci, orgId, `actorId=${key.row.id}`);
    expect(page.items.map((item) => item.id).sort()).toEqual([renamed.id, invited.id].sort());
    for (const item of page.items) expect(item.actorType).toBe('api_key');
  });
});

describe('reading the audit trail', () => {
  it('lists newest first and pages through every row exactly once', async () => {
    const org = await createOrg();
    const owner = await ownerOf(org);
    await mutate(owner, org.org.id, 7);
    const expected = newestFirst(await rowsOf(org.org.id));
    expect(expected.length).toBeGreaterThan(3);

    const whole = await list(owner, org.org.id);
    expect(whole.items.map((item) => item.id)).toEqual(expected);
    expect(whole.nextCursor).toBeNull();
    const times = whole.items.map((item) => Date.parse(item.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    for (const limit of [1, 2, 3]) {
      const paged = (await listAll(owner, org.org.id, '', limit)).map((item) => item.id);
      expect(new Set(paged).size).toBe(paged.length);
      expect(paged).toEqual(expected);
    }
  });

  it('pages correctly through rows that share a timestamp', async () => {
    const org = await createOrg();
    const owner = await ownerOf(org);
    const at = new Date('2024-05-01T12:00:00.000Z');
    const ids = Array.from({ length: 5 }, () => newId('audit'));
    await db()
      .insert(auditLogs)
      .values(
        ids.map((id) => ({
          id,
          orgId: org.org.id,
          userId: org.ownerId,
          actorType: 'user' as const,
          action: 'org.update',
          resourceType: 'organization',
          resourceId: org.org.id,
          timestamp: at,
        })),
      );
    const paged = (await listAll(owner, org.org.id, '', 2)).map((item) => item.id);
    expect(paged).toEqual([...ids].sort().reverse());
  });

  it('filters by actor, action, resource and time', async () => {
    const org = await createOrg();
    const orgId = org.org.id;
    const owner = await ownerOf(org);
    const admin = await createMember(org, 'admin');
    const adminClient = client(admin.accessToken);
    await mutate(owner, orgId, 2);
    const keyRes = await adminClient.post<unknown>(`/v1/orgs/${orgId}/api-keys`, { name: 'k' });
    expect(keyRes.status, keyRes.text).toBe(201);
    const keyId = CreatedApiKeyJson.parse(keyRes.body).id;
    // Rows at known, well separated times, for since/until.
    const dated = [
      new Date('2021-01-01T00:00:00.000Z'),
      new Date('2022-01-01T00:00:00.000Z'),
      new Date('2023-01-01T00:00:00.000Z'),
    ].map((timestamp) => ({
      id: newId('audit'),
      orgId,
      userId: admin.userId,
      actorType: 'user' as const,
      action: 'member.role_change',
      resourceType: 'membership',
      resourceId: newId('membership'),
      timestamp,
    }));
    await db().insert(auditLogs).values(dated);
    const all = await rowsOf(orgId);
    const ids = (query: string) =>
      listAll(owner, orgId, query, 100).then((items) => items.map((item) => item.id));
    const expectedIds = (keep: (row: AuditLog) => boolean) => newestFirst(all.filter(keep));

    expect(await ids(`actorId=${admin.userId}`)).toEqual(
      expectedIds((row) => row.userId === admin.userId),
    );
    expect(await ids(`actorId=${org.ownerId}`)).toEqual(
      expectedIds((row) => row.userId === org.ownerId),
    );
    expect(await ids(`actorId=${org.ownerId}`)).toHaveLength(2);
    expect(await ids('action=org.update')).toEqual(
      expectedIds((row) => row.action === 'org.update'),
    );
    expect(await ids('action=api_key.create')).toEqual(
      expectedIds((row) => row.resourceId === keyId),
    );
    expect(await ids('resourceType=api_key')).toEqual(
      expectedIds((row) => row.resourceId === keyId),
    );
    expect(await ids(`resourceId=${keyId}`)).toHaveLength(1);
    const [first, second, third] = dated;
    if (!first || !second || !third) throw new Error('unreachable');
    expect(await ids(`resourceId=${second.resourceId}`)).toEqual([second.id]);
    expect(await ids(`resourceType=membership&resourceId=${third.resourceId}`)).toEqual([third.id]);
    expect(await ids('action=no.such_action')).toEqual([]);

    // since is inclusive, until exclusive.
    expect(await ids('since=2022-01-01T00:00:00.000Z&until=2023-01-01T00:00:00.000Z')).toEqual([
      second.id,
    ]);
    expect(await ids('until=2022-06-01T00:00:00Z')).toEqual([second.id, first.id]);
    expect(await ids('since=2021-06-01T00:00:00%2B00:00&action=member.role_change')).toEqual([
      third.id,
      second.id,
    ]);
    expect(await ids('since=2024-01-01T00:00:00Z')).toEqual(
      expectedIds((row) => row.timestamp >= new Date('2024-01-01T00:00:00Z')),
    );
    expect(await ids(`since=2024-01-01T00:00:00Z&actorId=${admin.userId}`)).toEqual(
      expectedIds((row) => row.resourceId === keyId),
    );
  });

  it('never shows rows of another org or account-level rows', async () => {
    const org = await createOrg();
    const other = await createOrg();
    const owner = await ownerOf(org);
    await mutate(owner, org.org.id, 2);
    await mutate(await ownerOf(other), other.org.id, 2);
    // An account-level event of the same user (sign-in) has no org.
    const accountRowId = newId('audit');
    await db().insert(auditLogs).values({
      id: accountRowId,
      orgId: null,
      userId: org.ownerId,
      actorType: 'user',
      action: 'user.sign_in',
      resourceType: 'user',
      resourceId: org.ownerId,
    });

    const mine = new Set((await rowsOf(org.org.id)).map((row) => row.id));
    const theirs = (await rowsOf(other.org.id)).map((row) => row.id);
    const listed = (await listAll(owner, org.org.id, '', 100)).map((item) => item.id);
    expect(new Set(listed)).toEqual(mine);
    for (const id of theirs) expect(listed).not.toContain(id);
    expect(listed).not.toContain(accountRowId);

    const byActor = await listAll(owner, org.org.id, `actorId=${org.ownerId}`, 100);
    expect(byActor.map((item) => item.id)).not.toContain(accountRowId);
    const byResource = await list(owner, org.org.id, `resourceId=${other.org.id}`);
    expect(byResource.items).toEqual([]);
  });

  it('is for admins and owners only; outsiders get 404', async () => {
    const org = await createOrg();
    const path = `/v1/orgs/${org.org.id}/audit-logs`;
    for (const role of ['viewer', 'developer'] as const) {
      const res = await client((await createMember(org, role)).accessToken).get(path);
      expect(res.status, res.text).toBe(403);
      expect(ErrorBody.parse(res.body).error.code).toBe('FORBIDDEN');
    }
    for (const role of ['admin', 'owner'] as const) {
      const res = await client((await createMember(org, role)).accessToken).get(path);
      expect(res.status, res.text).toBe(200);
    }
    const developerKey = await createApiKey(org, 'developer');
    expect((await client(developerKey.secret).get(path)).status).toBe(403);
    const readOnlyAdminKey = await createApiKey(org, 'admin', { scope: 'read_only' });
    expect((await client(readOnlyAdminKey.secret).get(path)).status).toBe(200);

    const other = await createOrg();
    const otherAdmin = client((await createMember(other, 'admin')).accessToken);
    const res = await otherAdmin.get(path);
    expect(res.status, res.text).toBe(404);
    const otherKey = await createApiKey(other, 'owner');
    expect((await client(otherKey.secret).get(path)).status).toBe(404);
    expect((await request('GET', path)).status).toBe(401);
  });

  it.each([
    ['a cursor that is not base64url', 'cursor=not%20a%20cursor!'],
    ['a cursor of the wrong shape', `cursor=${btoa('{"a":1}').replace(/=+$/, '')}`],
    ['a cursor with a date out of range', `cursor=${encodeCursor({ createdAt: 9e15, id: 'x' })}`],
    ['a cursor that is too long', `cursor=${'A'.repeat(201)}`],
    ['limit=0', 'limit=0'],
    ['limit=101', 'limit=101'],
    ['a limit that is not a number', 'limit=ten'],
    ['a since that is not a date', 'since=yesterday'],
    ['an empty action', 'action='],
  ])('answers 400 to %s', async (_, query) => {
    const org = await createOrg();
    const owner = await ownerOf(org);
    const res: TestResponse = await owner.get(`/v1/orgs/${org.org.id}/audit-logs?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(ErrorBody.parse(res.body).error.code).toBe('BAD_REQUEST');
  });
});
