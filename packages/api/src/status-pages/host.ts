import { eq, or, sql } from 'drizzle-orm';
import type { Database } from '../db';
import { type Page, pages } from '../db/schema';
import { hostnameOf } from '../lib/hosts';

// Which status page a request is for (shared/specs/statuspage.md §1.1). A page answers on
// `<subdomain>.<STATUS_PAGES_DOMAIN>`, on `<page id>.<STATUS_PAGES_DOMAIN>` (so Atlassian's
// se-v2.js works with `{page: id, host: base}`), on its custom domain, and locally under
// `/status/<subdomain>/…`. Requests on a status host are re-dispatched under that local path,
// so every public status route (JSON API, HTML page, feeds) is declared once.

/** Custom-domain answers kept in this isolate; a miss here costs one KV read, not a D1 read. */
export const HOST_MEMO_TTL_MS = 60_000;
/** How long KV remembers that a host is no page's custom domain (forgetStatusHost clears it). */
export const HOST_NEGATIVE_TTL_S = 300;
const NO_PAGE = '-';

export interface StatusHostEnv {
  CACHE: KVNamespace;
  PUBLIC_URL?: string;
  STATUS_PAGES_DOMAIN?: string;
}

/** What a Host header names, before any lookup. */
export type HostKind =
  | { kind: 'api' }
  /** `<label>.<STATUS_PAGES_DOMAIN>`: label is a subdomain or a page id; unknown → 404. */
  | { kind: 'base'; label: string }
  /** Any other host: maybe a page's custom domain; unknown → the API as usual. */
  | { kind: 'custom'; host: string };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function classifyHost(hostname: string, env: StatusHostEnv): HostKind {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (LOCAL_HOSTS.has(host) || host.endsWith('.workers.dev') || host === hostnameOf(env.PUBLIC_URL))
    return { kind: 'api' };
  const base = env.STATUS_PAGES_DOMAIN?.toLowerCase();
  if (base) {
    if (host === base) return { kind: 'api' };
    if (host.endsWith(`.${base}`)) {
      const label = host.slice(0, -(base.length + 1));
      // Deeper names (a.b.<base>) are nobody's page: they fall through to the API.
      return label.includes('.') ? { kind: 'api' } : { kind: 'base', label };
    }
  }
  return { kind: 'custom', host };
}

/**
 * A page by id or, failing that, by subdomain: one statement on two unique indexes. The id wins:
 * ids are minted by us, subdomains chosen by editors, so a page whose subdomain is another
 * page's id must not take over `<that id>.<base>`.
 */
export async function findPageByLabel(db: Database, label: string): Promise<Page | null> {
  const rows = await db
    .select()
    .from(pages)
    .where(or(eq(pages.id, label), eq(pages.subdomain, label)))
    .orderBy(sql`${pages.id} = ${label} DESC`)
    .limit(1);
  return rows[0] ?? null;
}

/** How long "no page has this label" is believed; forgetStatusLabel clears it sooner. */
export const LABEL_NEGATIVE_TTL_S = 60;
/** Labels remembered in this isolate; the oldest go first, so probing random names stays bounded. */
const LABEL_MEMO_ENTRIES = 1_000;
const labelKey = (label: string) => `status-label:v1:${label}`;
const labelMemo = new Map<string, { found: boolean; checkedAt: number }>();

function rememberLabel(label: string, found: boolean, now: number) {
  labelMemo.delete(label);
  labelMemo.set(label, { found, checkedAt: now });
  for (const oldest of labelMemo.keys()) {
    if (labelMemo.size <= LABEL_MEMO_ENTRIES) break;
    labelMemo.delete(oldest);
  }
}

/**
 * findPageByLabel behind a negative cache: a `<label>.<base>` host naming no page is answered
 * from the isolate, then from KV, for LABEL_NEGATIVE_TTL_S, instead of costing a D1 read each
 * time. A label known to exist skips the KV read and goes to D1 for the row.
 */
async function findPageByLabelCached(
  db: Database,
  env: StatusHostEnv,
  label: string,
): Promise<Page | null> {
  const now = Date.now();
  const known = labelMemo.get(label);
  const fresh = known && now - known.checkedAt < LABEL_NEGATIVE_TTL_S * 1_000;
  if (fresh && !known.found) return null;
  if (!fresh && (await env.CACHE.get(labelKey(label))) === NO_PAGE) {
    rememberLabel(label, false, now);
    return null;
  }
  const page = await findPageByLabel(db, label);
  rememberLabel(label, page !== null, now);
  if (!page) {
    await env.CACHE.put(labelKey(label), NO_PAGE, { expirationTtl: LABEL_NEGATIVE_TTL_S }).catch(
      () => {},
    );
  }
  return page;
}

/** Call after a page takes a label (created, or its subdomain changed): it serves at once here. */
export async function forgetStatusLabel(env: Pick<StatusHostEnv, 'CACHE'>, label: string) {
  labelMemo.delete(label);
  await env.CACHE.delete(labelKey(label));
}

export async function findPageBySubdomain(db: Database, subdomain: string): Promise<Page | null> {
  const rows = await db.select().from(pages).where(eq(pages.subdomain, subdomain)).limit(1);
  return rows[0] ?? null;
}

const hostKey = (host: string) => `status-host:v1:${host}`;
const memo = new Map<string, { pageId: string | null; checkedAt: number }>();

/**
 * The page whose custom domain is `host`, or null. The answer "no page" is remembered in the
 * isolate and in KV, so the API's own hosts never pay a D1 read for this lookup; a remembered
 * page id is re-checked against the row it loads, so a domain that moved is never served.
 */
export async function findPageByCustomDomain(
  db: Database,
  env: StatusHostEnv,
  host: string,
): Promise<Page | null> {
  const now = Date.now();
  const known = memo.get(host);
  if (known && now - known.checkedAt < HOST_MEMO_TTL_MS && known.pageId === null) return null;
  const cached = known?.pageId ?? (await env.CACHE.get(hostKey(host)));
  if (cached === NO_PAGE) {
    memo.set(host, { pageId: null, checkedAt: now });
    return null;
  }
  const rows = await db
    .select()
    .from(pages)
    .where(cached ? eq(pages.id, cached) : eq(pages.customDomain, host))
    .limit(1);
  const page = rows[0];
  if (page && page.customDomain === host) {
    memo.set(host, { pageId: page.id, checkedAt: now });
    if (!cached) await env.CACHE.put(hostKey(host), page.id).catch(() => {});
    return page;
  }
  if (cached) {
    // The remembered page no longer has this domain: forget it and look the domain up afresh.
    memo.delete(host);
    await env.CACHE.delete(hostKey(host)).catch(() => {});
    return findPageByCustomDomain(db, env, host);
  }
  memo.set(host, { pageId: null, checkedAt: now });
  await env.CACHE.put(hostKey(host), NO_PAGE, { expirationTtl: HOST_NEGATIVE_TTL_S }).catch(
    () => {},
  );
  return null;
}

/**
 * Call after a page's custom_domain is set or cleared (with the old and the new domain): other
 * isolates follow within HOST_MEMO_TTL_MS.
 */
export async function forgetStatusHost(env: Pick<StatusHostEnv, 'CACHE'>, host: string) {
  const key = host.toLowerCase();
  memo.delete(key);
  await env.CACHE.delete(hostKey(key));
}

/** What the Host header says: a page (found or not) or not a status host at all. */
export type HostResolution =
  | { kind: 'api' }
  | { kind: 'page'; page: Page }
  /** A `<label>.<STATUS_PAGES_DOMAIN>` host that names no page: 404. */
  | { kind: 'unknown-page' };

export async function resolveHost(
  db: Database,
  env: StatusHostEnv,
  hostname: string,
): Promise<HostResolution> {
  const host = classifyHost(hostname, env);
  if (host.kind === 'api') return host;
  if (host.kind === 'base') {
    const page = await findPageByLabelCached(db, env, host.label);
    return page ? { kind: 'page', page } : { kind: 'unknown-page' };
  }
  const page = await findPageByCustomDomain(db, env, host.host);
  return page ? { kind: 'page', page } : { kind: 'api' };
}

// Requests re-dispatched by the host middleware, with the page their host named: routes use it
// instead of looking the page up again. A WeakMap on the Request object itself, so nothing a
// client sends (a header, a path) can claim a page it did not reach through its host.
const pageByRequest = new WeakMap<Request, Page>();

/**
 * The request to re-dispatch for a status host: the same request under `/status/<subdomain>`,
 * remembered with its page.
 */
export function statusPathRequest(request: Request, page: Page): Request {
  const url = new URL(request.url);
  url.pathname = `/status/${page.subdomain}${url.pathname === '/' ? '' : url.pathname}`;
  const rewritten = new Request(url, request);
  pageByRequest.set(rewritten, page);
  return rewritten;
}

export const isStatusPathRequest = (request: Request) => pageByRequest.has(request);

/**
 * The page a public status route serves, both ways: the page the Host named (when the host
 * middleware re-dispatched the request), else the page of the `/status/{subdomain}` path.
 */
export async function resolveStatusPage(
  db: Database,
  request: Request,
  subdomain: string,
): Promise<Page | null> {
  const fromHost = pageByRequest.get(request);
  if (fromHost) return fromHost;
  return findPageBySubdomain(db, subdomain);
}

/**
 * How the page's own links start for this request: empty on a status host (paths are relative
 * to the host's root), `/status/<subdomain>` when served under the local path.
 */
export const statusBasePath = (request: Request, page: Pick<Page, 'subdomain'>) =>
  pageByRequest.has(request) ? '' : `/status/${page.subdomain}`;
