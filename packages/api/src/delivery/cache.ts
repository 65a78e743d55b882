/**
 * Read-through caching for the update-check path, in two tiers:
 * 1. this isolate's memory, trusted for ISOLATE_TTL_MS without any I/O;
 * 2. KV `CACHE`, under a key that embeds a version stamp. Writers bump the stamp after every
 *    change they commit (services/cache.ts), so a changed stamp means a new key: a miss, one
 *    D1 read, and nothing stale is ever served under the new stamp.
 *
 * Why it is safe: a reader reads the stamp *before* it loads D1, and a writer publishes the new
 * stamp *after* its commit, so whatever a reader stores under stamp S is at least as new as the
 * state S was published for. How stale a device can be: KV's own propagation of the stamp
 * (up to STAMP_CACHE_TTL_S at the edge) plus ISOLATE_TTL_MS; docs/delivery.md has the numbers.
 */

export const ISOLATE_TTL_MS = 5_000;
/** KV's minimum edge cache time; the bound on how long another location may read an old stamp. */
export const STAMP_CACHE_TTL_S = 60;
/** Cached views expire even if no stamp moves, bounding the damage of a failed stamp publish. */
export const VIEW_TTL_S = 300;
/** A stamp that was never published: views still cache, under a key no writer will reuse. */
export const UNPUBLISHED_STAMP = '0';
/**
 * What the memo may hold, counted in JSON characters. A parsed view takes about three times its
 * JSON size in the V8 heap (docs/benchmarks.md measured ~110 MB for 1,000 uncapped views), and
 * a Worker has 128 MB: this keeps the memo near 40 MB. Past it, the oldest entries go first.
 */
export const MEMO_BUDGET_CHARS = 12_000_000;

interface Memo {
  stamp: string | null; // null: loaded without knowing the stamp, trusted for the TTL only
  value: unknown;
  checkedAt: number;
  size: number;
}

// Insertion order is age order: remember() re-inserts, eviction takes from the front.
const memo = new Map<string, Memo>();
let memoSize = 0;

export interface ReadThrough<T> {
  kv: KVNamespace;
  /** This isolate's name for the value. */
  memoKey: string;
  stampKey: string;
  viewKey: (stamp: string) => string;
  load: () => Promise<T>;
  /** Whether a loaded value may go to KV (default: always). */
  shareable?: (value: T) => boolean;
  waitUntil: (work: Promise<unknown>) => void;
}

export async function readThrough<T>(options: ReadThrough<T>): Promise<T> {
  const now = Date.now();
  const known = memo.get(options.memoKey);
  if (known && now - known.checkedAt < ISOLATE_TTL_MS) return known.value as T;

  const stamp =
    (await options.kv.get(options.stampKey, { cacheTtl: STAMP_CACHE_TTL_S })) ?? UNPUBLISHED_STAMP;
  if (known && known.stamp === stamp) {
    known.checkedAt = now;
    return known.value as T;
  }
  const key = options.viewKey(stamp);
  const cached = await options.kv.get(key, { cacheTtl: STAMP_CACHE_TTL_S });
  if (cached !== null) {
    const { value } = JSON.parse(cached) as { value: T };
    remember(options.memoKey, stamp, value, now, cached.length);
    return value;
  }
  const value = await options.load();
  // Wrapped, so a null value (an unknown key) caches too.
  const json = JSON.stringify({ value });
  remember(options.memoKey, stamp, value, now, json.length);
  if (options.shareable && !options.shareable(value)) return value;
  options.waitUntil(options.kv.put(key, json, { expirationTtl: VIEW_TTL_S }).catch(() => {}));
  return value;
}

/** Keeps a value this isolate loaded without a stamp (trusted for ISOLATE_TTL_MS only). */
export function rememberUnstamped(memoKey: string, value: unknown): void {
  remember(memoKey, null, value, Date.now(), JSON.stringify(value ?? null).length);
}

export function remembered<T>(memoKey: string): { value: T } | undefined {
  const known = memo.get(memoKey);
  return known && Date.now() - known.checkedAt < ISOLATE_TTL_MS
    ? { value: known.value as T }
    : undefined;
}

/**
 * Writers in this isolate forget everything it memoised, so its own next check reads anew
 * (writes are rare next to checks; other isolates follow within ISOLATE_TTL_MS).
 */
export function forgetInIsolate(): void {
  memo.clear();
  memoSize = 0;
}

/** How much the memo holds now, in JSON characters (for tests and the benchmark). */
export function memoChars(): number {
  return memoSize;
}

function remember(
  memoKey: string,
  stamp: string | null,
  value: unknown,
  now: number,
  size: number,
): void {
  const previous = memo.get(memoKey);
  if (previous) {
    memo.delete(memoKey);
    memoSize -= previous.size;
  }
  for (const [oldest, entry] of memo) {
    if (memoSize + size <= MEMO_BUDGET_CHARS) break;
    memo.delete(oldest);
    memoSize -= entry.size;
  }
  memo.set(memoKey, { stamp, value, checkedAt: now, size });
  memoSize += size;
}
