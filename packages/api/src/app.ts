import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env';
import { AppError } from './lib/errors';
import { requireAuth } from './middleware/auth';
import { notFound, onError, validationHook } from './middleware/errors';
import { requestContext } from './middleware/request';
import { codePushRoutes } from './protocols/codepush';
import { updateRoutes } from './protocols/native';
import { shorebirdRoutes } from './protocols/shorebird';
import { telemetryRoutes } from './protocols/telemetry';
import { apiKeyRoutes } from './routes/api-keys';
import { appRoutes } from './routes/apps';
import { auditLogRoutes } from './routes/audit-logs';
import { authRoutes } from './routes/auth';
import { codeSigningRoutes } from './routes/code-signing';
import { downloadRoutes } from './routes/downloads';
import { meRoutes } from './routes/me';
import { memberRoutes } from './routes/members';
import { multipartUploadRoutes } from './routes/multipart-uploads';
import { orgRoutes } from './routes/orgs';
import { patchRoutes } from './routes/patches';
import { renderReferencePage } from './routes/reference-page';
import { releaseRoutes } from './routes/releases';
import { secretRoutes } from './routes/secrets';
import { statusComponentRoutes } from './routes/status-components';
import { statusHtmlRoutes } from './routes/status-html';
import { statusIncidentRoutes } from './routes/status-incidents';
import { statusPageRoutes } from './routes/status-pages';
import { statusPostmortemRoutes } from './routes/status-postmortems';
import { statusHostRouting, statusPublicRoutes } from './routes/status-public';
import { statusSubscriberRoutes } from './routes/status-subscribers';
import { statusUptimeRoutes } from './routes/status-uptime';
import { systemRoutes } from './routes/system';
import { uploadRoutes } from './routes/uploads';

/** JSON bodies of the management API; bundle uploads get their own streamed limit later. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * /v1 routes that need no credential. Everything else under /v1 is denied without one; the
 * authorization matrix test checks this list against the routes declared public.
 */
export const PUBLIC_V1_PATHS = new Set([
  '/v1/bootstrap',
  '/v1/auth/sign-up',
  '/v1/auth/sign-in',
  '/v1/auth/refresh',
  '/v1/auth/github',
  '/v1/auth/github/callback',
  '/v1/updates/check', // devices authenticate with the deployment key in the body
  '/v1/telemetry', // likewise
]);

const OPENAPI_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'Skypatch',
    version: '0.1.0',
    description:
      'Over-the-air updates for React Native, Expo and Flutter apps, and status pages. ' +
      'Management API under /v1; authenticate with `Authorization: Bearer <api key>`.',
  },
};

// Bodies that stream to R2 under their own limits: packages, multipart parts, patch artifacts.
const STREAMED_BODY_PATH =
  /^\/v1\/orgs\/[^/]+\/(apps\/[^/]+\/channels\/[^/]+\/uploads|uploads\/[^/]+\/parts\/[^/]+|apps\/[^/]+\/patches\/[^/]+\/[^/]+\/artifacts\/[^/]+\/[^/]+)$/;
const isUploadPath = (path: string) => STREAMED_BODY_PATH.test(path);

const defaultDenyV1 = createMiddleware<AppEnv>((c, next) =>
  PUBLIC_V1_PATHS.has(c.req.path) ? next() : requireAuth(c, next),
);

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (`sk_live_…`) or a session access token (`sp_at_…`, from sign-in). ' +
      '`Authorization: OAuth <key>` is accepted too.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bootstrapToken', {
    type: 'apiKey',
    in: 'header',
    name: 'x-bootstrap-token',
  });

  // First: a request on a status page's host is re-dispatched under /status/<subdomain>.
  app.use(
    '*',
    statusHostRouting((request, env, lifetime) => app.fetch(request, env, lifetime)),
  );
  app.use('*', requestContext);
  const jsonBodyLimit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `Body larger than ${MAX_JSON_BODY_BYTES} bytes`);
    },
  });
  // Package uploads stream to R2 under their own limit (services/uploads.ts), never buffered.
  app.use('/v1/*', (c, next) => (isUploadPath(c.req.path) ? next() : jsonBodyLimit(c, next)));
  app.use('/v1/*', defaultDenyV1);

  for (const routes of [
    systemRoutes,
    downloadRoutes,
    updateRoutes,
    telemetryRoutes,
    codePushRoutes,
    authRoutes,
    meRoutes,
    orgRoutes,
    memberRoutes,
    apiKeyRoutes,
    appRoutes,
    uploadRoutes,
    multipartUploadRoutes,
    releaseRoutes,
    codeSigningRoutes,
    patchRoutes,
    shorebirdRoutes,
    secretRoutes,
    statusPageRoutes,
    statusComponentRoutes,
    statusUptimeRoutes,
    statusIncidentRoutes,
    statusPostmortemRoutes,
    statusSubscriberRoutes,
    auditLogRoutes,
    statusPublicRoutes,
    statusHtmlRoutes,
  ]) {
    app.route('/', routes);
  }

  app.doc31('/openapi.json', OPENAPI_CONFIG);
  app.get('/docs', (c) => c.html(renderReferencePage(app.getOpenAPI31Document(OPENAPI_CONFIG))));

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
