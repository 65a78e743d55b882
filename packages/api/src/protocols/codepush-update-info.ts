import semver from 'semver';
import type { Decision, DeviceFacts } from '../core/selection';
import type { ViewRelease } from '../delivery/view';

/**
 * CodePush's update_info (specs/codepush.md §1.3-1.4) from a selection decision. Key order is
 * the one code-push-server writes; the legacy generation camelCases the same object and keeps
 * the snake_case target_binary_range, as code-push-server does.
 */
export interface UpdateInfo {
  downloadURL: string;
  description: string;
  isAvailable: boolean;
  isMandatory: boolean;
  appVersion: string;
  packageHash: string;
  label: string;
  packageSize: number;
  updateAppVersion: boolean;
  shouldRunBinaryVersion: boolean;
}

export interface CodePushRequest {
  /** Exactly as the client sent it: echoed back so the client keeps the update (§1.3). */
  rawAppVersion: string;
  facts: DeviceFacts;
}

export function updateInfoOf(
  decision: Decision<ViewRelease>,
  request: CodePushRequest,
  urlOf: (key: string) => string,
): UpdateInfo {
  // CodePush clients cannot be sent back to their binary: a rollback with nowhere to go
  // leaves them where they are (§1.4, what code-push-server does for a disabled release).
  if (decision.kind === 'rollback' && decision.release) {
    return available(decision.release, true, request, urlOf);
  }
  if (decision.kind === 'update') {
    return available(decision.release, decision.mandatory, request, urlOf);
  }
  const runBinary = decision.kind === 'none' ? decision.runBinary : true;
  return noUpdate(runBinary, decision.latestEnabled, request.facts.appVersion);
}

function available(
  release: ViewRelease,
  mandatory: boolean,
  request: CodePushRequest,
  urlOf: (key: string) => string,
): UpdateInfo {
  const deviceHash = request.facts.current.hash;
  // A file diff from the device's package when one was built (§2.7); package_hash stays the
  // full release's, which the client checks after merging.
  const diff = deviceHash
    ? release.diffs.find((d) => d.kind === 'codepush_zip' && d.baseHash === deviceHash)
    : undefined;
  return {
    downloadURL: urlOf(diff?.objectKey ?? release.objectKey),
    description: release.description ?? '',
    isAvailable: true,
    isMandatory: mandatory,
    appVersion: request.rawAppVersion,
    packageHash: release.packageHash ?? '',
    label: release.label,
    packageSize: diff?.size ?? release.size,
    updateAppVersion: false,
    shouldRunBinaryVersion: false,
  };
}

/** No update; say which binary the newest release targets, as code-push-server does. */
function noUpdate(
  runBinary: boolean,
  latestEnabled: ViewRelease | null,
  appVersion: string,
): UpdateInfo {
  const info: UpdateInfo = {
    downloadURL: '',
    description: '',
    isAvailable: false,
    isMandatory: false,
    appVersion: '',
    packageHash: '',
    label: '',
    packageSize: 0,
    updateAppVersion: false,
    shouldRunBinaryVersion: runBinary,
  };
  const range = latestEnabled?.appVersionRange;
  if (!range || !semver.validRange(range)) return info;
  if (semver.gtr(appVersion, range)) {
    info.appVersion = range;
  } else if (!semver.satisfies(appVersion, range)) {
    info.updateAppVersion = true;
    info.appVersion = range;
  }
  return info;
}

/** The v0.1 body: snake_case keys in code-push-server's order. */
export function v01Body(info: UpdateInfo) {
  return {
    update_info: {
      download_url: info.downloadURL,
      description: info.description,
      is_available: info.isAvailable,
      is_mandatory: info.isMandatory,
      app_version: info.appVersion,
      package_hash: info.packageHash,
      label: info.label,
      package_size: info.packageSize,
      update_app_version: info.updateAppVersion,
      should_run_binary_version: info.shouldRunBinaryVersion,
      target_binary_range: info.appVersion,
    },
  };
}

/** The legacy body: camelCase with `downloadURL`, plus the snake_case target_binary_range. */
export function legacyBody(info: UpdateInfo) {
  return { updateInfo: { ...info, target_binary_range: info.appVersion } };
}
