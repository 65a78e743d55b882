import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ZodError } from 'zod';
import type { AppEnv } from '../env';
import { parseBracketForm } from '../lib/bracket-form';
import { AppError } from '../lib/errors';
import { retryAfterOf, toErrorResponse } from '../middleware/errors';
import { STATUSPAGE_MANAGEMENT_PATHS, statuspageRateLimit } from '../middleware/status-rate-limit';
import { IdParam } from './params';

// The status-page management API speaks Statuspage's v1 dialect (spec §4.1): optional `.json`
// on every path, form-encoded bracket bodies beside JSON, and errors that carry a top-level
// `message` (OAS ErrorEntity) beside our `{ error: { code, message } }`.

/** Our error body plus the top-level `message` Statuspage clients read. */
function statuspageError(err: unknown, c: Context) {
  const { status, body } = toErrorResponse(err);
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== null) c.header('retry-after', String(retryAfter));
  return c.json({ ...body, message: body.error.message }, status);
}

/** Form bodies (`incident[name]=…`) become the JSON the route's zod schema validates. */
const formBodyAsJson = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const fields = parseBracketForm(await c.req.raw.text());
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(c.req.raw.url, {
      method: c.req.raw.method,
      headers,
      body: JSON.stringify(fields),
    });
  }
  await next();
});

/** A router for /v1/pages routes: Statuspage's error dialect and form bodies. */
export function createStatusRouter() {
  const router = new OpenAPIHono<AppEnv>({
    defaultHook: (result: { success: true } | { success: false; error: ZodError }, c) =>
      result.success ? undefined : statuspageError(result.error, c),
  });
  router.onError((err, c) => {
    // Ours to render are the caller's mistakes; a 5xx goes on to the app's handler, which logs.
    if (!(err instanceof AppError) && toErrorResponse(err).status >= 500) throw err;
    return statuspageError(err, c);
  });
  // Per credential, before the route's policy check: a limited caller costs no D1 read.
  for (const path of STATUSPAGE_MANAGEMENT_PATHS) router.use(path, statuspageRateLimit);
  router.use('/v1/pages/*', formBodyAsJson);
  router.use('/v1/orgs/:orgId/pages', formBodyAsJson);
  return router;
}

/** Path ids as Statuspage clients send them: `{id}.json` means `{id}`. */
export function withoutJsonSuffix<T extends Record<string, string>>(params: T): T {
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => [key, value.replace(/\.json$/, '')]),
  ) as T; // same keys, same string values
}

export const PageParams = z.object({ page_id: IdParam });
export const ComponentParams = PageParams.extend({ component_id: IdParam });
export const GroupParams = PageParams.extend({ component_group_id: IdParam });
export const IncidentParams = PageParams.extend({ incident_id: IdParam });
export const IncidentUpdateParams = IncidentParams.extend({ incident_update_id: IdParam });

/** The statuses a page route may answer besides its success, in Statuspage's shape. */
export const StatuspageErrorBody = z.object({
  message: z.string(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: StatuspageErrorBody } },
});
export const statuspageErrors = {
  400: errorResponse('Invalid request'),
  401: errorResponse('Missing or invalid credentials'),
  403: errorResponse('The credentials do not allow this'),
  404: errorResponse('Not found (an unknown page and another org’s page look the same)'),
  409: errorResponse('Conflict'),
  422: errorResponse('A status of the wrong kind for this incident'),
  429: errorResponse('Too many requests from this credential (see Retry-After)'),
};

/** Form bodies are accepted too; the document shows JSON, which is what they are read as. */
export function statuspageBody<T extends z.ZodType>(schema: T, description: string) {
  return {
    required: true,
    description: `${description}. Also accepted form-encoded with bracket names, e.g. \`incident[name]=…\`.`,
    content: { 'application/json': { schema } },
  };
}

/**
 * The same route at `<path>.json`, hidden from the document: Statuspage clients call
 * `/incidents.json` (HUBOT, LEG). Routes ending in an id need no alias: their handlers strip
 * the suffix from the id (`withoutJsonSuffix`).
 */
export function jsonAlias<R extends { path: string }>(route: R): R {
  return { ...route, path: `${route.path}.json`, hide: true };
}
