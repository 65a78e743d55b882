import { strToU8, zipSync } from 'fflate';
import { createDelta } from 'fossil-delta';
import type { NewReleaseDiff, Release } from '../db/schema';
import { toHex } from '../lib/encoding';
import { newId } from '../lib/ids';
import { mainBundlePath, readZipFiles } from '../lib/package-files';
import { isIgnoredEntry, isSignatureEntry } from '../lib/package-hash';
import { type InspectedPackage, inspectPackage } from '../lib/package-inspect';
import { sameAppVersions } from './release-rules';

/** Diffs are built against at most this many earlier releases (CodePush's DIFF_PACKAGE_COUNT). */
export const MAX_DIFF_BASES = 5;
/**
 * Diffs read whole packages into memory (the isolate has 128 MB): above this size on either side
 * the package is served whole.
 */
export const MAX_DIFF_PACKAGE_BYTES = 20 * 1024 * 1024;
/** fossil-delta holds both bundles in memory; larger bundles are served whole. */
export const MAX_DELTA_BUNDLE_BYTES = 20 * 1024 * 1024;

export const diffKey = (
  appId: string,
  releaseId: string,
  baseReleaseId: string,
  kind: 'codepush_zip' | 'fossil_delta',
) =>
  `${appId}/${releaseId}/diffs/${baseReleaseId}.${kind === 'codepush_zip' ? 'codepush.zip' : 'fossil'}`;

export interface NewPackage {
  appId: string;
  releaseId: string;
  appVersion: string;
  objectKey: string;
  inspected: InspectedPackage;
}

/**
 * The earlier releases a new one gets diffs from (codepush.md §2.7): newest first, for the same
 * app versions, with different contents.
 */
export function diffBases(recent: readonly Release[], next: NewPackage): Release[] {
  if (next.inspected.size > MAX_DIFF_PACKAGE_BYTES) return [];
  return recent
    .filter(
      (release) =>
        release.id !== next.releaseId &&
        release.bundleSize <= MAX_DIFF_PACKAGE_BYTES &&
        sameAppVersions(release.appVersionRange, next.appVersion) &&
        release.packageHash !== next.inspected.packageHash,
    )
    .slice(0, MAX_DIFF_BASES);
}

const hex = async (bytes: Uint8Array) =>
  toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));

/**
 * Builds and stores the diffs from each base to the new package, returning their rows for the
 * release's D1 batch:
 * - `codepush_zip`: CodePush's file-level diff, the changed and new files plus
 *   `hotcodepush.json` listing deleted ones; clients apply it natively (zip packages only);
 * - `fossil_delta`: a binary delta of the main JS bundle, for the native protocol.
 */
export async function buildDiffs(
  bucket: R2Bucket,
  next: NewPackage,
  bases: readonly Release[],
): Promise<NewReleaseDiff[]> {
  const rows: NewReleaseDiff[] = [];
  const nextBundlePath =
    next.inspected.kind === 'zip' ? mainBundlePath(next.inspected.entries) : null;
  let nextBundle: Uint8Array | null = null;
  for (const base of bases) {
    const baseObject = await bucket.get(base.bundleUrl);
    if (!baseObject) continue; // a purged or missing base: devices on it get the full package
    const baseBytes = new Uint8Array(await baseObject.arrayBuffer());
    const baseInspected = await inspectPackage(streamOf(baseBytes));

    if (next.inspected.kind === 'zip' && baseInspected.kind === 'zip') {
      const zip = await codePushDiff(bucket, next, baseInspected);
      rows.push(
        await store(
          bucket,
          next,
          base,
          'codepush_zip',
          zip,
          base.packageHash ?? baseInspected.packageHash,
        ),
      );
    }

    const basePath = baseInspected.kind === 'zip' ? mainBundlePath(baseInspected.entries) : null;
    const baseBundle =
      baseInspected.kind === 'file'
        ? baseBytes
        : basePath
          ? (await readZipFiles(streamOf(baseBytes), (p) => p === basePath)).get(basePath)
          : undefined;
    nextBundle ??= await readMainBundle(bucket, next, nextBundlePath);
    if (
      baseBundle &&
      nextBundle &&
      baseBundle.length <= MAX_DELTA_BUNDLE_BYTES &&
      nextBundle.length <= MAX_DELTA_BUNDLE_BYTES
    ) {
      const delta = createDelta(baseBundle, nextBundle);
      rows.push(await store(bucket, next, base, 'fossil_delta', delta, await hex(baseBundle)));
    }
  }
  return rows;
}

async function codePushDiff(bucket: R2Bucket, next: NewPackage, base: InspectedPackage) {
  const counted = (path: string) => !isIgnoredEntry(path) && !isSignatureEntry(path);
  const before = new Map(
    base.entries.filter((e) => counted(e.path)).map((e) => [e.path, e.sha256]),
  );
  const after = new Set(next.inspected.entries.map((e) => e.path));
  const changed = new Set(
    next.inspected.entries.filter((e) => before.get(e.path) !== e.sha256).map((e) => e.path),
  );
  const deletedFiles = [...before.keys()].filter((path) => !after.has(path)).sort();
  const object = await bucket.get(next.objectKey);
  if (!object) throw new Error(`The new package ${next.objectKey} is missing`);
  const files = await readZipFiles(object.body, (path) => changed.has(path));
  return zipSync({
    'hotcodepush.json': strToU8(JSON.stringify({ deletedFiles })),
    ...Object.fromEntries(files),
  });
}

async function readMainBundle(bucket: R2Bucket, next: NewPackage, path: string | null) {
  const object = await bucket.get(next.objectKey);
  if (!object) throw new Error(`The new package ${next.objectKey} is missing`);
  if (next.inspected.kind === 'file') return new Uint8Array(await object.arrayBuffer());
  if (!path) return null;
  return (await readZipFiles(object.body, (p) => p === path)).get(path) ?? null;
}

async function store(
  bucket: R2Bucket,
  next: NewPackage,
  base: Release,
  kind: 'codepush_zip' | 'fossil_delta',
  bytes: Uint8Array,
  baseHash: string,
): Promise<NewReleaseDiff> {
  const objectKey = diffKey(next.appId, next.releaseId, base.id, kind);
  await bucket.put(objectKey, bytes);
  return {
    id: newId('diff'),
    releaseId: next.releaseId,
    baseReleaseId: base.id,
    kind,
    baseHash,
    objectKey,
    size: bytes.length,
    hash: await hex(bytes),
  };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
