import type { Database } from '../db';
import type { Page } from '../db/schema';
import { toBase64Url } from '../lib/encoding';
import {
  buildPublicStatus,
  type PageUrlOptions,
  PUBLIC_V2_DOCUMENTS,
  type PublicStatus,
  type PublicV2Endpoint,
  publicPageUrl,
} from './serialize';
import { loadStatusSnapshot } from './snapshot';

// The public views of a page, cached under a key that embeds `pages.updated_at`. The management
// services set it in the same D1 batch as every change to what a page shows, so a reader that
// has just read the page row (it must, to know which page a request is for) asks for the
// current key and can never be served a view older than that row. No stamp to publish, nothing
// to purge: a change makes a new key and old keys age out.
//
// Two tiers: this isolate's memory (a bounded map), then KV `CACHE`; a miss in both loads one
// snapshot (one D1 batch) and fills both.

/** Old keys are never read again once the page changes; this only bounds KV's storage. */
export const VIEW_KV_TTL_S = 3_600;
/** Views kept in this isolate; the least recently used go first. */
export const VIEW_MEMO_ENTRIES = 100;

export interface PublicDocument {
  body: string;
  etag: string;
}

interface Entry {
  view: PublicStatus;
  documents: Map<PublicV2Endpoint, PublicDocument>;
}

const memo = new Map<string, Entry>();

/** The cache key of a page's view: its id, its change stamp and the URL it is served as. */
export function viewKey(page: Pick<Page, 'id' | 'updatedAt'>, pageUrl: string): string {
  return `status-view:v1:${page.id}:${page.updatedAt.getTime()}:${pageUrl}`;
}

export interface PublicStatusSource {
  /** The Database the page row came from (snapshot.ts says why it must be the same). */
  db: Database;
  /** A primary-only Database for the rare reload when a replica lags the page row. */
  freshDb?: () => Database;
  kv: KVNamespace;
  urls: PageUrlOptions;
  waitUntil: (work: Promise<unknown>) => void;
}

async function loadEntry(page: Page, source: PublicStatusSource): Promise<Entry | null> {
  const key = viewKey(page, publicPageUrl(page, source.urls));
  const known = memo.get(key);
  if (known) {
    memo.delete(key);
    memo.set(key, known); // most recently used last
    return known;
  }
  const cached = await source.kv.get(key);
  let view: PublicStatus | null = cached === null ? null : (JSON.parse(cached) as PublicStatus); // our own JSON, written below
  if (!view) {
    let rows = await loadStatusSnapshot(source.db, page.id);
    // A replica behind the page row would store old data under the new key: read the primary.
    if (rows && rows.page.updatedAt.getTime() < page.updatedAt.getTime() && source.freshDb) {
      rows = await loadStatusSnapshot(source.freshDb(), page.id);
    }
    if (!rows) return null;
    view = buildPublicStatus(rows, source.urls);
    if (rows.page.updatedAt.getTime() >= page.updatedAt.getTime()) {
      const json = JSON.stringify(view);
      source.waitUntil(source.kv.put(key, json, { expirationTtl: VIEW_KV_TTL_S }).catch(() => {}));
    }
  }
  const entry: Entry = { view, documents: new Map() };
  memo.set(key, entry);
  for (const oldest of memo.keys()) {
    if (memo.size <= VIEW_MEMO_ENTRIES) break;
    memo.delete(oldest);
  }
  return entry;
}

/** The page's public view (the HTML page and the feeds render from it), or null if it is gone. */
export async function loadPublicStatus(
  page: Page,
  source: PublicStatusSource,
): Promise<PublicStatus | null> {
  return (await loadEntry(page, source))?.view ?? null;
}

/** A rendered body with its strong ETag (a SHA-256 prefix), for the JSON documents and the HTML. */
export async function toPublicDocument(body: string): Promise<PublicDocument> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  return { body, etag: `"${toBase64Url(new Uint8Array(digest)).slice(0, 27)}"` };
}

/** One v2 document as JSON text with its ETag, rendered once per view and isolate. */
export async function loadPublicDocument(
  page: Page,
  endpoint: PublicV2Endpoint,
  source: PublicStatusSource,
): Promise<PublicDocument | null> {
  const entry = await loadEntry(page, source);
  if (!entry) return null;
  const known = entry.documents.get(endpoint);
  if (known) return known;
  const document = await toPublicDocument(
    JSON.stringify(PUBLIC_V2_DOCUMENTS[endpoint](entry.view)),
  );
  entry.documents.set(endpoint, document);
  return document;
}
