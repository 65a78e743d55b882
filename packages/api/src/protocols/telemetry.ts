import { TelemetryAcceptedJson, TelemetryBody } from '@skypatch/protocol';
import { channelViewOf } from '../delivery/resolve';
import { enqueueTelemetry } from '../delivery/telemetry';
import { acceptTelemetry } from '../delivery/telemetry-intake';
import { AppError } from '../lib/errors';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
} from '../routes/openapi';
import { deviceRequest, enforceCheckLimit } from './device-request';

const intake = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/telemetry',
    tags: ['updates'],
    operationId: 'sendTelemetry',
    summary: 'A batch of device events (downloads, installs, failures, rollbacks, crashes)',
    description:
      'Authenticated by the channel deployment key in the body. Each event is validated on ' +
      'its own: the valid ones are queued, the invalid ones come back with their index and ' +
      'issues. Answers at once; never reads or writes D1 (the events are aggregated later).',
    request: { body: jsonBody(TelemetryBody) },
    responses: {
      202: jsonResponse(TelemetryAcceptedJson, 'How many events were accepted, and which not'),
      ...errorResponses,
    },
  },
);

export const telemetryRoutes = createRouter().openapi(intake, async (c) => {
  const body = c.req.valid('json');
  const request = deviceRequest(c);
  const view = await channelViewOf(request.env, body.deploymentKey, request.waitUntil);
  if (!view) throw new AppError('NOT_FOUND', 'Unknown deployment key');
  if (view.platform !== body.platform) {
    throw new AppError('BAD_REQUEST', `This deployment key belongs to an ${view.platform} app`);
  }
  await enforceCheckLimit(request, view.appId);
  const { events, answer } = await acceptTelemetry(view, body);
  enqueueTelemetry(request.env.TELEMETRY_QUEUE, events, request.waitUntil);
  return c.json(answer, 202);
});
