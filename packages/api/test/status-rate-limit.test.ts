import { env } from 'cloudflare:workers';
import { StatusPageJson } from '@skypatch/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiKey, createMember, createOrg, type TestOrg } from './factories';
import { request } from './request';

// The per-credential limit of the status-page management API (spec §4.1: 429 with
// Retry-After), through the Worker. STATUSPAGE_REQUESTS_PER_MINUTE is low in tests
// (vitest.config.ts). The clock is pinned 5 s into a minute, so a loop never straddles a window.

const LIMIT = Number(env.STATUSPAGE_REQUESTS_PER_MINUTE);
const MINUTE = 60_000;

interface World {
  test: TestOrg;
  page: StatusPageJson;
  key: string;
  keyId: string;
}

/** An org with a page; the page is made with a key of its own, so `key` starts at zero. */
async function world(): Promise<World> {
  const test = await createOrg();
  const setup = await createApiKey(test, 'admin');
  const res = await request('POST', `/v1/orgs/${test.org.id}/pages`, {
    key: setup.secret,
    json: { page: { name: 'Limits', subdomain: `rl-${test.org.id.slice(4, 16).toLowerCase()}` } },
  });
  expect(res.status, res.text).toBe(201);
  const { secret, row } = await createApiKey(test, 'admin');
  return { test, page: StatusPageJson.parse(res.body), key: secret, keyId: row.id };
}

/** Spends `count` requests of `key`'s minute, mixing reads and writes, paths and aliases. */
async function spend(w: World, key: string, count: number) {
  const paths = [
    ['GET', `/v1/pages/${w.page.id}`],
    ['GET', `/v1/pages/${w.page.id}/components.json`],
    ['PATCH', `/v1/pages/${w.page.id}`],
    ['GET', '/v1/pages'],
    ['GET', `/v1/orgs/${w.test.org.id}/pages`],
  ] as const;
  for (let i = 0; i < count; i++) {
    const [method, path] = paths[i % paths.length] ?? paths[0];
    const res = await request(method, path, {
      headers: { authorization: `OAuth ${key}` },
      ...(method === 'PATCH' ? { json: { page: { name: `Limits ${i}` } } } : {}),
    });
    expect(res.status, `request ${i + 1} of ${count}: ${res.text}`).toBe(200);
  }
}

const getPage = (w: World, key: string) =>
  request('GET', `/v1/pages/${w.page.id}`, { headers: { authorization: `OAuth ${key}` } });

let minuteStart = 0;
beforeEach(() => {
  // Only Date is faked: timers and I/O stay real. The next minute starts at most 60 s ahead,
  // well inside the keys' and sessions' lifetimes.
  minuteStart = (Math.floor(Date.now() / MINUTE) + 1) * MINUTE;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(minuteStart + 5_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('status-page management API rate limit (spec §4.1)', () => {
  it('is low enough in tests to reach, and above what one status test spends', () => {
    expect(LIMIT).toBeGreaterThanOrEqual(20);
    expect(LIMIT).toBeLessThanOrEqual(100);
  });

  it('answers the request past the limit with 429, Retry-After and both error shapes', async () => {
    const w = await world();
    await spend(w, w.key, LIMIT);
    const limited = await getPage(w, w.key);
    expect(limited.status, limited.text).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('55'); // the window ends 55 s later
    expect(limited.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.stringContaining(`${LIMIT} requests`),
        details: { retryAfterSeconds: 55 },
      },
      message: expect.stringContaining('retry in 55s'),
    });
    // Writes are refused too, and refused before they touch anything.
    const write = await request('PATCH', `/v1/pages/${w.page.id}`, {
      key: w.key,
      json: { page: { name: 'Not written' } },
    });
    expect(write.status).toBe(429);
    vi.setSystemTime(minuteStart + 59_000);
    expect((await getPage(w, w.key)).headers.get('retry-after')).toBe('1');
    const { secret: fresh } = await createApiKey(w.test, 'admin');
    const page = await getPage(w, fresh);
    expect(StatusPageJson.parse(page.body).name).not.toBe('Not written');
  });

  it('counts each credential on its own: another key, and a session, are unaffected', async () => {
    const w = await world();
    await spend(w, w.key, LIMIT);
    expect((await getPage(w, w.key)).status).toBe(429);

    const { secret: other } = await createApiKey(w.test, 'admin');
    expect((await getPage(w, other)).status).toBe(200);
    const session = await createMember(w.test, 'admin');
    await spend(w, session.accessToken, LIMIT);
    expect((await getPage(w, session.accessToken)).status).toBe(429);
    // The key limited first is still limited; `other` still has its own minute.
    expect((await getPage(w, w.key)).status).toBe(429);
    expect((await getPage(w, other)).status).toBe(200);
  });

  it('starts over when the minute ends', async () => {
    const w = await world();
    await spend(w, w.key, LIMIT);
    expect((await getPage(w, w.key)).status).toBe(429);
    vi.setSystemTime(minuteStart + MINUTE - 1);
    expect((await getPage(w, w.key)).status).toBe(429);
    vi.setSystemTime(minuteStart + MINUTE);
    await spend(w, w.key, LIMIT);
    expect((await getPage(w, w.key)).status).toBe(429);
  });

  it('shares counts through KV: writes its own, and adds what other isolates stored', async () => {
    const w = await world();
    const window = minuteStart / MINUTE;
    const share = Math.ceil(LIMIT * 0.1); // delivery/rate-limit.ts LOCAL_SHARE
    // Below a tenth of the limit an isolate keeps the count to itself; at it, KV gets the total.
    await spend(w, w.key, share - 1);
    expect(await env.RATE_LIMITS.get(`statuspage:key:${w.keyId}`)).toBeNull();
    await spend(w, w.key, 1);
    expect(await env.RATE_LIMITS.get(`statuspage:key:${w.keyId}`, 'json')).toEqual({
      window,
      count: share,
    });

    // A key whose minute other isolates already spent: this isolate learns it at its first sync.
    const busy = await createApiKey(w.test, 'admin');
    await env.RATE_LIMITS.put(
      `statuspage:key:${busy.row.id}`,
      JSON.stringify({ window, count: LIMIT }),
    );
    await spend(w, busy.secret, share - 1);
    expect((await getPage(w, busy.secret)).status).toBe(429);
  });

  it('leaves the public status API and page alone', async () => {
    const w = await world();
    await spend(w, w.key, LIMIT);
    expect((await getPage(w, w.key)).status).toBe(429);
    const headers = { authorization: `OAuth ${w.key}` };
    for (let i = 0; i < 3; i++) {
      const summary = await request('GET', `/status/${w.page.subdomain}/api/v2/summary.json`, {
        headers,
      });
      expect(summary.status, summary.text).toBe(200);
    }
  });
});
