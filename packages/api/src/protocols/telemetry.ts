import { TelemetryAcceptedJson, TelemetryBody } from '@skypatch/protocol';
import { enqueueTelemetry } from '../delivery/telemetry';
import { acceptTelemetry } from '../delivery/telemetry-intake';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
} from '../routes/openapi';
import { deviceChannel, deviceRequest } from './device-request';

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
  const view = await deviceChannel(request, body.deploymentKey, body.platform);
  const { events, answer } = await acceptTelemetry(view, body);
  enqueueTelemetry(request.env.TELEMETRY_QUEUE, events, request.waitUntil);
  return c.json(answer, 202);
});
