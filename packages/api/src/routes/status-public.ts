import {
  ComponentsJsonV2,
  IncidentsJsonV2,
  ScheduledMaintenancesJsonV2,
  StatusJsonV2,
  StatusSummaryV2,
} from '@skypatch/protocol';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { DatabaseService } from '../db';
import type { AppEnv } from '../env';
import {
  isStatusPathRequest,
  resolveHost,
  resolveStatusPage,
  statusPathRequest,
} from '../status-pages/host';
import {
  loadPublicDocument,
  type PublicDocument,
  type PublicStatusSource,
} from '../status-pages/public-cache';
import { PUBLIC_V2_DOCUMENTS, type PublicV2Endpoint } from '../status-pages/serialize';
import { createRouter, defineRoute, jsonResponse } from './openapi';

// Statuspage's public Status API v2 (shared/specs/statuspage.md §1): eight read-only JSON
// documents per page, unauthenticated, CORS-open and briefly cacheable. Declared under
// /status/{subdomain}/api/v2/; a request on a status host (subdomain, page id or custom domain)
// reaches the same routes through statusHostRouting.

/** Short, shared, and revalidated by ETag (§1.1); the HTML page and feeds use it too. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=10, stale-while-revalidate=30';
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'If-None-Match',
  'access-control-expose-headers': 'ETag',
  'access-control-max-age': '86400',
};

/** The v2 API under the local path; on a status host the path is tested after re-dispatch. */
const STATUS_API_PATH = /^\/status\/[^/]+\/api\/v2\//;

type Lifetime = Pick<ExecutionContext, 'waitUntil'>;

// Hono's executionCtx getter throws when the app runs without one (app.request in a unit test).
function lifetimeOf(c: { executionCtx: Lifetime }): Lifetime | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Mounted first: a request whose Host names a status page is re-dispatched as
 * `/status/<subdomain><path>` through `dispatch` (the app itself), so every public status route
 * serves both ways. `<label>.<STATUS_PAGES_DOMAIN>` hosts that name no page answer 404; any
 * other host that is no page's custom domain continues as an API request.
 */
export function statusHostRouting(
  dispatch: (
    request: Request,
    env: Env,
    lifetime: ExecutionContext | undefined,
  ) => Promise<Response> | Response,
) {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Preflights of the public API need no page lookup: the answer is the same everywhere.
    if (c.req.method === 'OPTIONS' && STATUS_API_PATH.test(c.req.path)) {
      return c.body(null, 204, CORS);
    }
    if (isStatusPathRequest(c.req.raw)) return next();
    const db = new DatabaseService(c.env).getReadDb('fast');
    const host = await resolveHost(db, c.env, new URL(c.req.url).hostname);
    if (host.kind === 'api') return next();
    if (host.kind === 'unknown-page') return notFound(c, 'No status page at this address');
    return dispatch(
      statusPathRequest(c.req.raw, host.page),
      c.env,
      lifetimeOf(c) as ExecutionContext | undefined, // the Worker's own context, passed on
    );
  });
}

function notFound(c: Context, message: string) {
  return c.json({ error: { code: 'NOT_FOUND', message } }, 404, {
    ...CORS,
    'cache-control': PUBLIC_CACHE_CONTROL,
  });
}

/** Where a public status response reads its page and view from: replicas first, then the cache. */
export function publicStatusSource(c: Context<AppEnv>): PublicStatusSource {
  const database = new DatabaseService(c.env);
  const lifetime = lifetimeOf(c);
  return {
    db: database.getReadDb('fast'),
    freshDb: () => database.getReadDb('fresh'),
    kv: c.env.CACHE,
    urls: {
      statusPagesDomain: c.env.STATUS_PAGES_DOMAIN || undefined,
      requestOrigin: new URL(c.req.url).origin,
    },
    waitUntil: (work) => lifetime?.waitUntil(work),
  };
}

/**
 * The document with its ETag, or an empty 304 when If-None-Match already names it (or `*`).
 * `headers` go on both answers; `bodyHeaders` only on the 200.
 */
export function etagResponse(
  c: Context,
  document: PublicDocument,
  headers: Record<string, string>,
  bodyHeaders: Record<string, string> = {},
) {
  const withTag = { ...headers, etag: document.etag };
  const known = c.req
    .header('if-none-match')
    ?.split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''));
  if (known?.some((tag) => tag === '*' || tag === document.etag)) {
    return c.body(null, 304, withTag);
  }
  return c.body(document.body, 200, { ...withTag, ...bodyHeaders });
}

/** Serves one document: the page from the host or the path, the view from cache, 304 on a match. */
async function serveDocument(c: Context<AppEnv>, subdomain: string, endpoint: PublicV2Endpoint) {
  const source = publicStatusSource(c);
  const page = await resolveStatusPage(source.db, c.req.raw, subdomain);
  if (!page) return notFound(c, 'No such status page');
  const document = await loadPublicDocument(page, endpoint, source);
  if (!document) return notFound(c, 'No such status page');
  return etagResponse(
    c,
    document,
    { ...CORS, 'cache-control': PUBLIC_CACHE_CONTROL },
    { 'content-type': 'application/json; charset=utf-8' },
  );
}

const SubdomainParams = z.object({ subdomain: z.string().min(1).max(63) });

const DOCUMENT_ROUTES = [
  [
    'summary',
    StatusSummaryV2,
    'getStatusSummary',
    'Page, components, unresolved incidents, upcoming and active maintenances, indicator',
  ],
  ['status', StatusJsonV2, 'getStatusIndicator', 'The page and its indicator'],
  [
    'components',
    ComponentsJsonV2,
    'getStatusComponents',
    'Every component, group containers included',
  ],
  [
    'incidents',
    IncidentsJsonV2,
    'getStatusIncidents',
    'The 50 most recent incidents, newest first',
  ],
  [
    'incidents/unresolved',
    IncidentsJsonV2,
    'getStatusUnresolvedIncidents',
    'Unresolved incidents, newest first',
  ],
  [
    'scheduled-maintenances',
    ScheduledMaintenancesJsonV2,
    'getStatusMaintenances',
    'The 50 latest scheduled maintenances, latest window first',
  ],
  [
    'scheduled-maintenances/upcoming',
    ScheduledMaintenancesJsonV2,
    'getStatusUpcomingMaintenances',
    'Maintenances still scheduled, soonest first',
  ],
  [
    'scheduled-maintenances/active',
    ScheduledMaintenancesJsonV2,
    'getStatusActiveMaintenances',
    'Maintenances in progress or verifying, soonest first',
  ],
] as const satisfies ReadonlyArray<readonly [PublicV2Endpoint, unknown, string, string]>;

const BASE = '/status/{subdomain}/api/v2';

const router = createRouter();
for (const [endpoint, schema, operationId, summary] of DOCUMENT_ROUTES) {
  const route = defineRoute(
    { kind: 'public' },
    {
      method: 'get',
      path: `${BASE}/${endpoint}.json`,
      tags: ['status pages'],
      operationId,
      summary: `Status API v2: ${summary}`,
      description:
        'Statuspage-compatible. Also served without `.json`, and at `/api/v2/…` on the ' +
        'page host (`<subdomain>.<STATUS_PAGES_DOMAIN>`, `<page id>.<STATUS_PAGES_DOMAIN>` or ' +
        'the custom domain). CORS-open; `ETag` and `If-None-Match` supported.',
      request: { params: SubdomainParams },
      responses: {
        200: jsonResponse(schema, summary),
        304: { description: 'Unchanged since the ETag sent in If-None-Match' },
        404: jsonResponse(
          z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
          'No such page',
        ),
      },
    },
  );
  // The body is already JSON text (cached once per page change), so it goes out as is.
  router.openapi(route, (c) => serveDocument(c, c.req.valid('param').subdomain, endpoint) as never);
}

/** A path segment's text, or undefined for malformed escapes (`%E0%A4%A`): those name nothing. */
function decodedPath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

const isEndpoint = (name: string): name is PublicV2Endpoint =>
  Object.hasOwn(PUBLIC_V2_DOCUMENTS, name);

export const statusPublicRoutes = router
  // Without `.json` (§1.1), and the 404 for every other path under /api/v2. OPTIONS is
  // answered by statusHostRouting.
  .get('/status/:subdomain/api/v2/*', (c) => {
    const prefix = `/status/${c.req.param('subdomain')}/api/v2/`;
    const name = decodedPath(c.req.path.slice(prefix.length))?.replace(/\.json$/, '');
    if (name === undefined || !isEndpoint(name)) return notFound(c, 'No such endpoint');
    return serveDocument(c, c.req.param('subdomain'), name);
  });
