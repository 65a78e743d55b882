import { zonedDate } from '../core/zoned-time';
import type { Page } from '../db/schema';
import type { PublicStatusSource } from './public-cache';
import { loadUptimeData, type UptimeData } from './uptime-data';

// The uptime bars' rows, cached like the public views (public-cache.ts). Every write that can
// change them (a component's status log, an incident's dates) goes through the management
// services' batch, which moves `pages.updated_at`; the window they cover moves with the date in
// the page's zone. So the key is the page's change stamp plus that date, and a cached answer is
// exactly what the three queries would return. The bars themselves are still computed per
// request from these rows, since today's bar grows with `now`.

/** Keys carry the date, so a day and a bit bounds KV's storage. */
export const UPTIME_KV_TTL_S = 90_000;
/** Entries kept in this isolate; the least recently used go first. */
export const UPTIME_MEMO_ENTRIES = 100;

const memo = new Map<string, UptimeData>();

/** The cache key: the page, its change stamp, its zone and today's date in that zone. */
export function uptimeKey(
  page: Pick<Page, 'id' | 'updatedAt'>,
  timeZone: string,
  now: Date,
): string {
  return `status-uptime:v1:${page.id}:${page.updatedAt.getTime()}:${timeZone}:${zonedDate(now, timeZone)}`;
}

interface StoredUptime {
  stretches: Array<{
    componentId: string;
    status: string;
    startedAt: number;
    endedAt: number | null;
  }>;
  related: Array<{
    componentId: string;
    id: string;
    name: string;
    startedAt: number;
    endedAt: number | null;
  }>;
}

const toStored = (data: UptimeData): StoredUptime => ({
  stretches: data.stretches.map((s) => ({
    ...s,
    startedAt: s.startedAt.getTime(),
    endedAt: s.endedAt?.getTime() ?? null,
  })),
  related: data.related.map((r) => ({
    ...r,
    startedAt: r.startedAt.getTime(),
    endedAt: r.endedAt?.getTime() ?? null,
  })),
});

const fromStored = (stored: StoredUptime): UptimeData => ({
  stretches: stored.stretches.map((s) => ({
    ...s,
    status: s.status as UptimeData['stretches'][number]['status'], // written by toStored
    startedAt: new Date(s.startedAt),
    endedAt: s.endedAt === null ? null : new Date(s.endedAt),
  })),
  related: stored.related.map((r) => ({
    ...r,
    startedAt: new Date(r.startedAt),
    endedAt: r.endedAt === null ? null : new Date(r.endedAt),
  })),
});

function remember(key: string, data: UptimeData) {
  memo.delete(key);
  memo.set(key, data);
  for (const oldest of memo.keys()) {
    if (memo.size <= UPTIME_MEMO_ENTRIES) break;
    memo.delete(oldest);
  }
}

/** loadUptimeData behind the isolate memo and KV: a cache hit costs no D1 read. */
export async function loadUptimeDataCached(
  page: Pick<Page, 'id' | 'updatedAt'>,
  timeZone: string,
  now: Date,
  source: Pick<PublicStatusSource, 'db' | 'kv' | 'waitUntil'>,
): Promise<UptimeData> {
  const key = uptimeKey(page, timeZone, now);
  const known = memo.get(key);
  if (known) {
    remember(key, known); // most recently used last
    return known;
  }
  const cached = await source.kv.get(key);
  if (cached !== null) {
    const data = fromStored(JSON.parse(cached) as StoredUptime); // our own JSON, written below
    remember(key, data);
    return data;
  }
  const data = await loadUptimeData(source.db, page.id, timeZone, now);
  // `db` is the session the page row was read with (snapshot.ts), so these rows are at least
  // as new as the stamp in the key.
  remember(key, data);
  source.waitUntil(
    source.kv
      .put(key, JSON.stringify(toStored(data)), { expirationTtl: UPTIME_KV_TTL_S })
      .catch(() => {}),
  );
  return data;
}
