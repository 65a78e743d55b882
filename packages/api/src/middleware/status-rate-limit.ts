import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { limitPerMinute } from '../delivery/rate-limit';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import type { Actor } from '../services/actor';

/**
 * Statuspage limits each token to 1 request/s over a 60 s rolling window (spec §4.1); ours is
 * STATUSPAGE_REQUESTS_PER_MINUTE (default 60) requests per credential (an API key, or one
 * sign-in session) per minute on the management API (`/v1/pages…`, `/v1/orgs/{orgId}/pages…`),
 * reads and writes alike. The public status API and pages are not limited by this.
 *
 * How exact it is: the counter is the update-check limiter's (delivery/rate-limit.ts). Windows
 * are fixed minutes, not rolling, so a burst across a minute boundary can pass up to twice the
 * limit within 60 s. Inside one isolate the count is exact. Other isolates' requests are seen
 * through KV, which each isolate reads and writes only once the credential has sent a tenth of
 * the limit through it, and then at most once a second; so a credential spread over many
 * isolates (or colos, where KV lags up to a minute) can pass more than the limit before KV
 * catches up. It stops runaway scripts; it is not a quota.
 */

export const DEFAULT_STATUSPAGE_REQUESTS_PER_MINUTE = 60;

/** The management paths, `.json` aliases included: the middleware is mounted on each. */
export const STATUSPAGE_MANAGEMENT_PATHS = [
  '/v1/pages',
  '/v1/pages.json',
  '/v1/pages/*',
  '/v1/orgs/:orgId/pages',
  '/v1/orgs/:orgId/pages.json',
  '/v1/orgs/:orgId/pages/*',
] as const;

// Every router createStatusRouter builds mounts this middleware, and Hono copies each router's
// middleware into the app, so one request passes it once per status router (and once per
// matching pattern): it counts the request the first time only.
const counted = new WeakSet<Context>();

function credentialOf(actor: Actor): string | null {
  if (actor.kind === 'api_key') return `key:${actor.apiKeyId}`;
  if (actor.kind === 'user') return `session:${actor.sessionId}`;
  return null; // the system actor never comes through HTTP
}

function requestsPerMinute(env: Env): number {
  const configured = Number(env.STATUSPAGE_REQUESTS_PER_MINUTE);
  return Number.isInteger(configured) && configured > 0
    ? configured
    : DEFAULT_STATUSPAGE_REQUESTS_PER_MINUTE;
}

/** Runs after requireAuth (app.ts), before the route's policy check and input validation. */
export const statuspageRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  if (counted.has(c)) return next();
  counted.add(c);
  const credential = c.var.actor ? credentialOf(c.var.actor) : null;
  if (credential) {
    const limit = requestsPerMinute(c.env);
    const verdict = await limitPerMinute(
      c.env.RATE_LIMITS,
      `statuspage:${credential}`,
      limit,
      (work) => c.executionCtx.waitUntil(work),
    );
    if (!verdict.allowed) {
      throw new AppError(
        'RATE_LIMITED',
        `Rate limit of ${limit} requests a minute per credential exceeded; retry in ${verdict.retryAfterSeconds}s`,
        { retryAfterSeconds: verdict.retryAfterSeconds },
      );
    }
  }
  await next();
});
