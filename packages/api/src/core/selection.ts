import type { TargetingRules } from '@skypatch/protocol';
import semver from 'semver';
import { rolloutBucket } from './rollout';

/**
 * The one release-selection core under every update-check protocol (native, CodePush, later
 * Expo). Pure: it sees the channel's releases and the device's facts, never HTTP or storage.
 * It ports CodePush's getUpdatePackage (specs/codepush.md §1.4) and adds targeting rules,
 * pause and an explicit rollback decision.
 */

/** What selection needs of a release; the cached channel view carries exactly this. */
export interface CandidateRelease {
  id: string;
  label: string;
  status: 'active' | 'paused' | 'rolled_back';
  appVersionRange: string | null;
  isMandatory: boolean;
  rolloutPercentage: number;
  targetingRules: TargetingRules | null;
  /** CodePush's folder hash (§2.4), what CodePush clients send back. */
  packageHash: string | null;
  /** "sha256:<hex>" of the uploaded bytes, what native clients send back. */
  bundleHash: string;
}

/** Which release the device runs now; empty when it runs the binary's own bundle. */
export interface CurrentPackage {
  releaseId?: string;
  label?: string;
  /** A package hash (CodePush) or a bundle hash (native), as `hashKind` says. */
  hash?: string;
}

export interface DeviceFacts {
  /** The binary version, already normalised to valid semver (see normaliseAppVersion). */
  appVersion: string;
  /** CodePush's is_companion: match releases for every binary version. */
  ignoreAppVersion?: boolean;
  hashKind: 'package' | 'bundle';
  current: CurrentPackage;
  /** A stable per-install id: rollout buckets and device-id targeting use it. */
  clientId?: string;
  platform?: 'ios' | 'android';
  osVersion?: string;
  attributes?: Record<string, string | number | boolean>;
}

export type Decision<R extends CandidateRelease = CandidateRelease> =
  /** Install `release`; mandatory when it or any skipped newer release is. */
  | { kind: 'update'; release: R; mandatory: boolean; current: R | null }
  /**
   * The device's release was rolled back: go to `release`, or to the binary's bundle when null.
   * CodePush clients cannot be told to run the binary, so their adapter answers "no update".
   */
  | { kind: 'rollback'; release: R | null; current: R; latestEnabled: R | null }
  | {
      kind: 'none';
      /** No release is enabled and targets this binary version (CodePush's should_run_binary_version). */
      runBinary: boolean;
      /** The newest enabled release of the channel, whatever binary it targets. */
      latestEnabled: R | null;
      current: R | null;
    };

/** Releases newest first, as the channel view holds them. */
export function selectRelease<R extends CandidateRelease>(
  releases: readonly R[],
  device: DeviceFacts,
): Decision<R> {
  const appVersion = semver.parse(device.appVersion);
  // Found up front: the scan below may stop (at a mandatory release) before reaching it, and
  // the answer still needs it (rollback, pause, the diff from it).
  const currentIndex = releases.findIndex((release) => isCurrent(release, device));
  const current = currentIndex === -1 ? null : (releases[currentIndex] ?? null);
  let latestEnabled: R | null = null;
  let latestSatisfying: R | null = null;
  let newerSatisfying = false; // latestSatisfying is newer than the device's current release
  let mandatory = false;

  for (const [index, release] of releases.entries()) {
    const reachedCurrent = current !== null && index >= currentIndex;
    if (!isServable(release, device)) continue;
    latestEnabled ??= release;
    if (!device.ignoreAppVersion && !targetsBinary(release, appVersion)) continue;
    if (!matchesTargeting(release.targetingRules, device)) continue;
    if (!latestSatisfying) {
      latestSatisfying = release;
      newerSatisfying = !reachedCurrent;
    }
    // Releases below the device's own are older than what it runs: they decide nothing more.
    if (reachedCurrent) break;
    if (release.isMandatory) {
      mandatory = true;
      break;
    }
  }

  if (current && current.status === 'rolled_back' && !newerSatisfying) {
    return { kind: 'rollback', release: latestSatisfying, current, latestEnabled };
  }
  if (!latestSatisfying || isSameContent(latestSatisfying, device)) {
    return { kind: 'none', runBinary: !latestSatisfying, latestEnabled, current };
  }
  // A device on a paused or no-longer-targeted release keeps it: only a rollback moves it back.
  if (current && !newerSatisfying) {
    return { kind: 'none', runBinary: false, latestEnabled, current };
  }
  return {
    kind: 'update',
    release: latestSatisfying,
    mandatory: mandatory || latestSatisfying.isMandatory,
    current,
  };
}

/** CodePush's identity rule: the label when the client sends one, else the hash. */
function isCurrent(release: CandidateRelease, device: DeviceFacts): boolean {
  const { releaseId, label, hash } = device.current;
  if (releaseId) return release.id === releaseId;
  if (label) return release.label === label;
  return hash !== undefined && contentHash(release, device) === hash;
}

function isSameContent(release: CandidateRelease, device: DeviceFacts): boolean {
  const { hash } = device.current;
  return hash !== undefined && contentHash(release, device) === hash;
}

function contentHash(release: CandidateRelease, device: DeviceFacts): string | null {
  return device.hashKind === 'package' ? release.packageHash : release.bundleHash;
}

/** Active, and this device is inside the release's rollout percentage. */
function isServable(release: CandidateRelease, device: DeviceFacts): boolean {
  if (release.status !== 'active') return false;
  if (release.rolloutPercentage >= 100) return true;
  // A device with no id cannot be bucketed: it waits for the full rollout (codepush.md §1.5).
  return (
    device.clientId !== undefined &&
    rolloutBucket(device.clientId, release.label) < release.rolloutPercentage
  );
}

function targetsBinary(release: CandidateRelease, appVersion: semver.SemVer | null): boolean {
  if (!appVersion || !release.appVersionRange) return false;
  return rangeOf(release.appVersionRange)?.test(appVersion) ?? false;
}

/** Seed 000's targeting rules: every rule present must match. */
export function matchesTargeting(rules: TargetingRules | null, device: DeviceFacts): boolean {
  if (!rules) return true;
  if (rules.deviceIds && !(device.clientId && rules.deviceIds.includes(device.clientId))) {
    return false;
  }
  if (rules.platforms && !(device.platform && rules.platforms.includes(device.platform))) {
    return false;
  }
  if (rules.osVersions) {
    const os = device.osVersion ? semver.coerce(device.osVersion) : null;
    if (!os || !rangeOf(rules.osVersions)?.test(os)) return false;
  }
  for (const [name, wanted] of Object.entries(rules.attributes ?? {})) {
    const actual = device.attributes?.[name];
    if (actual === undefined) return false;
    const allowed = Array.isArray(wanted) ? wanted : [wanted];
    if (!allowed.some((value) => value === actual)) return false;
  }
  return true;
}

// Parsing a range costs ~7x a test of it (workers-libraries.md §6): keep them per isolate.
const ranges = new Map<string, semver.Range | null>();
const MAX_CACHED_RANGES = 10_000;

function rangeOf(text: string): semver.Range | null {
  let range = ranges.get(text);
  if (range === undefined) {
    try {
      range = new semver.Range(text);
    } catch {
      range = null;
    }
    if (ranges.size >= MAX_CACHED_RANGES) ranges.clear();
    ranges.set(text, range);
  }
  return range;
}

/**
 * CodePush's app-version normalisation (codepush.md §1.3): "1" → "1.0.0", "1.0" → "1.0.0",
 * "2.0-beta" → "2.0.0-beta". Null when the result is still not valid semver.
 */
export function normaliseAppVersion(raw: string): string | null {
  let version = raw.trim();
  if (/^\d+$/.test(version)) version = `${version}.0.0`;
  else if (/^\d+\.\d+([+-].*)?$/.test(version)) version = version.replace(/^(\d+\.\d+)/, '$1.0');
  return semver.valid(version) ? version : null;
}
