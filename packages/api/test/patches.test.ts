import { env } from 'cloudflare:workers';
import { PatchArtifactJson, PatchJson, PatchListJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { patches } from '../src/db/schema';
import { cacheKeys } from '../src/services/cache';
import { patchKey } from '../src/services/patches';
import { createApiKey, createApp, createOrg, db } from './factories';
import { api, request } from './request';

// Flutter patches on seed 001's table, as specs/shorebird.md §6-7 describe them.

const VERSION = '1.0.2+5';
const zstd = (payload: string) =>
  new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...new TextEncoder().encode(payload)]);
const HASH = 'c'.repeat(64);

async function world(settings: Record<string, unknown> = {}) {
  const test = await createOrg();
  const { app } = await createApp(test, { settings });
  const key = await createApiKey(test, 'owner');
  const base = `/v1/orgs/${test.org.id}/apps/${app.id}/patches`;
  return { test, app, key, base, as: api(key.secret) };
}
type World = Awaited<ReturnType<typeof world>>;

async function reserve(w: World, channel?: string) {
  const res = await w.as.post<PatchJson>(w.base, {
    releaseVersion: VERSION,
    ...(channel ? { channel } : {}),
  });
  expect(res.status, res.text).toBe(201);
  return PatchJson.parse(res.body).number;
}

function putArtifact(
  w: World,
  number: number,
  arch: string,
  body: Uint8Array,
  headers: Record<string, string> = { 'x-patch-hash': HASH },
) {
  return request<PatchArtifactJson>(
    'PUT',
    `${w.base}/${encodeURIComponent(VERSION)}/${number}/artifacts/android/${arch}`,
    {
      key: w.key.secret,
      raw: body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
    },
  );
}

async function rowsOf(w: World, number: number) {
  return db()
    .select()
    .from(patches)
    .where(
      and(
        eq(patches.appId, w.app.id),
        eq(patches.releaseVersion, VERSION),
        eq(patches.patchNumber, number),
      ),
    );
}

describe('Flutter patches', () => {
  it('numbers patches per release version, release-wide and never reused', async () => {
    const w = await world();
    expect(await reserve(w)).toBe(1);
    expect(await reserve(w, 'beta')).toBe(2);
    expect(await reserve(w)).toBe(3);
    const list = PatchListJson.parse(
      (await w.as.get(`${w.base}?releaseVersion=${encodeURIComponent(VERSION)}`)).body,
    );
    expect(list.items.map((p) => `${p.number}:${p.channel}`)).toEqual([
      '1:stable',
      '2:beta',
      '3:stable',
    ]);
  });

  it('stores one immutable artifact per arch, with seed 001 rows', async () => {
    const w = await world();
    const number = await reserve(w);
    const res = await putArtifact(w, number, 'aarch64', zstd('arm64 patch'));
    expect(res.status, res.text).toBe(201);
    expect(PatchArtifactJson.parse(res.body)).toMatchObject({
      platform: 'android',
      arch: 'aarch64',
      hash: HASH,
    });
    expect((await putArtifact(w, number, 'arm', zstd('arm patch'))).status).toBe(201);

    const rows = await rowsOf(w, number);
    expect(rows.map((r) => r.arch).sort()).toEqual(['aarch64', 'arm']);
    expect(rows.every((r) => r.active === 1)).toBe(true);
    const key = patchKey(w.app.id, VERSION, 'android', 'aarch64', number);
    expect(rows.find((r) => r.arch === 'aarch64')?.downloadUrl).toBe(key);
    expect(await (await env.BUNDLES.get(key))?.text()).toContain('arm64 patch');
    expect(await env.CACHE.get(cacheKeys.patchVersion(w.app.id))).not.toBeNull();

    const again = await putArtifact(w, number, 'aarch64', zstd('replacement'));
    expect(again.status, again.text).toBe(409);
    expect(await (await env.BUNDLES.get(key))?.text()).toContain('arm64 patch');
  });

  it.each([
    ['a body that is not zstd', zstd('x').slice(1), { 'x-patch-hash': HASH }, 400],
    ['a body under 4 bytes', new Uint8Array([0x28, 0xb5]), { 'x-patch-hash': HASH }, 400],
    ['no hash', zstd('x'), {}, 400],
    ['a hash that is not hex', zstd('x'), { 'x-patch-hash': 'z'.repeat(64) }, 400],
  ])('refuses %s and stores nothing', async (_, body, headers, status) => {
    const w = await world();
    const number = await reserve(w);
    const res = await putArtifact(w, number, 'x86_64', body, headers);
    expect(res.status, res.text).toBe(status);
    expect(await rowsOf(w, number)).toHaveLength(0);
    expect(
      await env.BUNDLES.head(patchKey(w.app.id, VERSION, 'android', 'x86_64', number)),
    ).toBeNull();
  });

  it('refuses an artifact for a number never reserved, and another content type', async () => {
    const w = await world();
    expect((await putArtifact(w, 7, 'aarch64', zstd('x'))).status).toBe(404);
    const number = await reserve(w);
    const json = await request(
      'PUT',
      `${w.base}/${encodeURIComponent(VERSION)}/${number}/artifacts/android/arm`,
      {
        key: w.key.secret,
        json: {},
      },
    );
    expect(json.status).toBe(415);
  });

  it('rolls a patch back on every arch, and forward again', async () => {
    const w = await world();
    const number = await reserve(w);
    await putArtifact(w, number, 'aarch64', zstd('a'));
    await putArtifact(w, number, 'arm', zstd('b'));
    const path = `${w.base}/${encodeURIComponent(VERSION)}/${number}`;
    expect((await w.as.post(`${path}/rollback`)).status).toBe(204);
    expect((await rowsOf(w, number)).map((r) => r.active)).toEqual([0, 0]);
    const list = PatchListJson.parse(
      (await w.as.get(`${w.base}?releaseVersion=${encodeURIComponent(VERSION)}`)).body,
    );
    expect(list.items[0]?.rolledBack).toBe(true);
    expect((await w.as.post(`${path}/roll-forward`)).status).toBe(204);
    expect((await rowsOf(w, number)).map((r) => r.active)).toEqual([1, 1]);
    expect((await w.as.post(`${w.base}/${encodeURIComponent(VERSION)}/99/rollback`)).status).toBe(
      404,
    );
  });

  it('moves a patch to another track', async () => {
    const w = await world();
    const number = await reserve(w);
    const res = await w.as.patch(`${w.base}/${encodeURIComponent(VERSION)}/${number}`, {
      channel: 'beta',
    });
    expect(res.status, res.text).toBe(200);
    expect(
      (
        await w.as.patch(`${w.base}/${encodeURIComponent(VERSION)}/${number}`, {
          channel: 'Not A Track',
        })
      ).status,
    ).toBe(400);
  });
});

describe('signed patches (shorebird.md §5.3)', () => {
  async function signed() {
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const codeSigning = {
      keyId: 'team',
      publicKeyPem: await exportSPKI(pair.publicKey),
      secretId: null,
      source: 'uploaded',
      createdAt: new Date().toISOString(),
    };
    const w = await world({ codeSigning });
    const sign = async (hash: string, key = pair.privateKey) =>
      btoa(
        String.fromCharCode(
          ...new Uint8Array(
            await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(hash)),
          ),
        ),
      );
    return { w, sign };
  }

  it('accepts a hash signed with the app key and refuses a missing or wrong one', async () => {
    const { w, sign } = await signed();
    const number = await reserve(w);
    expect((await putArtifact(w, number, 'arm', zstd('x'))).status).toBe(400);
    const other = await generateKeyPair('RS256', { modulusLength: 2048 });
    const wrong = await putArtifact(w, number, 'arm', zstd('x'), {
      'x-patch-hash': HASH,
      'x-hash-signature': await sign(HASH, other.privateKey),
    });
    expect(wrong.status, wrong.text).toBe(400);
    expect(await rowsOf(w, number)).toHaveLength(0);
    const ok = await putArtifact(w, number, 'arm', zstd('x'), {
      'x-patch-hash': HASH,
      'x-hash-signature': await sign(HASH),
    });
    expect(ok.status, ok.text).toBe(201);
    expect((await rowsOf(w, number))[0]?.hashSignature).toBe(await sign(HASH));
  });
});
