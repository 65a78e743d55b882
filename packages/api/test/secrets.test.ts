import { env } from 'cloudflare:workers';
import { ErrorBody, SecretJson, SecretPageJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLogs, userSecrets } from '../src/db/schema';
import { systemActor } from '../src/services/actor';
import { SecretService } from '../src/services/secrets';
import { createApiKey, createMember, createOrg, db, type TestOrg } from './factories';
import { api } from './request';

// Secrets at rest: AES-GCM in D1, previews in responses, plaintext only through reveal().

let counter = 0;
/** A 40-character value unique to the call: long enough for a first-4 + last-4 preview. */
const uniqueValue = () =>
  `SECRET${String(++counter).padStart(4, '0')}-${'x'.repeat(24)}-END${counter % 10}`;

function body(value: string, overrides: Record<string, unknown> = {}) {
  return {
    provider: 'apple',
    secretType: 'signing_key',
    displayName: `Key ${++counter}`,
    value,
    ...overrides,
  };
}

async function adminOf(org: TestOrg) {
  return api((await createMember(org, 'admin')).accessToken);
}

async function storedRow(secretId: string) {
  const [row] = await db().select().from(userSecrets).where(eq(userSecrets.id, secretId));
  return row;
}

async function rowsOf(orgId: string) {
  return db().select().from(userSecrets).where(eq(userSecrets.orgId, orgId));
}

async function store(client: ReturnType<typeof api>, orgId: string, value = uniqueValue()) {
  const res = await client.post<SecretJson>(`/v1/orgs/${orgId}/secrets`, body(value));
  expect(res.status, res.text).toBe(201);
  return { secret: SecretJson.parse(res.body), value, res };
}

describe('storing a secret', () => {
  it('answers 201 with a preview and never the value', async () => {
    const org = await createOrg();
    const admin = await createMember(org, 'admin');
    const value = uniqueValue();
    expect(value).toHaveLength(40);
    const { secret, res } = await store(api(admin.accessToken), org.org.id, value);

    expect(secret.keyPreview).toBe(`${value.slice(0, 4)}…${value.slice(-4)}`);
    expect(secret.createdByUserId).toBe(admin.userId);
    expect(secret.usageCount).toBe(0);
    expect(secret.lastUsed).toBeNull();
    expect(res.text).not.toContain(value);
    expect(res.text).not.toContain(value.slice(4, -4));
    expect(res.text).not.toContain('v1.');
    expect(Object.keys(res.body as object)).not.toContain('encryptedValue');
  });

  it('keeps only ciphertext in D1, with a fresh IV for every value', async () => {
    const org = await createOrg();
    const admin = await adminOf(org);
    const value = uniqueValue();
    const first = await store(admin, org.org.id, value);
    const second = await store(admin, org.org.id, value);

    const a = await storedRow(first.secret.id);
    const b = await storedRow(second.secret.id);
    expect(a?.encryptedValue.startsWith('v1.')).toBe(true);
    expect(b?.encryptedValue.startsWith('v1.')).toBe(true);
    expect(a?.encryptedValue).not.toContain(value);
    expect(a?.encryptedValue).not.toContain(value.slice(0, 12));
    expect(a?.encryptedValue).not.toBe(b?.encryptedValue);
    expect(a?.encryptedValue.split('.')[1]).not.toBe(b?.encryptedValue.split('.')[1]);
    expect(a?.orgId).toBe(org.org.id);
  });

  it('records secret.create in the audit log without the value', async () => {
    const org = await createOrg();
    const { secret, value } = await store(await adminOf(org), org.org.id);

    const rows = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, secret.id));
    expect(rows.map((row) => row.action)).toEqual(['secret.create']);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(value);
    expect(text).not.toContain(value.slice(4, -4));
    const stored = await storedRow(secret.id);
    expect(stored && text.includes(stored.encryptedValue)).toBe(false);
    expect(rows[0]?.oldValues).toBeNull();
    expect(rows[0]?.newValues).toMatchObject({ provider: 'apple', name: secret.displayName });
  });

  it.each([
    ['an empty value', { value: '' }],
    ['a 70k value', { value: 'v'.repeat(70_000) }],
    ['no displayName', { displayName: undefined }],
    ['a blank displayName', { displayName: '   ' }],
    ['a value of the wrong type', { value: 12345 }],
  ])('answers 400 to %s and writes nothing', async (_, overrides) => {
    const org = await createOrg();
    const admin = await adminOf(org);
    const res = await admin.post(`/v1/orgs/${org.org.id}/secrets`, body(uniqueValue(), overrides));
    expect(res.status, res.text).toBe(400);
    expect(ErrorBody.parse(res.body).error.code).toBe('BAD_REQUEST');
    expect(res.text).not.toContain('v'.repeat(100));
    expect(await rowsOf(org.org.id)).toEqual([]);
    const audit = await db().select().from(auditLogs).where(eq(auditLogs.orgId, org.org.id));
    expect(audit.filter((row) => row.action === 'secret.create')).toEqual([]);
  });
});

describe('revealing a secret (server side only)', () => {
  it('returns the plaintext and counts each use', async () => {
    const org = await createOrg();
    const { secret, value } = await store(await adminOf(org), org.org.id);
    const service = new SecretService(env);
    const actor = systemActor('test', org.org.id);

    expect(await service.reveal(actor, { orgId: org.org.id, secretId: secret.id })).toBe(value);
    let row = await storedRow(secret.id);
    expect(row?.usageCount).toBe(1);
    expect(row?.lastUsed).toBeInstanceOf(Date);

    expect(await service.reveal(actor, { orgId: org.org.id, secretId: secret.id })).toBe(value);
    row = await storedRow(secret.id);
    expect(row?.usageCount).toBe(2);
  });

  it('throws on a tampered ciphertext', async () => {
    const org = await createOrg();
    const { secret } = await store(await adminOf(org), org.org.id);
    const stored = await storedRow(secret.id);
    const [version, iv, sealed] = stored?.encryptedValue.split('.') ?? [];
    expect(version).toBe('v1');
    if (!iv || !sealed) throw new Error('unexpected ciphertext format');
    // Flip the first ciphertext character: GCM's tag no longer matches.
    const flipped = `${sealed[0] === 'A' ? 'B' : 'A'}${sealed.slice(1)}`;
    await db()
      .update(userSecrets)
      .set({ encryptedValue: `v1.${iv}.${flipped}` })
      .where(eq(userSecrets.id, secret.id));

    const service = new SecretService(env);
    const actor = systemActor('test', org.org.id);
    await expect(
      service.reveal(actor, { orgId: org.org.id, secretId: secret.id }),
    ).rejects.toThrow();
    expect((await storedRow(secret.id))?.usageCount).toBe(0);
  });

  it("does not reveal another org's secret", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const { secret } = await store(await adminOf(org), org.org.id);
    const service = new SecretService(env);
    await expect(
      service.reveal(systemActor('test', other.org.id), {
        orgId: other.org.id,
        secretId: secret.id,
      }),
    ).rejects.toThrow('Secret not found');
  });
});

describe('listing secrets', () => {
  it('shows previews only, to admins and developers', async () => {
    const org = await createOrg();
    const admin = await adminOf(org);
    const older = await store(admin, org.org.id);
    const newer = await store(admin, org.org.id);

    for (const role of ['admin', 'developer'] as const) {
      const client = api((await createMember(org, role)).accessToken);
      const res = await client.get(`/v1/orgs/${org.org.id}/secrets`);
      expect(res.status, res.text).toBe(200);
      const page = SecretPageJson.parse(res.body);
      expect(page.items.map((item) => item.id).sort()).toEqual(
        [newer.secret.id, older.secret.id].sort(),
      );
      for (const { secret } of [older, newer]) {
        const item = page.items.find((candidate) => candidate.id === secret.id);
        expect(item?.keyPreview).toBe(secret.keyPreview);
      }
      for (const { value } of [older, newer]) expect(res.text).not.toContain(value);
      expect(res.text).not.toContain('v1.');
      expect(res.text).not.toContain('encryptedValue');
    }
  });

  it('pages with a cursor', async () => {
    const org = await createOrg();
    const admin = await adminOf(org);
    for (let i = 0; i < 3; i++) await store(admin, org.org.id);
    // Newest first: created_at descending, ties broken by id descending.
    const ids = (await rowsOf(org.org.id))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);

    const first = await admin.get(`/v1/orgs/${org.org.id}/secrets?limit=2`);
    expect(first.status, first.text).toBe(200);
    const page1 = SecretPageJson.parse(first.body);
    expect(page1.nextCursor).not.toBeNull();
    const second = await admin.get(
      `/v1/orgs/${org.org.id}/secrets?limit=2&cursor=${page1.nextCursor}`,
    );
    const page2 = SecretPageJson.parse(second.body);
    expect(page2.nextCursor).toBeNull();
    expect([...page1.items, ...page2.items].map((item) => item.id)).toEqual(ids);
  });

  it('refuses viewers (403) and outsiders (404)', async () => {
    const org = await createOrg();
    const viewer = api((await createMember(org, 'viewer')).accessToken);
    expect((await viewer.get(`/v1/orgs/${org.org.id}/secrets`)).status).toBe(403);
    const outsider = await adminOf(await createOrg());
    const res = await outsider.get(`/v1/orgs/${org.org.id}/secrets`);
    expect(res.status, res.text).toBe(404);
  });
});

describe('who may store and delete', () => {
  it('refuses a developer with 403 and writes nothing', async () => {
    const org = await createOrg();
    const developer = api((await createMember(org, 'developer')).accessToken);
    const res = await developer.post(`/v1/orgs/${org.org.id}/secrets`, body(uniqueValue()));
    expect(res.status, res.text).toBe(403);
    expect(await rowsOf(org.org.id)).toEqual([]);
  });

  it('lets an admin API key store one, owned by the key creator', async () => {
    const org = await createOrg();
    const key = await createApiKey(org, 'admin');
    const { secret } = await store(api(key.secret), org.org.id);
    expect(secret.createdByUserId).toBe(org.ownerId);
    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.resourceId, secret.id), eq(auditLogs.action, 'secret.create')));
    expect(audit?.actorType).toBe('api_key');
    expect(audit?.apiKeyId).toBe(key.row.id);
  });

  it('deletes the row for good; a second delete is 404', async () => {
    const org = await createOrg();
    const admin = await adminOf(org);
    const { secret } = await store(admin, org.org.id);

    const developer = api((await createMember(org, 'developer')).accessToken);
    const refused = await developer.delete(`/v1/orgs/${org.org.id}/secrets/${secret.id}`);
    expect(refused.status, refused.text).toBe(403);
    expect(await storedRow(secret.id)).toBeDefined();

    const res = await admin.delete(`/v1/orgs/${org.org.id}/secrets/${secret.id}`);
    expect(res.status, res.text).toBe(204);
    expect(await storedRow(secret.id)).toBeUndefined();
    const again = await admin.delete(`/v1/orgs/${org.org.id}/secrets/${secret.id}`);
    expect(again.status, again.text).toBe(404);

    const audit = await db().select().from(auditLogs).where(eq(auditLogs.resourceId, secret.id));
    expect(audit.map((row) => row.action).sort()).toEqual(['secret.create', 'secret.delete']);
    const list = await admin.get(`/v1/orgs/${org.org.id}/secrets`);
    expect(SecretPageJson.parse(list.body).items).toEqual([]);
  });

  it("answers 404 for another org's secret and leaves it alone", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const { secret } = await store(await adminOf(other), other.org.id);
    const admin = await adminOf(org);

    const viaOwnOrg = await admin.delete(`/v1/orgs/${org.org.id}/secrets/${secret.id}`);
    expect(viaOwnOrg.status, viaOwnOrg.text).toBe(404);
    const viaTheirOrg = await admin.delete(`/v1/orgs/${other.org.id}/secrets/${secret.id}`);
    expect(viaTheirOrg.status, viaTheirOrg.text).toBe(404);
    expect(await storedRow(secret.id)).toBeDefined();
  });
});
