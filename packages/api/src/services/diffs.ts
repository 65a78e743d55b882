import { strToU8, zipSync } from 'fflate';
import { createDelta } from 'fossil-delta';
import type { NewReleaseDiff, Release } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
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
  if (bases.length === 0) return [];
  // The new package is read once (diffBases caps it at 20 MB) and serves every base.
  const nextObject = await bucket.get(next.objectKey);
  if (!nextObject) throw new Error(`The new package ${next.objectKey} is missing`);
  const nextBytes = new Uint8Array(await nextObject.arrayBuffer());
  const nextFiles =
    next.inspected.kind === 'zip' ? await readZipFiles(streamOf(nextBytes), () => true) : null;
  const nextBundlePath = nextFiles ? mainBundlePath(next.inspected.entries) : null;
  const nextBundle = !nextFiles
    ? nextBytes
    : nextBundlePath
      ? nextFiles.get(nextBundlePath)
      : undefined;

  const rows: NewReleaseDiff[] = [];
  for (const base of bases) {
    const baseObject = await bucket.get(base.bundleUrl);
    if (!baseObject) continue; // a purged or missing base: devices on it get the full package
    const baseBytes = new Uint8Array(await baseObject.arrayBuffer());
    const baseInspected = await inspectPackage(streamOf(baseBytes));

    if (nextFiles && baseInspected.kind === 'zip') {
      const zip = codePushDiff(next.inspected, nextFiles, baseInspected);
      const baseHash = base.packageHash ?? baseInspected.packageHash;
      rows.push(await store(bucket, next, base, 'codepush_zip', zip, baseHash));
    }

    const basePath = baseInspected.kind === 'zip' ? mainBundlePath(baseInspected.entries) : null;
    const baseBundle =
      baseInspected.kind === 'file'
        ? baseBytes
        : basePath
          ? (await readZipFiles(streamOf(baseBytes), (p) => p === basePath)).get(basePath)
          : undefined;
    if (
      baseBundle &&
      nextBundle &&
      baseBundle.length <= MAX_DELTA_BUNDLE_BYTES &&
      nextBundle.length <= MAX_DELTA_BUNDLE_BYTES
    ) {
      const delta = createDelta(baseBundle, nextBundle);
      rows.push(
        await store(bucket, next, base, 'fossil_delta', delta, await sha256Hex(baseBundle)),
      );
    }
  }
  return rows;
}

/** CodePush's diff zip from `base` to the new package, whose files are at hand. */
function codePushDiff(
  next: InspectedPackage,
  nextFiles: ReadonlyMap<string, Uint8Array>,
  base: InspectedPackage,
) {
  const counted = (path: string) => !isIgnoredEntry(path) && !isSignatureEntry(path);
  const before = new Map(
    base.entries.filter((e) => counted(e.path)).map((e) => [e.path, e.sha256]),
  );
  const after = new Set(next.entries.map((e) => e.path));
  const changed = next.entries.filter((e) => before.get(e.path) !== e.sha256).map((e) => e.path);
  const deletedFiles = [...before.keys()].filter((path) => !after.has(path)).sort();
  const files: Record<string, Uint8Array> = {
    'hotcodepush.json': strToU8(JSON.stringify({ deletedFiles })),
  };
  for (const path of changed) {
    const bytes = nextFiles.get(path);
    if (!bytes) throw new Error(`Entry ${path} of the new package was not read`);
    files[path] = bytes;
  }
  return zipSync(files);
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
    hash: await sha256Hex(bytes),
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
