import type { UpdateCheckBody, UpdateCheckJson, UpdatePackageJson } from '@skypatch/protocol';
import type { z } from 'zod';
import { type Decision, type DeviceFacts, normaliseAppVersion } from '../core/selection';
import type { ViewRelease } from '../delivery/view';

type CheckBody = z.output<typeof UpdateCheckBody>;

/** The native protocol's device facts, or null when the app version is not a version. */
export function nativeFacts(body: CheckBody): DeviceFacts | null {
  const appVersion = normaliseAppVersion(body.appVersion);
  if (!appVersion) return null;
  return {
    appVersion,
    hashKind: 'bundle',
    current: { releaseId: body.currentReleaseId, hash: body.currentBundleHash },
    clientId: body.deviceId,
    platform: body.platform,
    osVersion: body.osVersion,
    attributes: body.attributes,
  };
}

/** The native answer to a decision; `urlOf` turns an R2 key into a device-reachable URL. */
export function nativeAnswer(
  decision: Decision<ViewRelease>,
  urlOf: (key: string) => string,
): UpdateCheckJson {
  switch (decision.kind) {
    case 'update':
      return {
        action: 'update',
        update: packageJson(decision.release, decision.current, decision.mandatory, urlOf),
      };
    case 'rollback':
      return {
        action: 'rollback',
        // Going back is urgent: the device runs a release its team pulled.
        update: decision.release && packageJson(decision.release, decision.current, true, urlOf),
      };
    case 'none':
      return { action: 'none', runBinary: decision.runBinary };
  }
}

function packageJson(
  release: ViewRelease,
  current: ViewRelease | null,
  mandatory: boolean,
  urlOf: (key: string) => string,
): UpdatePackageJson {
  return {
    releaseId: release.id,
    label: release.label,
    description: release.description,
    mandatory,
    bundleHash: release.bundleHash,
    packageHash: release.packageHash,
    signature: release.signature,
    download: download(release, current, urlOf),
  };
}

/**
 * The smallest download the device can apply: a zip package's file diff from its current
 * package, a single file's fossil delta from its current bundle, else the whole package.
 */
function download(
  release: ViewRelease,
  current: ViewRelease | null,
  urlOf: (key: string) => string,
): UpdatePackageJson['download'] {
  const diff =
    current &&
    release.diffs.find((d) =>
      release.isZip
        ? d.kind === 'codepush_zip' && d.baseHash === current.packageHash
        : d.kind === 'fossil_delta' && d.baseReleaseId === current.id,
    );
  if (diff) {
    return {
      url: urlOf(diff.objectKey),
      size: diff.size,
      hash: `sha256:${diff.hash}`,
      kind: diff.kind === 'codepush_zip' ? 'file_diff' : 'fossil_delta',
    };
  }
  return {
    url: urlOf(release.objectKey),
    size: release.size,
    hash: release.bundleHash,
    kind: 'full',
  };
}
