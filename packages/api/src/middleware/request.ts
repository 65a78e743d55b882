import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { newId } from '../lib/ids';
import { createServices } from '../services';

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Request id (echoed in `x-request-id`) and the per-request services. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : newId('request');
  c.set('requestId', requestId);
  c.set('services', createServices(c.env));
  await next();
  c.header('x-request-id', requestId);
});
