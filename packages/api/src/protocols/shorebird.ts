import type { RouteHandler } from '@hono/zod-openapi';
import {
  PatchCheckBody,
  PatchCheckJson,
  PatchEventBody,
  type ShorebirdEvent,
} from '@skypatch/protocol';
import { bodyLimit } from 'hono/body-limit';
import type { TelemetryEventType } from '../db/schema';
import { decidePatch, type PatchDecision, patchesOf, toPatchTarget } from '../delivery/patches';
import { enqueueTelemetry, type NewDeviceEvent } from '../delivery/telemetry';
import type { AppEnv } from '../env';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { downloadUrl } from '../routes/downloads';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
  noContent,
} from '../routes/openapi';
import { D1_ROWS_HEADER, deviceRequest, enforceCheckLimit } from './device-request';

// Shorebird's device protocol (specs/shorebird.md §1-§4): what unmodified Flutter apps built by
// `shorebird release` with `base_url` pointing here call. No auth, outside /v1, snake_case.

const CHECK_PATH = '/api/v1/patches/check';
const EVENTS_PATH = '/api/v1/patches/events';
/** Both bodies are a few hundred bytes; an event's diagnostic message is the longest part. */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_MESSAGE_CHARS = 2_000;

const EVENT_TYPES = {
  __patch_download__: 'update_downloaded',
  __patch_install__: 'update_installed',
  __patch_install_failure__: 'update_failed',
} as const satisfies Record<ShorebirdEvent['type'], TelemetryEventType>;

/** The check's answer (§3): `patch` is null whenever `patch_available` is false. */
export function toPatchCheckJson(
  decision: PatchDecision,
  urlOf: (objectKey: string) => string,
): PatchCheckJson {
  const { best } = decision;
  return {
    patch_available: best !== null,
    patch: best
      ? {
          number: best.number,
          download_url: urlOf(best.objectKey),
          hash: best.hash,
          hash_signature: best.hashSignature,
        }
      : null,
    rolled_back_patch_numbers: decision.rolledBack,
  };
}

/**
 * A Shorebird event in seed 000's telemetry terms. The id is deterministic (§4: a hash of
 * client_id|app_id|release_version|patch_number|type|timestamp), so a redelivered event is
 * stored once. Only when the device sends both client_id and timestamp: without them the key
 * would merge different phones, or different occurrences, into one event.
 */
export async function toTelemetryEvent(
  event: ShorebirdEvent,
  receivedAt: number,
): Promise<NewDeviceEvent> {
  const message = event.message ? event.message.slice(0, MAX_MESSAGE_CHARS) : null;
  const hasTimestamp = typeof event.timestamp === 'number';
  const key = [
    event.client_id,
    event.app_id,
    event.release_version,
    event.patch_number,
    event.type,
    event.timestamp,
  ].join('|');
  return {
    ...(event.client_id && hasTimestamp ? { id: `evt_${await sha256Hex(key)}` } : {}),
    type: EVENT_TYPES[event.type],
    appId: event.app_id,
    deviceId: event.client_id || 'unknown',
    errorMessage: event.type === '__patch_install_failure__' ? message : null,
    metadata: {
      releaseVersion: event.release_version,
      patchNumber: event.patch_number,
      platform: event.platform,
      arch: event.arch,
      message,
      source: 'shorebird',
    },
    timestamp: hasTimestamp ? Number(event.timestamp) * 1000 : receivedAt,
  };
}

const tags = ['shorebird'];
const protocolErrors = {
  400: errorResponses[400],
  413: errorResponses[413],
  429: errorResponses[429],
};

const checkPatch = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: CHECK_PATH,
    tags,
    operationId: 'checkShorebirdPatch',
    summary: "Shorebird updater: the newest patch of the device's release, platform and arch",
    description:
      'Called by unmodified Shorebird apps at `{base_url}/api/v1/patches/check`. Unknown apps, ' +
      'releases, channels, platforms and arches answer 200 with no patch.',
    request: { body: jsonBody(PatchCheckBody) },
    responses: { 200: jsonResponse(PatchCheckJson, 'The decision'), ...protocolErrors },
  },
);

const postEvent = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: EVENTS_PATH,
    tags,
    operationId: 'postShorebirdEvent',
    summary: 'Shorebird updater: a patch was downloaded, booted, or failed to boot',
    request: { body: jsonBody(PatchEventBody) },
    responses: { 204: noContent('Accepted'), ...protocolErrors },
  },
);

const check: RouteHandler<typeof checkPatch, AppEnv> = async (c) => {
  const body = c.req.valid('json');
  const request = deviceRequest(c);
  const target = toPatchTarget(body);
  if (target) await enforceCheckLimit(request, target.appId);
  const rows = target ? await patchesOf(request.env, target, request.waitUntil, request.meter) : [];
  const decision = decidePatch(rows, {
    channel: body.channel,
    legacyPatchNumber: body.patch_number,
  });
  return c.json(
    toPatchCheckJson(decision, (key) => downloadUrl(c.env, c.req.url, key)),
    200,
    { [D1_ROWS_HEADER]: String(request.d1RowsRead) },
  );
};

const postEvents: RouteHandler<typeof postEvent, AppEnv> = async (c) => {
  const body = c.req.valid('json');
  const event = 'event' in body ? body.event : body;
  // Queued after the response; the device never waits on (or for) telemetry.
  enqueueTelemetry(c.env.TELEMETRY_QUEUE, [await toTelemetryEvent(event, Date.now())], (work) =>
    c.executionCtx.waitUntil(work),
  );
  return c.body(null, 204);
};

/**
 * The same route at `//api/…`, unpublished: the updater concatenates `base_url` and the path,
 * so a `base_url` with a trailing slash asks for `//api/v1/patches/check` (§1).
 */
function doubleSlashAlias<R extends { path: string }>(route: R): R {
  // Only the path changes; its one literal type is all `R` claims that no longer holds.
  return { ...route, path: `/${route.path}`, hide: true } as R;
}

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError('PAYLOAD_TOO_LARGE', `Body larger than ${MAX_BODY_BYTES} bytes`);
  },
});

const router = createRouter();
router.use('/api/v1/patches/*', limitBody);
router.use('//api/v1/patches/*', limitBody);

export const shorebirdRoutes = router
  .openapi(checkPatch, check)
  .openapi(doubleSlashAlias(checkPatch), check)
  .openapi(postEvent, postEvents)
  .openapi(doubleSlashAlias(postEvent), postEvents);
