import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { newId } from '../lib/ids';
import { createServices } from '../services';
import type { SessionOrigin } from '../services/sessions';

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

type Lifetime = Pick<ExecutionContext, 'waitUntil'>;

// Hono's executionCtx getter throws when the app runs without one (app.request in a unit test).
function executionContextOf(c: { executionCtx: Lifetime }): Lifetime | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** Request id (echoed in `x-request-id`) and the per-request services. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : newId('request');
  c.set('requestId', requestId);
  c.set('services', createServices(c.env, executionContextOf(c)));
  await next();
  c.header('x-request-id', requestId);
});

/** Where a request comes from, as sessions and audit rows record it. */
export function requestOrigin(c: Context<AppEnv>): SessionOrigin {
  const cf = c.req.raw.cf;
  return {
    ip: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    country: typeof cf?.country === 'string' ? cf.country : null,
    city: typeof cf?.city === 'string' ? cf.city : null,
  };
}
