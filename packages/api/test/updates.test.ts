import { env, exports } from 'cloudflare:workers';
import { ErrorBody, UpdateCheckJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { applyDelta } from 'fossil-delta';
import { importSPKI } from 'jose';
import { describe, expect, it } from 'vitest';
import { releases, telemetryEvents } from '../src/db/schema';
import { forgetInIsolate } from '../src/delivery/cache';
import { CHECK_EVENT_BATCH, CHECK_EVENT_FLUSH_MS } from '../src/delivery/telemetry';
import { sha256Hex } from '../src/lib/crypto';
import { codePushPackageHash } from '../src/lib/package-hash';
import { cacheKeys } from '../src/services/cache';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import { createRelease, db } from './factories';
import { type PublishingWorld, publish, publishingWorld } from './publish';
import { api, request } from './request';

// The native update check, driven like a device: check, download, apply, verify.

const bundle = (text: string) => strToU8(`${'var module = {};\n'.repeat(2000)}${text}\n`);

function check(w: PublishingWorld, facts: Record<string, unknown> = {}, headers = {}) {
  return request<UpdateCheckJson>('POST', '/v1/updates/check', {
    json: {
      deploymentKey: w.channel.deploymentKey,
      platform: w.app.platform,
      appVersion: '1.0.0',
      deviceId: 'device-1',
      ...facts,
    },
    headers,
  });
}

async function answer(w: PublishingWorld, facts: Record<string, unknown> = {}) {
  const res = await check(w, facts);
  expect(res.status, res.text).toBe(200);
  return UpdateCheckJson.parse(res.body);
}

/** Downloads like a device: exact Content-Length, hash checked against the answer. */
async function download(url: string, expectedHash: string) {
  const res = await exports.default.fetch(new Request(url));
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
  expect(`sha256:${await sha256Hex(bytes)}`).toBe(expectedHash);
  return bytes;
}

/** Waits out the isolate's check-event batch interval, so the next check sends the batch. */
const flushWindow = () => new Promise((resolve) => setTimeout(resolve, CHECK_EVENT_FLUSH_MS + 50));

const rollbackPath = (w: PublishingWorld, releaseId: string) =>
  `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/releases/${releaseId}/rollback`;

describe('native update check', () => {
  it('offers a single-file release in full, then a fossil delta from it to the next', async () => {
    const w = await publishingWorld();
    const v1 = await publish(w, bundle('v1'), { type: 'application/javascript' });
    const first = await answer(w);
    if (first.action !== 'update') throw new Error(`expected an update, got ${first.action}`);
    expect(first.update).toMatchObject({ releaseId: v1, label: 'v1', mandatory: false });
    expect(first.update.download.kind).toBe('full');
    const v1Bytes = await download(first.update.download.url, first.update.download.hash);
    expect(v1Bytes).toEqual(bundle('v1'));

    const v2 = await publish(w, bundle('v2 fixed'), { type: 'application/javascript' });
    const next = await answer(w, { currentReleaseId: v1 });
    if (next.action !== 'update') throw new Error(`expected an update, got ${next.action}`);
    expect(next.update.releaseId).toBe(v2);
    expect(next.update.download.kind).toBe('fossil_delta');
    expect(next.update.download.size).toBeLessThan(200);
    const delta = await download(next.update.download.url, next.update.download.hash);
    const applied = new Uint8Array(applyDelta(v1Bytes, delta));
    expect(`sha256:${await sha256Hex(applied)}`).toBe(next.update.bundleHash);

    expect(await answer(w, { currentReleaseId: v2 })).toEqual({ action: 'none', runBinary: false });
    const byHash = await answer(w, { currentBundleHash: next.update.bundleHash });
    expect(byHash.action).toBe('none');
  });

  it('still offers the delta from the device release across a skipped mandatory one', async () => {
    const w = await publishingWorld();
    const v1 = await publish(w, bundle('v1'), { type: 'application/javascript' });
    await publish(w, bundle('v2'), { type: 'application/javascript', mandatory: true });
    await publish(w, bundle('v3'), { type: 'application/javascript' });
    const res = await answer(w, { currentReleaseId: v1 });
    expect(res).toMatchObject({ action: 'update', update: { label: 'v3', mandatory: true } });
    expect(res.action === 'update' && res.update.download.kind).toBe('fossil_delta');
  });

  it('offers a zip release as a file diff from the current package', async () => {
    const w = await publishingWorld();
    const v1Files = { 'main.jsbundle': bundle('v1'), 'assets/logo.png': new Uint8Array([1, 2]) };
    const v2Files = { 'main.jsbundle': bundle('v2'), 'assets/logo.png': new Uint8Array([1, 2]) };
    const v1 = await publish(w, zipSync(v1Files));
    await publish(w, zipSync(v2Files));
    const res = await answer(w, { currentReleaseId: v1 });
    if (res.action !== 'update') throw new Error(`expected an update, got ${res.action}`);
    expect(res.update.download.kind).toBe('file_diff');
    const diff = unzipSync(await download(res.update.download.url, res.update.download.hash));
    expect(Object.keys(diff).sort()).toEqual(['hotcodepush.json', 'main.jsbundle']);
    // Laid over v1 the way CodePush clients do, it has v2's folder hash.
    const merged = { ...v1Files, 'main.jsbundle': diff['main.jsbundle'] ?? new Uint8Array() };
    const entries = await Promise.all(
      Object.entries(merged).map(async ([path, bytes]) => ({
        path,
        sha256: await sha256Hex(bytes),
      })),
    );
    expect(await codePushPackageHash(entries)).toBe(res.update.packageHash);
  });

  it('moves devices back on rollback, and to the binary when nothing is left', async () => {
    const w = await publishingWorld();
    const v1 = await publish(w, bundle('v1'), { type: 'application/javascript' });
    const v2 = await publish(w, bundle('v2'), { type: 'application/javascript' });
    expect(await answer(w, { currentReleaseId: v2 })).toMatchObject({ action: 'none' });

    const as = api(w.key.secret);
    expect((await as.post(rollbackPath(w, v2), { reason: 'crash on launch' })).status).toBe(200);
    const back = await answer(w, { currentReleaseId: v2 });
    expect(back).toMatchObject({ action: 'rollback', update: { releaseId: v1, mandatory: true } });
    expect((await answer(w)).action).toBe('update'); // a fresh install gets v1

    expect((await as.post(rollbackPath(w, v1), { reason: 'also bad' })).status).toBe(200);
    expect(await answer(w, { currentReleaseId: v1 })).toEqual({ action: 'rollback', update: null });
    expect(await answer(w)).toEqual({ action: 'none', runBinary: true });
  });

  it('makes an update mandatory when a skipped release was, and honours version ranges', async () => {
    const w = await publishingWorld();
    const base = { appVersionRange: '^1.0.0', bundleUrl: `${w.app.id}/x/bundle` };
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await createRelease(w, { ...base, label: 'v1', createdAt: at(1) });
    await createRelease(w, { ...base, label: 'v2', isMandatory: true, createdAt: at(2) });
    await createRelease(w, { ...base, label: 'v3', createdAt: at(3) });
    await createRelease(w, { ...base, label: 'v4', appVersionRange: '^2.0.0', createdAt: at(4) });
    const onV1 = await db().select().from(releases).where(eq(releases.label, 'v1'));
    const v1 = onV1.find((r) => r.channelId === w.channel.id);

    expect(await answer(w, { currentReleaseId: v1?.id })).toMatchObject({
      action: 'update',
      update: { label: 'v3', mandatory: true },
    });
    expect(await answer(w, { appVersion: '2.1' })).toMatchObject({
      action: 'update',
      update: { label: 'v4', mandatory: false },
    });
    expect(await answer(w, { appVersion: '3.0.0' })).toEqual({ action: 'none', runBinary: true });
  });

  it('serves repeated checks from cache without reading D1, until a release change', async () => {
    const w = await publishingWorld();
    const v1 = await publish(w, bundle('v1'), { type: 'application/javascript' });
    // The first check maps the key to its channel; the next one (from a cold isolate) fills
    // the channel's KV entry under its stamp.
    const miss = await check(w);
    expect(Number(miss.headers.get('x-d1-rows-read'))).toBeGreaterThan(0);
    forgetInIsolate();
    expect((await answer(w)).action).toBe('update');
    const stamp = await env.CACHE.get(cacheKeys.channelVersion(w.channel.id));
    await eventually(() => env.CACHE.get(cacheKeys.releases(w.channel.id, stamp ?? '0')));

    // Behind the cache's back: a direct D1 edit bumps no stamp, so checks cannot see it.
    await db().update(releases).set({ status: 'paused' }).where(eq(releases.id, v1));
    expect((await answer(w)).action).toBe('update'); // this isolate's memory
    forgetInIsolate();
    const hit = await check(w); // KV, under the same stamp
    expect(UpdateCheckJson.parse(hit.body).action).toBe('update');
    expect(hit.headers.get('x-d1-rows-read')).toBe('0');

    // A change through the API bumps the stamp: the very next check reads D1 again.
    await db().update(releases).set({ status: 'active' }).where(eq(releases.id, v1));
    const res = await api(w.key.secret).post(rollbackPath(w, v1), { reason: 'bad' });
    expect(res.status, res.text).toBe(200);
    expect(await answer(w)).toEqual({ action: 'none', runBinary: true });
  });

  it('signs the exact body with the app key when the server holds one', async () => {
    const w = await publishingWorld();
    const as = api(w.key.secret);
    const signing = await as.post<{ keyId: string; publicKeyPem: string }>(
      `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/code-signing/generate`,
    );
    expect(signing.status, signing.text).toBe(201);
    await publish(w, bundle('v1'), { type: 'application/javascript' });
    const res = await check(w);
    const header = res.headers.get('skypatch-signature') ?? '';
    const [, sig, keyId] =
      header.match(/^sig="([^"]+)", keyid="([^"]+)", alg="rsa-v1_5-sha256"$/) ?? [];
    expect(keyId).toBe(signing.body.keyId);
    const key = await importSPKI(signing.body.publicKeyPem, 'RS256');
    const signature = Uint8Array.from(atob(sig ?? ''), (ch) => ch.charCodeAt(0));
    const ok = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, strToU8(res.text));
    expect(ok).toBe(true);
    const tampered = strToU8(res.text.replace('"update"', '"none"'));
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, tampered)).toBe(false);

    // Removing the key reaches the very next check: its view is re-read, unsigned.
    const removed = await as.delete(`/v1/orgs/${w.test.org.id}/apps/${w.app.id}/code-signing`);
    expect(removed.status, removed.text).toBe(204);
    expect((await check(w)).headers.get('skypatch-signature')).toBeNull();
  });

  it('stops answering for a deleted app at once', async () => {
    const w = await publishingWorld();
    await publish(w, bundle('v1'), { type: 'application/javascript' });
    expect((await check(w)).status).toBe(200);
    const deleted = await api(w.key.secret).delete(`/v1/orgs/${w.test.org.id}/apps/${w.app.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect((await check(w)).status).toBe(404);
  });

  it(
    'records checks as update_check events, batched through the telemetry queue',
    async () => {
      const w = await publishingWorld();
      await publish(w, bundle('v1'), { type: 'application/javascript' });
      await answer(w, { deviceId: 'telemetry-device', osVersion: '17.2' });
      await flushWindow();
      await answer(w, { deviceId: 'telemetry-device-2' });
      // Check events leave the isolate in batches, sent by the first check after their
      // batch's age passes the flush interval: this one sends the two above.
      await flushWindow();
      await answer(w, { deviceId: 'flush-trigger' });
      const rows = await eventually(async () => {
        const found = await db()
          .select()
          .from(telemetryEvents)
          .where(eq(telemetryEvents.appId, w.app.id));
        const mine = found.filter((row) => row.deviceId !== 'flush-trigger');
        return mine.length >= 2 ? mine : null;
      }, QUEUE_WAIT_MS); // the queue delivers batches every 5 s (wrangler.jsonc)
      const first = rows.find((row) => row.deviceId === 'telemetry-device');
      expect(first).toMatchObject({ appId: w.app.id, eventType: 'update_check' });
      expect(first?.metadata).toMatchObject({ action: 'update', osVersion: '17.2' });
      expect(rows.map((row) => row.deviceId).sort()).toEqual([
        'telemetry-device',
        'telemetry-device-2',
      ]);
    },
    QUEUE_TEST_MS,
  );

  it(
    'delivers every check event of a burst larger than a batch',
    async () => {
      const w = await publishingWorld();
      await publish(w, bundle('v1'), { type: 'application/javascript' });
      // Different addresses: the test's per app + address limit is far below a batch.
      for (let i = 0; i < CHECK_EVENT_BATCH; i++) {
        const res = await check(
          w,
          { deviceId: `batch-${i}` },
          { 'cf-connecting-ip': `10.0.${i}.1` },
        );
        expect(res.status).toBe(200);
      }
      await flushWindow();
      await check(w, { deviceId: 'flush-trigger' }, { 'cf-connecting-ip': '10.1.0.1' });
      const rows = await eventually(async () => {
        const found = await db()
          .select({ id: telemetryEvents.id, deviceId: telemetryEvents.deviceId })
          .from(telemetryEvents)
          .where(eq(telemetryEvents.appId, w.app.id));
        const burst = found.filter((row) => row.deviceId.startsWith('batch-'));
        return burst.length >= CHECK_EVENT_BATCH ? burst : null;
      }, QUEUE_WAIT_MS);
      expect(new Set(rows.map((row) => row.deviceId)).size).toBe(CHECK_EVENT_BATCH);
      expect(new Set(rows.map((row) => row.id)).size).toBe(CHECK_EVENT_BATCH);
    },
    QUEUE_TEST_MS,
  );

  it('limits checks per app and client address', async () => {
    const w = await publishingWorld();
    const from = (ip: string) => check(w, {}, { 'cf-connecting-ip': ip });
    for (let i = 0; i < Number(env.SDK_CHECKS_PER_MINUTE); i++) {
      expect((await from('198.51.100.7')).status).toBe(404 - 204); // 200: no release yet
    }
    const limited = await from('198.51.100.7');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('198.51.100.8')).status).toBe(200);
  });
});

describe('native update check: bad input', () => {
  it.each([
    ['an unknown deployment key', { deploymentKey: 'dk_unknown_key_123' }, 404],
    ['a malformed deployment key', { deploymentKey: 'bad key!' }, 400],
    ['an app version that is not a version', { appVersion: 'banana' }, 400],
    ['a huge field', { deviceId: 'x'.repeat(10_000) }, 400],
    ['an unknown field', { surprise: true }, 400],
    ['the wrong platform for the key', { platform: 'android' }, 400],
    ['a malformed bundle hash', { currentBundleHash: 'md5:abc' }, 400],
  ])('answers %s in the error shape', async (_name, facts, status) => {
    const w = await publishingWorld('ios');
    const res = await check(w, facts);
    expect(res.status, res.text).toBe(status);
    expect(ErrorBody.safeParse(res.body).success).toBe(true);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await request('POST', '/v1/updates/check', {
      raw: 'deploymentKey=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });

  it('never answers with another app release for a key', async () => {
    const mine = await publishingWorld();
    const other = await publishingWorld();
    await publish(other, bundle('other'), { type: 'application/javascript' });
    expect(await answer(mine)).toEqual({ action: 'none', runBinary: true });
  });
});
