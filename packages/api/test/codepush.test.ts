import { exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { devices, releaseStats, releases, telemetryEvents } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { codePushPackageHash } from '../src/lib/package-hash';
import { codePushClient, type Generation, type RemotePackage, SERVER_URL } from './codepush-sdk';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import { createRelease, db } from './factories';
import { type PublishingWorld, publish, publishingWorld } from './publish';
import { api, request } from './request';

// CodePush compatibility, driven by the real acquisition SDKs (code-push 4.2.3 on the v0.1
// routes, 2.0.6 on the legacy ones), then by raw requests for the exact wire details.

const files = (text: string) => ({
  'CodePush/index.android.bundle': strToU8(`${'var m = {};\n'.repeat(500)}${text}\n`),
  'CodePush/assets/logo.png': new Uint8Array([1, 2, 3]),
});

async function hashOf(entries: Record<string, Uint8Array>) {
  const listed = await Promise.all(
    Object.entries(entries).map(async ([path, bytes]) => ({
      path,
      sha256: await sha256Hex(bytes),
    })),
  );
  return codePushPackageHash(listed);
}

/** Downloads a package as RNCP does: exact Content-Length, a zip by its magic bytes. */
async function fetchPackage(url: string, size: number) {
  const res = await exports.default.fetch(
    new Request(url, { headers: { 'accept-encoding': 'identity' } }),
  );
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
  expect(bytes.length).toBe(size);
  expect(res.headers.get('content-encoding')).toBeNull();
  expect([...bytes.slice(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
  return unzipSync(bytes);
}

const rollback = (w: PublishingWorld, releaseId: string) =>
  api(w.key.secret).post(
    `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/releases/${releaseId}/rollback`,
    { reason: 'crashes' },
  );

const label = async (releaseId: string) =>
  (await db().select().from(releases).where(eq(releases.id, releaseId)))[0]?.label;

describe.each<Generation>(['v0.1', 'legacy'])('the %s acquisition SDK', (generation) => {
  it('gets the release, then nothing once it runs it', async () => {
    const w = await publishingWorld('android');
    await publish(w, zipSync(files('v1')), { appVersion: '^1.0.0' });
    const sdk = codePushClient(generation, w.channel.deploymentKey);
    const update = (await sdk.check()) as RemotePackage;
    expect(update).toMatchObject({ label: 'v1', appVersion: '1.0.0', isMandatory: false });
    expect(update.packageHash).toBe(await hashOf(files('v1')));
    // What RNCP does next: download, unzip, recompute the folder hash.
    const unzipped = await fetchPackage(update.downloadUrl, update.packageSize);
    expect(await hashOf(unzipped)).toBe(update.packageHash);
    expect(await sdk.check({ label: 'v1', packageHash: update.packageHash })).toBeNull();
  });

  it('gets a diff from its package that rebuilds the new one hash for hash', async () => {
    const w = await publishingWorld('android');
    await publish(w, zipSync(files('v1')));
    await publish(w, zipSync(files('v2')));
    const sdk = codePushClient(generation, w.channel.deploymentKey);
    const v1Hash = await hashOf(files('v1'));
    const update = (await sdk.check({ label: 'v1', packageHash: v1Hash })) as RemotePackage;
    expect(update.label).toBe('v2');
    const diff = await fetchPackage(update.downloadUrl, update.packageSize);
    expect(JSON.parse(new TextDecoder().decode(diff['hotcodepush.json']))).toEqual({
      deletedFiles: [],
    });
    const { 'hotcodepush.json': _manifest, ...changed } = diff;
    expect(Object.keys(changed)).toEqual(['CodePush/index.android.bundle']);
    expect(await hashOf({ ...files('v1'), ...changed })).toBe(update.packageHash);
  });

  it('gets a mandatory update across a skipped mandatory release', async () => {
    const w = await publishingWorld('android');
    const v1 = await publish(w, zipSync(files('v1')));
    await publish(w, zipSync(files('v2')), { mandatory: true });
    await publish(w, zipSync(files('v3')));
    const sdk = codePushClient(generation, w.channel.deploymentKey);
    const update = (await sdk.check({
      label: await label(v1),
      packageHash: await hashOf(files('v1')),
    })) as RemotePackage;
    expect(update).toMatchObject({ label: 'v3', isMandatory: true });
  });

  it('is sent back to the previous release when its release is rolled back', async () => {
    const w = await publishingWorld('android');
    await publish(w, zipSync(files('v1')));
    const v2 = await publish(w, zipSync(files('v2')));
    expect((await rollback(w, v2)).status).toBe(200);
    const sdk = codePushClient(generation, w.channel.deploymentKey);
    const update = (await sdk.check({
      label: 'v2',
      packageHash: await hashOf(files('v2')),
    })) as RemotePackage;
    expect(update).toMatchObject({ label: 'v1', isMandatory: true });
    expect(update.packageHash).toBe(await hashOf(files('v1')));
  });

  it('hears of a newer binary when no release targets its own', async () => {
    const w = await publishingWorld('android');
    await publish(w, zipSync(files('v1')), { appVersion: '2.0.0' });
    const sdk = codePushClient(generation, w.channel.deploymentKey, '1.0.0');
    expect(await sdk.check()).toEqual({ updateAppVersion: true, appVersion: '2.0.0' });
  });

  it(
    'reports downloads and deployments, which reach the telemetry pipeline',
    async () => {
      const w = await publishingWorld('android');
      const v1 = await publish(w, zipSync(files('v1')));
      const sdk = codePushClient(generation, w.channel.deploymentKey);
      const pkg = { appVersion: '1.0.0', label: 'v1', packageHash: await hashOf(files('v1')) };
      await sdk.reportDownload(pkg);
      await sdk.reportDeploy(pkg, 'DeploymentSucceeded', '1.0.0');
      await sdk.reportDeploy(pkg, 'DeploymentFailed');
      await sdk.reportDeploy(null, null, '0.9.0'); // a binary's first launch
      const events = await eventually(async () => {
        const rows = await db()
          .select()
          .from(telemetryEvents)
          .where(eq(telemetryEvents.appId, w.app.id));
        return rows.length >= 4 ? rows : null;
      }, QUEUE_WAIT_MS); // the queue delivers batches every 5 s
      const seen = events.map((e) => `${e.eventType} ${e.releaseId === v1 ? 'v1' : e.releaseId}`);
      expect(seen.sort()).toEqual([
        'update_downloaded v1',
        'update_failed v1',
        'update_installed null',
        'update_installed v1',
      ]);
      expect(events.every((e) => e.deviceId === 'cid-1')).toBe(true);
      // Counted: release_stats for v1 (the same D1 batch as the raw rows) and the device.
      const stats = await eventually(async () => {
        const [row] = await db().select().from(releaseStats).where(eq(releaseStats.releaseId, v1));
        return (row?.totalFailures ?? 0) + (row?.totalInstalls ?? 0) >= 2 ? row : null;
      }, QUEUE_WAIT_MS);
      expect(stats).toMatchObject({
        totalDownloads: 1,
        totalInstalls: 1,
        totalFailures: 1,
        totalRollbacks: 0,
        totalCrashes: 0,
      });
      const [device] = await db().select().from(devices).where(eq(devices.appId, w.app.id));
      expect(device).toMatchObject({ id: 'cid-1', platform: 'android', crashCount: 0 });
    },
    QUEUE_TEST_MS,
  );

  it('surfaces an unknown deployment key as a 404 error', async () => {
    const sdk = codePushClient(generation, 'dk_does_not_exist_1');
    await expect(sdk.check()).rejects.toThrow(/404/);
  });
});

describe('CodePush wire details (codepush.md §1.2-1.7)', () => {
  const get = (path: string) => request('GET', path);

  it('answers v0.1 in snake_case and legacy in camelCase, keys in code-push-server order', async () => {
    const w = await publishingWorld('android');
    await createRelease(w, { label: 'v1', appVersionRange: '1.0.x', packageHash: 'h1' });
    const key = w.channel.deploymentKey;
    const v01 = await get(
      `/v0.1/public/codepush/update_check?deployment_key=${key}&app_version=1.0`,
    );
    expect(v01.status).toBe(200);
    expect(v01.headers.get('cache-control')).toBe('no-cache');
    const info = (v01.body as { update_info: Record<string, unknown> }).update_info;
    expect(Object.keys(info)).toEqual([
      'download_url',
      'description',
      'is_available',
      'is_mandatory',
      'app_version',
      'package_hash',
      'label',
      'package_size',
      'update_app_version',
      'should_run_binary_version',
      'target_binary_range',
    ]);
    // The client's own "1.0" comes back, or RNCP would discard the update (§1.3 Critical).
    expect(info).toMatchObject({ is_available: true, label: 'v1', target_binary_range: '1.0' });

    const legacy = await get(
      `/updateCheck?deploymentKey=${key}&appVersion=1.0.0&packageHash=&isCompanion=&label=&clientUniqueId=cid`,
    );
    const legacyInfo = (legacy.body as { updateInfo: Record<string, unknown> }).updateInfo;
    expect(Object.keys(legacyInfo)).toEqual([
      'downloadURL',
      'description',
      'isAvailable',
      'isMandatory',
      'appVersion',
      'packageHash',
      'label',
      'packageSize',
      'updateAppVersion',
      'shouldRunBinaryVersion',
      'target_binary_range',
    ]);
    expect(legacyInfo).toMatchObject({
      isAvailable: true,
      label: 'v1',
      target_binary_range: '1.0.0',
    });
  });

  it('answers a channel with no release with should_run_binary_version', async () => {
    const w = await publishingWorld('android');
    const res = await get(
      `/v0.1/public/codepush/update_check?deployment_key=${w.channel.deploymentKey}&app_version=1.0.0`,
    );
    expect(res.body).toEqual({
      update_info: {
        download_url: '',
        description: '',
        is_available: false,
        is_mandatory: false,
        app_version: '',
        package_hash: '',
        label: '',
        package_size: 0,
        update_app_version: false,
        should_run_binary_version: true,
        target_binary_range: '',
      },
    });
  });

  it.each([
    ['no key', 'app_version=1.0.0', /valid deployment key/],
    ['a short key', 'deployment_key=short&app_version=1.0.0', /valid deployment key/],
    ['a bad version', 'deployment_key=dk_0123456789&app_version=one', /conforms to the semver/],
    ['no version', 'deployment_key=dk_0123456789', /conforms to the semver/],
  ])('answers %s with a plain-text 400', async (_name, query, message) => {
    const res = await get(`/v0.1/public/codepush/update_check?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(message);
  });

  it('answers an unknown key with 404', async () => {
    const res = await get('/updateCheck?deploymentKey=dk_0123456789&appVersion=1.0.0');
    expect(res.status).toBe(404);
  });

  it.each([
    ['invalid JSON', '{nope', 400, /valid appVersion and deploymentKey/],
    ['no key', '{"app_version":"1.0.0"}', 400, /valid appVersion and deploymentKey/],
    [
      'a label without status',
      '{"app_version":"1.0.0","deployment_key":"dk_0123456789","label":"v1","client_unique_id":"c"}',
      400,
      /must contain a valid status/,
    ],
    [
      'an unknown status',
      '{"app_version":"1.0.0","deployment_key":"dk_0123456789","label":"v1","status":"Nope","client_unique_id":"c"}',
      400,
      /Invalid status: Nope/,
    ],
    [
      'an unknown key',
      '{"app_version":"1.0.0","deployment_key":"dk_0123456789","client_unique_id":"c"}',
      200,
      /^OK$/,
    ],
  ])('answers a deploy report with %s', async (_name, body, status, message) => {
    const res = await request('POST', '/v0.1/public/codepush/report_status/deploy', {
      raw: body,
      headers: { 'content-type': 'application/json', 'x-codepush-sdk-version': '4.2.3' },
    });
    expect(res.status).toBe(status);
    expect(res.text).toMatch(message);
  });

  it('asks old SDKs for a client id on deploy reports, and needs a label on downloads', async () => {
    const legacyDeploy = await request('POST', '/reportStatus/deploy', {
      json: { appVersion: '1.0.0', deploymentKey: 'dk_0123456789' },
      headers: { 'x-codepush-sdk-version': '^4.2.0' },
    });
    expect(legacyDeploy.status).toBe(400);
    expect(legacyDeploy.text).toMatch(/clientUniqueId/);
    const download = await request('POST', '/reportStatus/download', {
      json: { deploymentKey: 'dk_0123456789', clientUniqueId: 'c' },
    });
    expect(download.status).toBe(400);
    expect(download.text).toMatch(/package label/);
  });

  it('answers CORS preflights with 204', async () => {
    const res = await request('OPTIONS', '/v0.1/public/codepush/update_check');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-CodePush-SDK-Version/);
  });

  it('never serves another app a release through a wrong key', async () => {
    const mine = await publishingWorld('android');
    const other = await publishingWorld('android');
    await createRelease(other, { label: 'v1', appVersionRange: '*', packageHash: 'theirs' });
    const sdk = codePushClient('v0.1', mine.channel.deploymentKey);
    expect(await sdk.check()).toBeNull();
    expect(SERVER_URL).toMatch(/^https:/);
  });
});
