import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env';
import { AppError } from './lib/errors';
import { requireAuth } from './middleware/auth';
import { notFound, onError, validationHook } from './middleware/errors';
import { requestContext } from './middleware/request';
import { renderReferencePage } from './routes/reference-page';
import { systemRoutes } from './routes/system';

/** JSON bodies of the management API; bundle uploads get their own streamed limit later. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** /v1 routes that need no API key. Everything else under /v1 is denied without one. */
const PUBLIC_V1_PATHS = new Set(['/v1/bootstrap']);

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

const defaultDenyV1 = createMiddleware<AppEnv>((c, next) =>
  PUBLIC_V1_PATHS.has(c.req.path) ? next() : requireAuth(c, next),
);

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`sk_live_…`). `Authorization: OAuth <key>` is accepted too.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bootstrapToken', {
    type: 'apiKey',
    in: 'header',
    name: 'x-bootstrap-token',
  });

  app.use('*', requestContext);
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_JSON_BODY_BYTES,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', `Body larger than ${MAX_JSON_BODY_BYTES} bytes`);
      },
    }),
  );
  app.use('/v1/*', defaultDenyV1);

  app.route('/', systemRoutes);

  app.doc31('/openapi.json', OPENAPI_CONFIG);
  app.get('/docs', (c) => c.html(renderReferencePage(app.getOpenAPI31Document(OPENAPI_CONFIG))));

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
