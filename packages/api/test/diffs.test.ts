import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { applyDelta } from 'fossil-delta';
import { describe, expect, it } from 'vitest';
import { releaseDiffs, releases } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { codePushPackageHash } from '../src/lib/package-hash';
import { db } from './factories';
import { type PublishingWorld, publish, publishingWorld } from './publish';

// Diffs built by the upload consumer, checked by applying them the way clients do.

const world = publishingWorld;

async function release(w: PublishingWorld, body: Uint8Array, type = 'application/zip') {
  return publish(w, body, { type });
}

async function diffsOf(releaseId: string) {
  return db().select().from(releaseDiffs).where(eq(releaseDiffs.releaseId, releaseId));
}

async function object(key: string) {
  const stored = await env.BUNDLES.get(key);
  if (!stored) throw new Error(`no object ${key}`);
  return new Uint8Array(await stored.arrayBuffer());
}

const bundleV1 = `${'var module = {};\n'.repeat(2000)}console.log("v1");\n`;
const bundleV2 = `${'var module = {};\n'.repeat(2000)}console.log("v2 fixed");\n`;

describe('diffs', () => {
  it('builds a CodePush diff zip that turns v1 into v2, file for file and hash for hash', async () => {
    const w = await world();
    const v1Files = {
      'CodePush/index.android.bundle': strToU8(bundleV1),
      'CodePush/assets/kept.png': new Uint8Array([1, 2, 3]),
      'CodePush/assets/removed.png': new Uint8Array([4, 5, 6]),
    };
    const v2Files = {
      'CodePush/index.android.bundle': strToU8(bundleV2),
      'CodePush/assets/kept.png': new Uint8Array([1, 2, 3]),
      'CodePush/assets/added.png': new Uint8Array([7, 8, 9]),
    };
    const v1 = await release(w, zipSync(v1Files));
    const v2 = await release(w, zipSync(v2Files));

    const diffs = await diffsOf(v2);
    expect(diffs.map((d) => d.kind).sort()).toEqual(['codepush_zip', 'fossil_delta']);
    const zipDiff = diffs.find((d) => d.kind === 'codepush_zip');
    const [v1Row] = await db().select().from(releases).where(eq(releases.id, v1));
    const [v2Row] = await db().select().from(releases).where(eq(releases.id, v2));
    expect(zipDiff).toMatchObject({ baseReleaseId: v1, baseHash: v1Row?.packageHash });

    // Apply it as RNCP does: copy the current package, delete deletedFiles, overlay the diff.
    const diff = unzipSync(await object(zipDiff?.objectKey ?? ''));
    const manifest = JSON.parse(new TextDecoder().decode(diff['hotcodepush.json'])) as {
      deletedFiles: string[];
    };
    expect(manifest.deletedFiles).toEqual(['CodePush/assets/removed.png']);
    expect(Object.keys(diff).sort()).toEqual([
      'CodePush/assets/added.png',
      'CodePush/index.android.bundle',
      'hotcodepush.json',
    ]);
    const applied: Record<string, Uint8Array> = { ...v1Files };
    for (const path of manifest.deletedFiles) delete applied[path];
    for (const [path, bytes] of Object.entries(diff))
      if (path !== 'hotcodepush.json') applied[path] = bytes;
    expect(applied).toEqual(v2Files);
    const entries = await Promise.all(
      Object.entries(applied).map(async ([path, bytes]) => ({
        path,
        sha256: await sha256Hex(bytes),
      })),
    );
    expect(await codePushPackageHash(entries)).toBe(v2Row?.packageHash);
    expect(zipDiff?.hash).toBe(await sha256Hex(await object(zipDiff?.objectKey ?? '')));
  });

  it('builds a fossil delta of the main bundle that reproduces it byte for byte', async () => {
    const w = await world();
    await release(w, zipSync({ 'CodePush/index.android.bundle': strToU8(bundleV1) }));
    const v2 = await release(w, zipSync({ 'CodePush/index.android.bundle': strToU8(bundleV2) }));
    const [delta] = (await diffsOf(v2)).filter((d) => d.kind === 'fossil_delta');
    const bytes = await object(delta?.objectKey ?? '');
    expect(bytes.length).toBeLessThan(bundleV2.length / 10);
    expect(delta?.baseHash).toBe(await sha256Hex(strToU8(bundleV1)));
    expect(new TextDecoder().decode(applyDelta(strToU8(bundleV1), bytes))).toBe(bundleV2);
  });

  it('diffs single-file bundles with a delta only, against at most five earlier releases', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(await release(w, strToU8(`${bundleV1}// build ${i}\n`), 'application/javascript'));
    }
    const last = await diffsOf(ids[6] ?? '');
    expect(last.map((d) => d.kind)).toEqual(Array(5).fill('fossil_delta'));
    expect(last.map((d) => d.baseReleaseId).sort()).toEqual(ids.slice(1, 6).sort());
    for (const d of last) {
      const [base] = await db().select().from(releases).where(eq(releases.id, d.baseReleaseId));
      const baseBytes = await object(base?.bundleUrl ?? '');
      expect(applyDelta(baseBytes, await object(d.objectKey))).toEqual(
        strToU8(`${bundleV1}// build 6\n`),
      );
    }
  });

  it('builds nothing for the first release, nor against other app versions', async () => {
    const w = await world();
    const first = await release(w, zipSync({ 'CodePush/index.android.bundle': strToU8(bundleV1) }));
    expect(await diffsOf(first)).toEqual([]);
    await db()
      .update(releases)
      .set({ appVersionRange: '2.0.0' })
      .where(and(eq(releases.id, first)));
    const second = await release(
      w,
      zipSync({ 'CodePush/index.android.bundle': strToU8(bundleV2) }),
    );
    expect(await diffsOf(second)).toEqual([]);
  });
});
