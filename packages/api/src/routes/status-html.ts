import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { pageUptime } from '../core/uptime';
import type { Database } from '../db';
import type { Page } from '../db/schema';
import type { AppEnv } from '../env';
import { renderAtomFeed, renderRssFeed } from '../status-pages/feeds';
import { HISTORY_MAX_PAGE, loadIncidentHistoryCached } from '../status-pages/history';
import { resolveStatusPage, statusBasePath } from '../status-pages/host';
import { renderHistoryPage } from '../status-pages/html/history';
import {
  renderIncidentPage,
  renderNotFoundPage,
  renderStatusPage,
} from '../status-pages/html/page';
import { loadArchivedIncidentCached } from '../status-pages/incident-archive';
import {
  loadPublicStatus,
  type PublicStatusSource,
  toPublicDocument,
} from '../status-pages/public-cache';
import type { PublicStatus } from '../status-pages/serialize';
import { loadUptimeDataCached } from '../status-pages/uptime-cache';
import { etagResponse, PUBLIC_CACHE_CONTROL, publicStatusSource } from './status-public';

// The public HTML status page, one incident's page, the monthly history and the two feeds (spec
// §5.4, §6), under `/status/{subdomain}/…`. On a status host (subdomain, page id or custom domain)
// the host middleware re-dispatches `/`, `/incidents/{id}`, `/history`, `/history.atom` and
// `/history.rss` here, and
// the page's links then start at the host's root (statusBasePath).

const SubdomainParam = z.object({ subdomain: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/) });
// `?page=` of /history; anything else (page=0, page=x) is a 404 page like an unknown path.
const HistoryQuery = z.object({
  page: z.coerce.number().int().min(1).max(HISTORY_MAX_PAGE).default(1),
});
const IncidentParam = SubdomainParam.extend({ incidentId: z.string().regex(/^[0-9a-z]{1,40}$/) });

// Nothing loads but the inline stylesheet; names and bodies are escaped anyway.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

type StatusContext = Context<AppEnv>;

interface Loaded {
  db: Database;
  page: Page;
  status: PublicStatus;
  basePath: string;
  source: PublicStatusSource;
}

async function loadPage(c: StatusContext, subdomain: string): Promise<Loaded | null> {
  const source = publicStatusSource(c);
  const page = await resolveStatusPage(source.db, c.req.raw, subdomain);
  if (!page) return null;
  const status = await loadPublicStatus(page, source);
  if (!status) return null;
  return { db: source.db, page, status, basePath: statusBasePath(c.req.raw, page), source };
}

/** The body with its caching headers (as the public JSON API's), or 304 when the client holds it. */
async function cachedResponse(c: StatusContext, body: string, contentType: string) {
  return etagResponse(c, await toPublicDocument(body), {
    'content-type': contentType,
    'cache-control': PUBLIC_CACHE_CONTROL,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
  });
}

const notFoundPage = async (c: StatusContext) =>
  c.html(await renderNotFoundPage(), 404, { 'cache-control': 'public, max-age=10' });

const HTML = 'text/html; charset=utf-8';

async function htmlPage(c: StatusContext) {
  const params = SubdomainParam.safeParse(c.req.param());
  const loaded = params.success ? await loadPage(c, params.data.subdomain) : null;
  if (!loaded) return notFoundPage(c);
  const now = new Date();
  const timeZone = loaded.status.page.time_zone;
  // Cached per page change and day: on a hit the page row is the only D1 read of the view.
  const data = await loadUptimeDataCached(loaded.page, timeZone, now, loaded.source);
  const uptime = pageUptime(loaded.status.components, data.stretches, data.related, {
    timeZone,
    now,
  });
  const body = await renderStatusPage({ ...loaded, uptime, now });
  return cachedResponse(c, body.toString(), HTML);
}

async function incidentPage(c: StatusContext) {
  const params = IncidentParam.safeParse(c.req.param());
  const loaded = params.success ? await loadPage(c, params.data.subdomain) : null;
  const incidentId = params.data?.incidentId;
  if (!loaded || !incidentId) return notFoundPage(c);
  let status = loaded.status;
  let incident = [...status.incidents, ...status.scheduledMaintenances].find(
    (candidate) => candidate.id === incidentId,
  );
  // The view holds the incidents the public lists show (the 50 newest, open ones and the last
  // 15 days); an older one is read on its own, with its postmortem, and cached per page stamp.
  if (!incident) {
    const archived = await loadArchivedIncidentCached(loaded.page, incidentId, loaded.source);
    if (!archived) return notFoundPage(c);
    incident = archived.incident;
    const { postmortem } = archived;
    if (postmortem) {
      const postmortems = { ...status.display.postmortems, [incidentId]: postmortem };
      status = { ...status, display: { ...status.display, postmortems } };
    }
  }
  const body = await renderIncidentPage(
    { ...loaded, status, uptime: new Map(), now: new Date() },
    incident,
  );
  return cachedResponse(c, body.toString(), HTML);
}

async function historyPage(c: StatusContext) {
  const params = SubdomainParam.safeParse(c.req.param());
  const query = HistoryQuery.safeParse(c.req.query());
  const loaded = params.success && query.success ? await loadPage(c, params.data.subdomain) : null;
  if (!loaded || !query.success) return notFoundPage(c);
  const now = new Date();
  const pageNumber = query.data.page;
  const timeZone = loaded.status.page.time_zone;
  const history = await loadIncidentHistoryCached(
    loaded.page,
    timeZone,
    now,
    pageNumber,
    loaded.source,
  );
  const body = await renderHistoryPage({ ...loaded, uptime: new Map(), now }, history, pageNumber);
  return cachedResponse(c, body.toString(), HTML);
}

function feed(render: (status: PublicStatus) => string, contentType: string) {
  return async (c: StatusContext) => {
    const params = SubdomainParam.safeParse(c.req.param());
    const loaded = params.success ? await loadPage(c, params.data.subdomain) : null;
    // A page with feeds off answers as if they did not exist (allow_rss_atom_feeds, §5.4).
    if (!loaded?.status.display.allowRssAtomFeeds) return notFoundPage(c);
    return cachedResponse(c, render(loaded.status), contentType);
  };
}

export const statusHtmlRoutes = new Hono<AppEnv>()
  .get('/status/:subdomain', htmlPage)
  .get('/status/:subdomain/', htmlPage)
  .get('/status/:subdomain/incidents/:incidentId', incidentPage)
  .get('/status/:subdomain/history', historyPage)
  .get(
    '/status/:subdomain/history.atom',
    feed(renderAtomFeed, 'application/atom+xml; charset=utf-8'),
  )
  .get('/status/:subdomain/history.rss', feed(renderRssFeed, 'application/rss+xml; charset=utf-8'));
