/**
 * Update checks per app and IP (seed 002's `sdk:{appId}:{ip}` in KV RATE_LIMITS), cheap enough
 * for a path every launch takes. Each isolate counts in memory first; only an (app, IP) that
 * already sent LOCAL_SHARE of the limit through this isolate in the current minute reads and
 * writes KV, at most once a second, to add up what other isolates saw. A normal device (a few
 * checks a minute) never costs a KV operation. Like every KV counter this is approximate across
 * locations: it stops floods, it is not a quota.
 */

export const DEFAULT_CHECKS_PER_MINUTE = 1_000;
const WINDOW_MS = 60_000;
const LOCAL_SHARE = 0.1;
const SYNC_MS = 1_000;
const KV_TTL_S = 120; // KV's floor is 60 s; the value names its window anyway
const MAX_TRACKED = 50_000;

interface Counter {
  window: number;
  local: number; // checks this isolate counted in the window
  synced: number; // of which already added to KV
  remote: number; // the KV total at the last sync, this isolate's synced share included
  syncedAt: number;
}

const counters = new Map<string, Counter>();

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export function limitCheck(
  kv: KVNamespace,
  subject: { appId: string; ip: string },
  limit: number,
  waitUntil: (work: Promise<unknown>) => void,
  now = Date.now(),
): Promise<LimitVerdict> {
  return limitPerMinute(kv, `sdk:${subject.appId}:${subject.ip}`, limit, waitUntil, now);
}

/**
 * One hit of `key` (a KV key naming its subject) against `limit` a minute, counted the way
 * update checks are: in the isolate first, in KV once past LOCAL_SHARE of the limit, at most
 * once a second per key and isolate. Fixed one-minute windows; the status-page management API
 * uses it too (middleware/status-rate-limit.ts).
 */
export async function limitPerMinute(
  kv: KVNamespace,
  key: string,
  limit: number,
  waitUntil: (work: Promise<unknown>) => void,
  now = Date.now(),
): Promise<LimitVerdict> {
  const window = Math.floor(now / WINDOW_MS);
  let counter = counters.get(key);
  if (!counter || counter.window !== window) {
    if (counters.size >= MAX_TRACKED) counters.clear();
    counter = { window, local: 0, synced: 0, remote: 0, syncedAt: 0 };
    counters.set(key, counter);
  }
  counter.local += 1;

  if (counter.local >= limit * LOCAL_SHARE) {
    if (counter.syncedAt === 0) await sync(kv, key, counter, now);
    else if (now - counter.syncedAt >= SYNC_MS) waitUntil(sync(kv, key, counter, now));
  }
  const total = counter.remote + counter.local - counter.synced;
  if (total <= limit) return { allowed: true };
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)),
  };
}

/** Adds this isolate's unsynced checks to the KV total of the window and reads it back. */
async function sync(kv: KVNamespace, key: string, counter: Counter, now: number): Promise<void> {
  counter.syncedAt = now;
  try {
    const stored = await kv.get<{ window: number; count: number }>(key, 'json');
    const base = stored?.window === counter.window ? stored.count : 0;
    const pending = counter.local - counter.synced;
    counter.remote = base + pending;
    counter.synced = counter.local;
    await kv.put(key, JSON.stringify({ window: counter.window, count: counter.remote }), {
      expirationTtl: KV_TTL_S,
    });
  } catch {
    // KV unavailable: the isolate's own count still applies.
  }
}
