import { BootstrapBody, BootstrapJson, HealthJson, WhoAmIJson } from '@skypatch/protocol';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
  SECURITY,
} from './openapi';

const health = defineRoute(
  { kind: 'public' },
  {
    method: 'get',
    path: '/health',
    tags: ['system'],
    operationId: 'getHealth',
    summary: 'Reports whether D1, R2 and KV answer',
    responses: {
      200: jsonResponse(HealthJson, 'Every dependency answered'),
      503: jsonResponse(HealthJson, 'At least one dependency did not answer'),
    },
  },
);

const bootstrap = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/bootstrap',
    tags: ['system'],
    operationId: 'bootstrapInstance',
    summary: 'First-run setup: the first organization, its owner and an owner API key',
    description:
      'Works once, while no user exists, and only when the BOOTSTRAP_TOKEN secret is set; ' +
      '`npm start` calls it for you. Send the token in `x-bootstrap-token`.',
    security: SECURITY.bootstrapToken,
    request: { body: jsonBody(BootstrapBody) },
    responses: {
      201: jsonResponse(BootstrapJson, 'Created; the password and API key are shown only now'),
      409: jsonResponse(errorResponses[400].content['application/json'].schema, 'Already set up'),
      ...errorResponses,
    },
  },
);

const whoami = defineRoute(
  { kind: 'authenticated' },
  {
    method: 'get',
    path: '/v1/whoami',
    tags: ['system'],
    operationId: 'getWhoAmI',
    summary: 'The caller as the API sees it: a user, or an API key with its org, role and scope',
    responses: { 200: jsonResponse(WhoAmIJson, 'The authenticated caller'), ...errorResponses },
  },
);

export const systemRoutes = createRouter()
  .openapi(health, async (c) => {
    const report = await c.var.services.health.check();
    const body = { status: report.ok ? 'ok' : 'degraded', checks: report.checks } as const;
    return c.json(body, report.ok ? 200 : 503);
  })
  .openapi(bootstrap, async (c) => {
    const input = c.req.valid('json');
    const result = await c.var.services.bootstrap.bootstrap(
      c.req.header('x-bootstrap-token'),
      input,
    );
    const body = {
      email: result.email,
      password: result.password,
      apiKey: result.apiKey,
      orgId: result.orgId,
      userId: result.userId,
    };
    return c.json(body, 201);
  })
  .openapi(whoami, (c) => {
    const actor = c.var.actor;
    if (actor.kind === 'system') throw new Error('whoami is mounted behind authentication');
    const key = actor.kind === 'api_key' ? actor : null;
    const body = {
      kind: actor.kind,
      userId: actor.userId,
      sessionId: actor.kind === 'user' ? actor.sessionId : null,
      apiKeyId: key?.apiKeyId ?? null,
      orgId: key?.orgId ?? null,
      role: key?.role ?? null,
      readOnly: key?.readOnly ?? false,
      appId: key?.appId ?? null,
    };
    return c.json(body, 200);
  });
