import { env } from 'cloudflare:workers';
import { CodeSigningJson, UploadJobJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { apps, userSecrets } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { codePushPackageHash } from '../src/lib/package-hash';
import { CodeSigningService } from '../src/services/code-signing';
import { createApiKey, createApp, createMember, createOrg, db } from './factories';
import { api, request } from './request';
import { settledUpload } from './uploads-settle';

// Per-app code signing: keys the server generates or is given, and signed CodePush uploads.

async function world() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  const path = `/v1/orgs/${test.org.id}/apps/${app.id}/code-signing`;
  return { test, app, channel, key, path, as: api(key.secret) };
}
type World = Awaited<ReturnType<typeof world>>;

/** A CodePush package, signed as `code-push release-react --privateKeyPath` signs it. */
async function signedPackage(text: string, privateKey: CryptoKey | null, contentHash?: string) {
  const files = { 'CodePush/index.android.bundle': strToU8(text) };
  const hash =
    contentHash ??
    (await codePushPackageHash(
      await Promise.all(
        Object.entries(files).map(async ([path, bytes]) => ({
          path,
          sha256: await sha256Hex(bytes),
        })),
      ),
    ));
  if (!privateKey) return zipSync(files);
  const jwt = await new SignJWT({ claimVersion: '1.0.0', contentHash: hash })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuedAt()
    .sign(privateKey);
  return zipSync({ ...files, 'CodePush/.codepushrelease': strToU8(jwt) });
}

async function uploadAndSettle(w: World, body: Uint8Array): Promise<UploadJobJson> {
  const res = await request<UploadJobJson>(
    'POST',
    `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/channels/${w.channel.id}/uploads?appVersion=1.0.0`,
    { key: w.key.secret, raw: body, headers: { 'content-type': 'application/zip' } },
  );
  expect(res.status, res.text).toBe(202);
  return settledUpload(w.key.secret, w.test.org.id, UploadJobJson.parse(res.body).id);
}

describe('code-signing keys', () => {
  it('generates a key pair, keeps the private half encrypted, and signs with it', async () => {
    const w = await world();
    const res = await w.as.post<CodeSigningJson>(`${w.path}/generate`);
    expect(res.status, res.text).toBe(201);
    const signing = CodeSigningJson.parse(res.body);
    expect(signing).toMatchObject({ source: 'generated', holdsPrivateKey: true });
    expect(signing.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(res.text).not.toContain('PRIVATE KEY');

    const secrets = await db()
      .select()
      .from(userSecrets)
      .where(eq(userSecrets.orgId, w.test.org.id));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.encryptedValue).toMatch(/^v1\./);
    expect(secrets[0]?.encryptedValue).not.toContain('PRIVATE KEY');

    const [app] = await db().select().from(apps).where(eq(apps.id, w.app.id));
    if (!app) throw new Error('no app');
    const privateKey = await new CodeSigningService(env).privateKeyFor(app);
    if (!privateKey) throw new Error('no private key');
    const data = strToU8('manifest');
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, data);
    const publicKey = await importSPKI(signing.publicKeyPem, 'RS256');
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey, signature, data)).toBe(true);

    const fetched = CodeSigningJson.parse((await w.as.get(w.path)).body);
    expect(fetched.keyId).toBe(signing.keyId);
    // The app's settings keep the key to themselves.
    expect((await w.as.get(`/v1/orgs/${w.test.org.id}/apps/${w.app.id}`)).text).not.toContain(
      'PUBLIC KEY',
    );
  });

  it('a generated key does not demand signed uploads (only the server could sign)', async () => {
    const w = await world();
    await w.as.post(`${w.path}/generate`);
    expect((await uploadAndSettle(w, await signedPackage('server-held key', null))).status).toBe(
      'complete',
    );
  });

  it('replacing a key deletes the old private key; deleting removes both', async () => {
    const w = await world();
    await w.as.post(`${w.path}/generate`);
    await w.as.post(`${w.path}/generate`);
    expect(
      await db().select().from(userSecrets).where(eq(userSecrets.orgId, w.test.org.id)),
    ).toHaveLength(1);
    expect((await w.as.delete(w.path)).status).toBe(204);
    expect(
      await db().select().from(userSecrets).where(eq(userSecrets.orgId, w.test.org.id)),
    ).toHaveLength(0);
    expect((await w.as.get(w.path)).status).toBe(404);
  });

  it('refuses keys that are not PEM, and callers below admin', async () => {
    const w = await world();
    const bad = await w.as.put(w.path, { publicKeyPem: 'x'.repeat(200) });
    expect(bad.status, bad.text).toBe(400);
    const dev = await createMember(w.test, 'developer');
    expect((await api(dev.accessToken).post(`${w.path}/generate`)).status).toBe(403);
    expect((await w.as.get(w.path)).status).toBe(404);
  });
});

describe('signed uploads (codepush.md §3)', () => {
  async function withTeamKey() {
    const w = await world();
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const res = await w.as.put<CodeSigningJson>(w.path, {
      publicKeyPem: await exportSPKI(pair.publicKey),
    });
    expect(res.status, res.text).toBe(200);
    expect(CodeSigningJson.parse(res.body)).toMatchObject({
      source: 'uploaded',
      holdsPrivateKey: false,
    });
    return { ...w, privateKey: pair.privateKey };
  }

  it('accepts a package signed with the matching key', async () => {
    const w = await withTeamKey();
    const job = await uploadAndSettle(w, await signedPackage('signed', w.privateKey));
    expect(job.status, job.error ?? '').toBe('complete');
  });

  it('refuses an unsigned package, another key, and a signature over other contents', async () => {
    const w = await withTeamKey();
    const unsigned = await uploadAndSettle(w, await signedPackage('unsigned', null));
    expect(unsigned.error).toMatch(/requires signed releases/);
    const other = await generateKeyPair('RS256', { modulusLength: 2048 });
    const wrongKey = await uploadAndSettle(w, await signedPackage('other key', other.privateKey));
    expect(wrongKey.error).toMatch(/does not verify/);
    const wrongHash = await uploadAndSettle(
      w,
      await signedPackage('other hash', w.privateKey, 'f'.repeat(64)),
    );
    expect(wrongHash.error).toMatch(/other contents/);
  });

  it('stops requiring signatures once the key is deleted', async () => {
    const w = await withTeamKey();
    await w.as.delete(w.path);
    expect((await uploadAndSettle(w, await signedPackage('free again', null))).status).toBe(
      'complete',
    );
  });

  it('takes a private key too, stored encrypted', async () => {
    const w = await world();
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const res = await w.as.put<CodeSigningJson>(w.path, {
      publicKeyPem: await exportSPKI(pair.publicKey),
      privateKeyPem: await exportPKCS8(pair.privateKey),
    });
    expect(CodeSigningJson.parse(res.body).holdsPrivateKey).toBe(true);
  });
});
