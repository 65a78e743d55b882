import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';

/** Where devices download packages, diffs and patch artifacts: `{base}/downloads/{r2 key}`. */
export const DOWNLOAD_PREFIX = '/downloads/';

// Only released objects are public: `{appId}/{releaseId}/…` and `patches/…`, never `pending/`.
const SERVED_KEY = /^(app_[A-Za-z0-9]+\/[^/]+\/|patches\/)[^\\]+$/;

/**
 * The absolute URL of an R2 object for a device. Clients need an absolute URL reachable from
 * the phone (codepush.md §1.9, shorebird.md §3): PUBLIC_URL when set, else the request's origin.
 */
export function downloadUrl(env: Pick<Env, 'PUBLIC_URL'>, requestUrl: string, key: string): string {
  const base = env.PUBLIC_URL || new URL(requestUrl).origin;
  const path = key.split('/').map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}${DOWNLOAD_PREFIX}${path}`;
}

/**
 * Streams a released object with the exact Content-Length and no compression, as CodePush's
 * Android client and Shorebird's updater require (codepush.md §1.9, shorebird.md §5.4). Objects
 * never change behind a key, so they cache forever. A range resumes an interrupted download; a
 * range at or past the end answers the whole object, never 416 (shorebird.md §5.4).
 */
export const downloadRoutes = new Hono<AppEnv>().get(`${DOWNLOAD_PREFIX}*`, async (c) => {
  let key: string;
  try {
    key = decodeURIComponent(c.req.path.slice(DOWNLOAD_PREFIX.length));
  } catch {
    throw new AppError('NOT_FOUND', 'No such download');
  }
  if (!SERVED_KEY.test(key) || key.split('/').includes('..')) {
    throw new AppError('NOT_FOUND', 'No such download');
  }
  const head = await c.env.BUNDLES.head(key);
  if (!head) throw new AppError('NOT_FOUND', 'No such download');
  const start = rangeStart(c.req.header('range'), head.size);
  const object = await c.env.BUNDLES.get(
    key,
    start > 0 ? { range: { offset: start }, onlyIf: { etagMatches: head.etag } } : undefined,
  );
  if (!object || !('body' in object)) throw new AppError('NOT_FOUND', 'No such download');
  const headers = new Headers({
    'content-type': head.httpMetadata?.contentType ?? 'application/octet-stream',
    'content-length': String(head.size - start),
    'cache-control': 'public, max-age=31536000, immutable, no-transform',
    'accept-ranges': 'bytes',
    etag: head.httpEtag,
  });
  if (start === 0) return new Response(object.body, { status: 200, headers });
  headers.set('content-range', `bytes ${start}-${head.size - 1}/${head.size}`);
  return new Response(object.body, { status: 206, headers });
});

/** The offset of a `bytes=N-` range inside the object, else 0 (the whole object). */
function rangeStart(range: string | undefined, size: number): number {
  const match = range?.match(/^bytes=(\d+)-$/);
  if (!match) return 0;
  const start = Number(match[1]);
  return start > 0 && start < size ? start : 0;
}
