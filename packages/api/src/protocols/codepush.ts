import { type Context, Hono } from 'hono';
import semver from 'semver';
import { normaliseAppVersion, selectRelease } from '../core/selection';
import { channelViewOf } from '../delivery/resolve';
import { bufferCheckEvent, enqueueTelemetry, type NewDeviceEvent } from '../delivery/telemetry';
import type { ChannelView } from '../delivery/view';
import type { AppEnv } from '../env';
import { downloadUrl } from '../routes/downloads';
import { legacyBody, updateInfoOf, v01Body } from './codepush-update-info';
import { checkLimit, D1_ROWS_HEADER, type DeviceRequest, deviceRequest } from './device-request';

/**
 * CodePush's acquisition API, both generations (specs/codepush.md §1), so an app switches its
 * CodePushServerURL to Skypatch and keeps working: the legacy camelCase routes of code-push
 * ≤ 2.x and the v0.1 snake_case routes of ≥ 3.0, each accepting either spelling, answering
 * errors as plain text with code-push-server's messages, and 200 on success (the legacy SDK
 * accepts nothing else).
 */

const MESSAGES = {
  badKey:
    "An update check must include a valid deployment key - please check that your app has been configured correctly. To view available deployment keys, run 'code-push-standalone deployment ls <appName> -k'.",
  badVersion:
    "An update check must include a binary version that conforms to the semver standard (e.g. '1.0.0'). The binary version is normally inferred from the App Store/Play Store version configured with your app.",
  deployFields: 'A deploy status report must contain a valid appVersion and deploymentKey.',
  deployLegacyFields:
    'A deploy status report must contain a valid appVersion, clientUniqueId and deploymentKey.',
  deployStatus: 'A deploy status report for a labelled package must contain a valid status.',
  downloadFields: 'A download status report must contain a valid deploymentKey and package label.',
};
const DEPLOYMENT_KEY = /^[A-Za-z0-9_-]{10,100}$/;
const STATUSES = new Set(['DeploymentSucceeded', 'DeploymentFailed', 'Downloaded']);
const MAX_REPORT_BYTES = 10 * 1024; // code-push-server's JSON body limit
// code-push-server counts metrics per client only for SDKs older than this (§1.6).
const METRICS_SDK_VERSION = '1.5.2-beta';

type Fields = Record<string, string | undefined>;

/** A field in either spelling; empty means absent, as the legacy SDK sends empty values. */
function field(fields: Fields, camel: string, snake: string): string | undefined {
  const value = (fields[camel] ?? fields[snake])?.trim();
  return value ? value : undefined;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, DELETE, PUT',
  'access-control-allow-headers':
    'Content-Type, X-CodePush-Plugin-Name, X-CodePush-Plugin-Version, X-CodePush-SDK-Version',
  'access-control-expose-headers': 'Location',
  'cache-control': 'no-cache',
};

function text(c: Context<AppEnv>, status: 200 | 400 | 404 | 413 | 429, body: string) {
  return c.text(body, status, CORS_HEADERS);
}

async function updateCheck(c: Context<AppEnv>, generation: 'legacy' | 'v0.1') {
  const query = c.req.query();
  const deploymentKey = field(query, 'deploymentKey', 'deployment_key');
  const rawAppVersion = field(query, 'appVersion', 'app_version');
  if (!deploymentKey || !DEPLOYMENT_KEY.test(deploymentKey)) {
    return text(c, 400, MESSAGES.badKey);
  }
  const appVersion = rawAppVersion ? normaliseAppVersion(rawAppVersion) : null;
  if (!rawAppVersion || !appVersion) return text(c, 400, MESSAGES.badVersion);

  const request = deviceRequest(c);
  const view = await channelViewOf(request.env, deploymentKey, request.waitUntil, request.meter);
  if (!view) return text(c, 404, 'Deployment key not found');
  const limited = await rateLimited(request, view);
  if (limited) return limited(c);

  const clientId = field(query, 'clientUniqueId', 'client_unique_id');
  const facts = {
    appVersion,
    ignoreAppVersion: field(query, 'isCompanion', 'is_companion') === 'true',
    hashKind: 'package' as const,
    current: {
      label: field(query, 'label', 'label'),
      hash: field(query, 'packageHash', 'package_hash'),
    },
    clientId,
    platform: view.platform,
  };
  const decision = selectRelease(view.releases, facts);
  const info = updateInfoOf(decision, { rawAppVersion, facts }, (key) =>
    downloadUrl(request.env, request.url, key),
  );
  const { current } = decision;
  bufferCheckEvent(
    request.env.TELEMETRY_QUEUE,
    {
      appId: view.appId,
      deviceId: clientId ?? 'unknown',
      type: 'update_check',
      releaseId: current?.id ?? null,
      bundleVersion: current?.label ?? null,
      metadata: {
        source: 'codepush',
        channelId: view.channelId,
        appVersion: rawAppVersion,
        offeredLabel: info.isAvailable ? info.label : null,
      },
    },
    request.waitUntil,
  );
  return c.json(generation === 'legacy' ? legacyBody(info) : v01Body(info), 200, {
    ...CORS_HEADERS,
    [D1_ROWS_HEADER]: String(request.d1RowsRead),
  });
}

async function rateLimited(request: DeviceRequest, view: ChannelView) {
  const verdict = await checkLimit(request, view.appId);
  if (verdict.allowed) return null;
  return (c: Context<AppEnv>) => {
    c.header('retry-after', String(verdict.retryAfterSeconds));
    return text(c, 429, 'Too many requests');
  };
}

/** A report body as flat strings, from JSON or a form; null when it is neither. */
async function reportFields(c: Context<AppEnv>): Promise<Fields | 'too-large' | null> {
  const body = await c.req.text();
  if (body.length > MAX_REPORT_BYTES) return 'too-large';
  if (c.req.header('content-type')?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(body));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const fields: Fields = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'string') fields[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
  }
  return fields;
}

async function deployReport(c: Context<AppEnv>) {
  const fields = await reportFields(c);
  if (fields === 'too-large') return text(c, 413, 'Request body too large');
  if (!fields) return text(c, 400, MESSAGES.deployFields);
  const deploymentKey = field(fields, 'deploymentKey', 'deployment_key');
  const appVersion = field(fields, 'appVersion', 'app_version');
  if (!deploymentKey || !appVersion) return text(c, 400, MESSAGES.deployFields);
  const label = field(fields, 'label', 'label');
  const status = field(fields, 'status', 'status');
  if (label && !status) return text(c, 400, MESSAGES.deployStatus);
  if (label && status && !STATUSES.has(status)) return text(c, 400, `Invalid status: ${status}`);
  const clientId = field(fields, 'clientUniqueId', 'client_unique_id');
  const sdk = semver.valid(c.req.header('x-codepush-sdk-version') ?? '');
  if (!clientId && (!sdk || semver.lt(sdk, METRICS_SDK_VERSION))) {
    return text(c, 400, MESSAGES.deployLegacyFields);
  }

  const request = deviceRequest(c);
  const view = await channelViewOf(request.env, deploymentKey, request.waitUntil);
  // code-push-server answers OK without looking the key up (§1.6); so do we.
  if (view) {
    const release = label ? view.releases.find((r) => r.label === label) : undefined;
    const failed = status === 'DeploymentFailed';
    report(request, view, clientId, {
      type: failed ? 'update_failed' : 'update_installed',
      releaseId: release?.id ?? null,
      bundleVersion: label ?? appVersion,
      errorCode: failed ? 'DeploymentFailed' : null,
      metadata: {
        source: 'codepush',
        channelId: view.channelId,
        appVersion,
        status: status ?? null,
        // RNCP reports DeploymentFailed after it rolled the device back on its own.
        clientRolledBack: failed,
        previousLabelOrAppVersion:
          field(fields, 'previousLabelOrAppVersion', 'previous_label_or_app_version') ?? null,
        previousDeploymentKey:
          field(fields, 'previousDeploymentKey', 'previous_deployment_key') ?? null,
      },
    });
  }
  return text(c, 200, 'OK');
}

async function downloadReport(c: Context<AppEnv>) {
  const fields = await reportFields(c);
  if (fields === 'too-large') return text(c, 413, 'Request body too large');
  const deploymentKey = fields && field(fields, 'deploymentKey', 'deployment_key');
  const label = fields && field(fields, 'label', 'label');
  if (!fields || !deploymentKey || !label) return text(c, 400, MESSAGES.downloadFields);
  const request = deviceRequest(c);
  const view = await channelViewOf(request.env, deploymentKey, request.waitUntil);
  if (view) {
    report(request, view, field(fields, 'clientUniqueId', 'client_unique_id'), {
      type: 'update_downloaded',
      releaseId: view.releases.find((r) => r.label === label)?.id ?? null,
      bundleVersion: label,
      metadata: { source: 'codepush', channelId: view.channelId },
    });
  }
  return text(c, 200, 'OK');
}

function report(
  request: DeviceRequest,
  view: ChannelView,
  clientId: string | undefined,
  event: Omit<NewDeviceEvent, 'appId' | 'deviceId'>,
) {
  enqueueTelemetry(
    request.env.TELEMETRY_QUEUE,
    [{ ...event, appId: view.appId, deviceId: clientId ?? 'unknown' }],
    request.waitUntil,
  );
}

const PATHS = {
  legacyCheck: '/updateCheck',
  legacyDeploy: '/reportStatus/deploy',
  legacyDownload: '/reportStatus/download',
  check: '/v0.1/public/codepush/update_check',
  deploy: '/v0.1/public/codepush/report_status/deploy',
  download: '/v0.1/public/codepush/report_status/download',
};

export const codePushRoutes = new Hono<AppEnv>()
  .get(PATHS.legacyCheck, (c) => updateCheck(c, 'legacy'))
  .get(PATHS.check, (c) => updateCheck(c, 'v0.1'))
  .post(PATHS.legacyDeploy, deployReport)
  .post(PATHS.deploy, deployReport)
  .post(PATHS.legacyDownload, downloadReport)
  .post(PATHS.download, downloadReport)
  // Preflights of its own paths only: other routers answer OPTIONS for theirs.
  .on('OPTIONS', Object.values(PATHS), (c) => c.body(null, 204, CORS_HEADERS));
