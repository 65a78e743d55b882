import { UpdateCheckBody, UpdateCheckJson } from '@skypatch/protocol';
import { selectRelease } from '../core/selection';
import { SIGNATURE_HEADER, signBody } from '../delivery/signing';
import { bufferCheckEvent, nativeDeviceMetadata } from '../delivery/telemetry';
import { AppError } from '../lib/errors';
import { downloadUrl } from '../routes/downloads';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
} from '../routes/openapi';
import { D1_ROWS_HEADER, deviceChannel, deviceRequest } from './device-request';
import { nativeAnswer, nativeFacts } from './native-answer';

const check = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/updates/check',
    tags: ['updates'],
    operationId: 'checkForUpdate',
    summary: 'The native update check a device makes on launch',
    description:
      'Authenticated by the channel deployment key in the body. Answers the release to ' +
      'install (with the smallest download the device can apply), a rollback, or nothing. ' +
      'When the app has a server-held code-signing key, the `skypatch-signature` header ' +
      'signs the exact body (RSA-SHA256, `sig`, `keyid`, `alg`). Never writes to D1.',
    request: { body: jsonBody(UpdateCheckBody) },
    responses: {
      200: jsonResponse(UpdateCheckJson, 'What the device should do'),
      ...errorResponses,
    },
  },
);

export const updateRoutes = createRouter().openapi(check, async (c) => {
  const body = c.req.valid('json');
  const request = deviceRequest(c);
  const facts = nativeFacts(body);
  if (!facts) {
    throw new AppError('BAD_REQUEST', 'appVersion must be a semver version, e.g. 1.4.0');
  }
  const view = await deviceChannel(request, body.deploymentKey, body.platform);

  const decision = selectRelease(view.releases, facts);
  const answer = nativeAnswer(decision, (key) => downloadUrl(request.env, request.url, key));
  bufferCheckEvent(
    request.env.TELEMETRY_QUEUE,
    {
      type: 'update_check',
      appId: view.appId,
      deviceId: body.deviceId,
      // The device's release as the channel knows it: a client's id of another app is dropped.
      releaseId: decision.current?.id ?? null,
      bundleVersion: decision.current?.label ?? null,
      metadata: {
        ...nativeDeviceMetadata(view.channelId, body),
        action: answer.action,
        offeredReleaseId: answer.action === 'none' ? null : (answer.update?.releaseId ?? null),
      },
    },
    request.waitUntil,
  );

  const text = JSON.stringify(answer);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    [D1_ROWS_HEADER]: String(request.d1RowsRead),
  };
  if (view.signing) headers[SIGNATURE_HEADER] = await signBody(request.env, view.signing, text);
  return c.body(text, 200, headers) as never; // the exact signed bytes, typed as UpdateCheckJson
});
