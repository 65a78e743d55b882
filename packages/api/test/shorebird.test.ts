import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { PatchCheckJson, PatchJson, type ShorebirdEvent } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp as createWorkerApp } from '../src/app';
import { devices, patches, telemetryEvents } from '../src/db/schema';
import { forgetInIsolate } from '../src/delivery/cache';
import { decidePatch, type TargetPatch } from '../src/delivery/patches';
import { sha256Hex } from '../src/lib/crypto';
import { toTelemetryEvent } from '../src/protocols/shorebird';
import { eventually, QUEUE_TEST_MS, QUEUE_WAIT_MS } from './eventually';
import { createApiKey, createApp, createOrg, db } from './factories';
import { api, request } from './request';

// Unmodified Shorebird apps against Skypatch (specs/shorebird.md §1-§4, §7): a client that
// sends exactly the updater's JSON, over the real Worker with local D1, KV and R2.

const VERSION = '1.0.0+1';
const CHECK = '/api/v1/patches/check';
const EVENTS = '/api/v1/patches/events';

// §8 vector V1: a zstd'd bipatch that turns the base `foo` into `bar`.
const V1_PATCH = Uint8Array.from(
  '28b52ffd0080710000dfb1000000100000000362617200'.match(/../g) ?? [],
  (byte) => Number.parseInt(byte, 16),
);
const V1_HASH = 'fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9'; // sha256('bar')

const zstd = (payload: string) =>
  new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...new TextEncoder().encode(payload)]);

// ── the management side, through the API, as patches.test.ts drives it ──────────────────────

async function world() {
  const test = await createOrg();
  const { app } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  const base = `/v1/orgs/${test.org.id}/apps/${app.id}/patches`;
  return { app, key, base, as: api(key.secret) };
}
type World = Awaited<ReturnType<typeof world>>;

async function reserve(w: World, channel?: string): Promise<number> {
  const res = await w.as.post(w.base, { releaseVersion: VERSION, ...(channel ? { channel } : {}) });
  expect(res.status, res.text).toBe(201);
  return PatchJson.parse(res.body).number;
}

async function upload(
  w: World,
  number: number,
  arch: string,
  body: Uint8Array,
  hash: string,
  platform = 'android',
) {
  const res = await request(
    'PUT',
    `${w.base}/${encodeURIComponent(VERSION)}/${number}/artifacts/${platform}/${arch}`,
    {
      key: w.key.secret,
      raw: body,
      headers: { 'content-type': 'application/octet-stream', 'x-patch-hash': hash },
    },
  );
  expect(res.status, res.text).toBe(201);
}

/** A reserved number with one artifact per arch, each with its own bytes and hash. */
async function publish(w: World, arches: string[] = ['aarch64'], channel?: string) {
  const number = await reserve(w, channel);
  for (const arch of arches) {
    await upload(w, number, arch, zstd(`${number}/${arch}`), hashOf(number, arch));
  }
  return number;
}
const hashOf = (number: number, arch: string) =>
  (arch === 'aarch64' ? 'a' : 'b').repeat(62) + String(number).padStart(2, '0');

async function manage(w: World, number: number, verb: 'rollback' | 'roll-forward') {
  const res = await w.as.post(`${w.base}/${encodeURIComponent(VERSION)}/${number}/${verb}`);
  expect(res.status, res.text).toBe(204);
}

// ── a Shorebird-shaped client: the updater's request bodies, keys in its order (§2) ─────────

interface Device {
  app_id: string;
  release_version: string;
  platform: string;
  arch: string;
  client_id: string;
}

const device = (w: World, overrides: Partial<Device> = {}): Device => ({
  app_id: w.app.id,
  release_version: VERSION,
  platform: 'android',
  arch: 'aarch64',
  client_id: crypto.randomUUID(),
  ...overrides,
});

/** The three request shapes in the field. */
const shapes = {
  /** Updaters since 2025-10. */
  current: (d: Device, channel = 'stable') => ({
    app_id: d.app_id,
    channel,
    release_version: d.release_version,
    platform: d.platform,
    arch: d.arch,
    client_id: d.client_id,
  }),
  /** 2024-07 to 2025-10: no number, no client id. */
  anonymous: (d: Device, channel = 'stable') => ({
    app_id: d.app_id,
    channel,
    release_version: d.release_version,
    platform: d.platform,
    arch: d.arch,
  }),
  /** Before 2024-07-19: the highest patch already downloaded, omitted when none. */
  legacy: (d: Device, patchNumber?: number) => ({
    app_id: d.app_id,
    channel: 'stable',
    release_version: d.release_version,
    ...(patchNumber !== undefined ? { patch_number: patchNumber } : {}),
    platform: d.platform,
    arch: d.arch,
  }),
};

async function post(path: string, body: unknown) {
  return request('POST', path, {
    raw: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

/** Posts a check and parses the answer with the protocol schema: 200 JSON, always. */
async function check(body: unknown, path = CHECK): Promise<PatchCheckJson> {
  const res = await post(path, body);
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const parsed = PatchCheckJson.parse(res.body);
  // §3: the Dart API reads only `patch`, so it must be null whenever the flag is false.
  expect(parsed.patch === null).toBe(!parsed.patch_available);
  return parsed;
}

const NO_PATCH = { patch_available: false, patch: null, rolled_back_patch_numbers: [] };

// ── the check ────────────────────────────────────────────────────────────────────────────────

describe('POST /api/v1/patches/check', () => {
  it('limits checks per app and client address', async () => {
    const w = await world();
    const d = device(w);
    const from = (ip: string) =>
      request('POST', CHECK, {
        json: shapes.current(d),
        headers: { 'cf-connecting-ip': ip },
      });
    for (let i = 0; i < Number(env.SDK_CHECKS_PER_MINUTE); i++) {
      expect((await from('203.0.113.9')).status).toBe(200);
    }
    const limited = await from('203.0.113.9');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('203.0.113.10')).status).toBe(200);
  });

  it('gives all three request shapes the newest active patch', async () => {
    const w = await world();
    await publish(w);
    const two = await publish(w);
    const d = device(w);
    for (const body of [shapes.current(d), shapes.anonymous(d), shapes.legacy(d)]) {
      const answer = await check(body);
      expect(answer, JSON.stringify(body)).toEqual({
        patch_available: true,
        patch: {
          number: two,
          download_url: expect.stringMatching(/^https:\/\/skypatch\.test\/downloads\//),
          hash: hashOf(two, 'aarch64'),
          hash_signature: null,
        },
        rolled_back_patch_numbers: [],
      });
    }
    // current_patch_number is informational only (§2).
    expect((await check({ ...shapes.current(d), current_patch_number: two })).patch?.number).toBe(
      two,
    );
    // A missing channel means stable.
    const { channel: _, ...noChannel } = shapes.current(d);
    expect((await check(noChannel)).patch?.number).toBe(two);
  });

  it('answers each arch with its own artifact', async () => {
    const w = await world();
    const one = await publish(w, ['aarch64', 'x86_64']);
    const two = await publish(w, ['aarch64']);
    const arm64 = await check(shapes.current(device(w, { arch: 'aarch64' })));
    const x64 = await check(shapes.current(device(w, { arch: 'x86_64' })));
    expect(arm64.patch).toMatchObject({ number: two, hash: hashOf(two, 'aarch64') });
    expect(x64.patch).toMatchObject({ number: one, hash: hashOf(one, 'x86_64') });
    expect(x64.patch?.download_url).not.toBe(arm64.patch?.download_url);
    expect(x64.patch?.download_url).toMatch(/\/android\/x86_64\/1$/);
    expect(await check(shapes.current(device(w, { arch: 'arm' })))).toEqual(NO_PATCH);
    expect(await check(shapes.current(device(w, { platform: 'ios' })))).toEqual(NO_PATCH);
  });

  it('serves a track only the patches set on it, with no fallback to stable', async () => {
    const w = await world();
    const one = await publish(w);
    const d = device(w);
    expect(await check(shapes.current(d, 'beta'))).toEqual(NO_PATCH);

    const two = await publish(w, ['aarch64'], 'beta');
    expect((await check(shapes.current(d, 'beta'))).patch?.number).toBe(two);
    expect((await check(shapes.current(d))).patch?.number).toBe(one);

    const moved = await w.as.patch(`${w.base}/${encodeURIComponent(VERSION)}/${one}`, {
      channel: 'staging',
    });
    expect(moved.status, moved.text).toBe(200);
    expect(await check(shapes.current(d))).toEqual(NO_PATCH);
    expect((await check(shapes.current(d, 'staging'))).patch?.number).toBe(one);
  });

  it('short-circuits a legacy patch_number at or above the best patch', async () => {
    const w = await world();
    await publish(w);
    const two = await publish(w);
    const d = device(w);
    expect(await check(shapes.legacy(d, two))).toEqual(NO_PATCH);
    expect(await check(shapes.legacy(d, two + 1))).toEqual(NO_PATCH);
    expect((await check(shapes.legacy(d, two - 1))).patch?.number).toBe(two);
    expect((await check(shapes.legacy(d, 0))).patch?.number).toBe(two);
  });

  it('lists a rollback at the next check and serves the patch before it, then rolls forward', async () => {
    const w = await world();
    const one = await publish(w, ['aarch64', 'x86_64']);
    const two = await publish(w, ['aarch64', 'x86_64']);
    const d = device(w);
    expect((await check(shapes.current(d))).patch?.number).toBe(two); // now cached

    await manage(w, two, 'rollback');
    const after = await check(shapes.current(d));
    expect(after.patch).toMatchObject({ number: one, hash: hashOf(one, 'aarch64') });
    expect(after.rolled_back_patch_numbers).toEqual([two]);
    // A legacy device on `two` gets the list but not `one`: those updaters are never offered
    // a number at or below their own (§3), they only uninstall what the list names.
    expect(await check(shapes.legacy(d, two))).toEqual({
      ...NO_PATCH,
      rolled_back_patch_numbers: [two],
    });

    await manage(w, one, 'rollback');
    expect(await check(shapes.current(d))).toEqual({
      ...NO_PATCH,
      rolled_back_patch_numbers: [one, two],
    });
    // The list is the track's: another track's device sees none of it.
    expect(await check(shapes.current(d, 'beta'))).toEqual(NO_PATCH);

    await manage(w, two, 'roll-forward');
    expect(await check(shapes.current(d))).toMatchObject({
      patch_available: true,
      patch: { number: two },
      rolled_back_patch_numbers: [one],
    });
  });

  it('filters the rolled-back list by platform and arch', async () => {
    const w = await world();
    const one = await publish(w, ['aarch64']);
    await publish(w, ['x86_64']);
    await manage(w, one, 'rollback');
    expect(
      (await check(shapes.current(device(w, { arch: 'aarch64' })))).rolled_back_patch_numbers,
    ).toEqual([one]);
    expect(
      (await check(shapes.current(device(w, { arch: 'x86_64' })))).rolled_back_patch_numbers,
    ).toEqual([]);
  });

  it.each([
    ['an unknown app', { app_id: 'app_doesnotexist' }],
    ['an unknown release version', { release_version: '9.9.9+99' }],
    ['a platform without patches', { platform: 'macos' }],
    ['a platform outside the seed', { platform: 'windows', arch: 'x86_64' }],
    ['an arch outside the seed', { arch: 'mips' }],
    ['x86, which the CLI never builds', { arch: 'x86' }],
    ['an app id no app can have', { app_id: `${'%'.repeat(100)}` }],
    ['a release version no patch can have', { release_version: `+${'+'.repeat(99)}` }],
  ])('answers 200 with no patch for %s', async (_, overrides) => {
    const w = await world();
    await publish(w);
    expect(await check(shapes.current(device(w, overrides)))).toEqual(NO_PATCH);
  });

  it('answers a base_url with a trailing slash (//api/v1/…) like the plain path', async () => {
    const w = await world();
    const one = await publish(w);
    const d = device(w);
    expect(await check(shapes.current(d), `/${CHECK}`)).toEqual(await check(shapes.current(d)));
    expect((await check(shapes.current(d), `/${CHECK}`)).patch?.number).toBe(one);
    const event = await post(`/${EVENTS}`, { event: eventOf(d, '__patch_install__', one) });
    expect(event.status, event.text).toBe(204);
    const paths = Object.keys(
      ((await request('GET', '/openapi.json')).body as { paths: object }).paths,
    );
    expect(paths).toContain(CHECK);
    expect(paths).not.toContain(`/${CHECK}`); // the alias is not an operation of its own
  });

  it.each([
    ['unparseable JSON', '{"app_id": "x",'],
    ['a JSON array', '[]'],
    [
      'a number for app_id',
      JSON.stringify({ app_id: 7, release_version: VERSION, platform: 'android', arch: 'aarch64' }),
    ],
    ['no release_version', JSON.stringify({ app_id: 'x', platform: 'android', arch: 'aarch64' })],
    [
      'a string patch_number',
      JSON.stringify({
        app_id: 'x',
        release_version: VERSION,
        platform: 'android',
        arch: 'aarch64',
        patch_number: '2',
      }),
    ],
  ])('refuses %s with 400 in the common error shape', async (_, raw) => {
    const res = await post(CHECK, raw);
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      error: expect.objectContaining({ code: 'BAD_REQUEST', message: expect.any(String) }),
    });
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const res = await post(CHECK, {
      ...shapes.current(device(await world())),
      pad: 'x'.repeat(20_000),
    });
    expect(res.status, res.text).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('serves download_url as an absolute URL with the exact artifact bytes', async () => {
    const w = await world();
    const number = await reserve(w);
    await upload(w, number, 'aarch64', V1_PATCH, V1_HASH);
    const { patch } = await check(shapes.current(device(w)));
    if (!patch) throw new Error('no patch offered');
    expect(patch.hash).toBe(V1_HASH); // the inflated file's SHA-256, as uploaded (§5.2)
    const url = new URL(patch.download_url);
    expect(url.origin).toBe('https://skypatch.test'); // no PUBLIC_URL: the request's origin

    // Fetched as the updater does: GET, as is, no credential.
    const res = await exports.default.fetch(new Request(patch.download_url));
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(V1_PATCH.length));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(bytes).toEqual(V1_PATCH);
    expect(await sha256Hex(bytes)).toBe(await sha256Hex(V1_PATCH));
    // What the updater then checks: inflated against the base, the hash matches (§3 step 5).
    expect(await sha256Hex(inflate(bytes, new TextEncoder().encode('foo')))).toBe(patch.hash);
  });
});

// ── the cache: one D1 read on a miss, none on a hit, fresh after every management write ──────

/** A D1 binding that forwards to the real one and records each statement it is asked for. */
function recordingD1(real: D1Database) {
  const statements: string[] = [];
  const d1 = new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          statements.push(query);
          return target.prepare(query);
        };
      }
      if (property === 'batch' || property === 'exec' || property === 'withSession') {
        return () => {
          throw new Error(`D1 ${String(property)} on the check path`);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { d1, statements };
}

/** Calls a fresh app with its own bindings, then lets its waitUntil work (KV puts) finish. */
async function checkWith(bindings: Env, body: unknown) {
  const ctx = createExecutionContext();
  const res = await createWorkerApp().fetch(
    new Request(`https://skypatch.test${CHECK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  return PatchCheckJson.parse(await res.json());
}

describe('patch check caching', () => {
  it('costs one indexed D1 read on a miss and none on a hit, from either tier', async () => {
    const w = await world();
    const one = await publish(w);
    const d = device(w);
    const { d1, statements } = recordingD1(env.DB);
    const bindings = { ...env, DB: d1 };

    forgetInIsolate();
    expect((await checkWith(bindings, shapes.current(d))).patch?.number).toBe(one);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^select .* from "patches" left join "patch_channels"/);

    // The isolate tier, then KV's alone: neither touches D1.
    expect((await checkWith(bindings, shapes.legacy(d))).patch?.number).toBe(one);
    forgetInIsolate();
    expect((await checkWith(bindings, shapes.anonymous(d))).patch?.number).toBe(one);
    // Another channel and a legacy number are answered from the same entry.
    expect(await checkWith(bindings, shapes.current(d, 'beta'))).toEqual(NO_PATCH);
    expect(await checkWith(bindings, shapes.legacy(d, one))).toEqual(NO_PATCH);
    expect(statements).toHaveLength(1);

    // A request no row can match needs no I/O at all.
    await checkWith(bindings, shapes.current(device(w, { arch: 'mips' })));
    await checkWith(bindings, shapes.current(device(w, { release_version: 'not a version' })));
    expect(statements).toHaveLength(1);
  });

  it('keeps answering from the cache while D1 changes behind its back, until a bump', async () => {
    const w = await world();
    const one = await publish(w);
    const two = await publish(w);
    const d = device(w);
    // What a check cost in D1 is in its answer: a read after the publish moved the stamp,
    // then nothing, from the cache.
    const miss = await post(CHECK, shapes.current(d));
    expect(Number(miss.headers.get('x-d1-rows-read'))).toBeGreaterThan(0);
    expect((await post(CHECK, shapes.current(d))).headers.get('x-d1-rows-read')).toBe('0');
    expect((await check(shapes.current(d))).patch?.number).toBe(two);

    // Gone from D1 without the patch service: no stamp moves, so the cached rows still answer.
    await db()
      .delete(patches)
      .where(and(eq(patches.appId, w.app.id), eq(patches.patchNumber, two)));
    expect((await check(shapes.current(d))).patch?.number).toBe(two);
    forgetInIsolate(); // past the isolate tier: KV still holds the view under the same stamp
    expect((await check(shapes.current(d))).patch?.number).toBe(two);

    // A management write moves the stamp: the next check reads D1 as it now is.
    await manage(w, one, 'rollback');
    expect(await check(shapes.current(d))).toEqual({
      ...NO_PATCH,
      rolled_back_patch_numbers: [one],
    });
  });
});

// ── events ───────────────────────────────────────────────────────────────────────────────────

function eventOf(
  d: Device,
  type: ShorebirdEvent['type'],
  patchNumber: number,
  message: string | null = null,
) {
  return {
    app_id: d.app_id,
    arch: d.arch,
    client_id: d.client_id,
    type,
    patch_number: patchNumber,
    platform: d.platform,
    release_version: d.release_version,
    timestamp: 1_767_225_600,
    message,
  };
}

describe('POST /api/v1/patches/events', () => {
  const d: Device = {
    app_id: 'app_events',
    release_version: VERSION,
    platform: 'android',
    arch: 'aarch64',
    client_id: 'c0ffee00-0000-4000-8000-000000000001',
  };

  it.each([
    ['an enveloped download', { event: eventOf(d, '__patch_download__', 1) }],
    ['an enveloped install', { event: eventOf(d, '__patch_install__', 1) }],
    [
      'an install failure with its message',
      { event: eventOf(d, '__patch_install_failure__', 3, 'crash_recovery: patch 3 failed') },
    ],
    ['an un-enveloped event', eventOf(d, '__patch_install__', 2)],
    [
      'an event without client_id, timestamp or message',
      {
        event: {
          app_id: d.app_id,
          arch: d.arch,
          type: '__patch_install__',
          patch_number: 1,
          platform: d.platform,
          release_version: VERSION,
        },
      },
    ],
  ])('answers 204 to %s', async (_, body) => {
    const res = await post(EVENTS, body);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
  });

  it.each([
    [
      'an unknown type',
      { event: { ...eventOf(d, '__patch_install__', 1), type: 'PatchInstallSuccess' } },
    ],
    [
      'no patch_number',
      { event: { ...eventOf(d, '__patch_install__', 1), patch_number: undefined } },
    ],
    ['no app_id', { event: { ...eventOf(d, '__patch_install__', 1), app_id: undefined } }],
    ['unparseable JSON', '{"event":'],
  ])('refuses %s with 400', async (_, body) => {
    const res = await post(EVENTS, body);
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it(
    'queues the mapped event without touching D1; the consumer stores a redelivery once',
    async () => {
      const sent: unknown[] = [];
      const queue = new Proxy(env.TELEMETRY_QUEUE, {
        get(target, property) {
          if (property === 'send') {
            return (message: unknown, options?: QueueSendOptions) => {
              sent.push(message);
              return target.send(message, options);
            };
          }
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const { d1, statements } = recordingD1(env.DB);
      const { app } = await createApp(await createOrg());
      const failure = { ...d, app_id: app.id };
      const body = JSON.stringify({
        event: eventOf(failure, '__patch_install_failure__', 3, 'boom'),
      });
      for (let delivery = 0; delivery < 2; delivery++) {
        const ctx = createExecutionContext();
        const res = await createWorkerApp().fetch(
          new Request(`https://skypatch.test${EVENTS}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
          { ...env, DB: d1, TELEMETRY_QUEUE: queue },
          ctx,
        );
        await waitOnExecutionContext(ctx);
        expect(res.status).toBe(204);
      }
      expect(statements).toEqual([]); // the device's request reads and writes no D1
      const event = {
        id: expect.stringMatching(/^evt_[0-9a-f]{64}$/),
        type: 'update_failed',
        appId: failure.app_id,
        deviceId: d.client_id,
        releaseId: null,
        bundleVersion: null,
        errorCode: null,
        errorMessage: 'boom',
        metadata: {
          releaseVersion: VERSION,
          patchNumber: 3,
          platform: 'android',
          arch: 'aarch64',
          message: 'boom',
          source: 'shorebird',
        },
        timestamp: 1_767_225_600_000,
      };
      expect(sent).toEqual([{ events: [event] }, { events: [event] }]);
      expect(JSON.stringify(sent[0])).toBe(JSON.stringify(sent[1])); // same id: one event

      // The telemetry consumer takes it from there (batches every 5 s, wrangler.jsonc).
      const rows = await eventually(async () => {
        const found = await db()
          .select()
          .from(telemetryEvents)
          .where(eq(telemetryEvents.appId, failure.app_id));
        return found.length > 0 ? found : null;
      }, QUEUE_WAIT_MS);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        deviceId: d.client_id,
        eventType: 'update_failed',
        errorMessage: 'boom',
        timestamp: new Date(1_767_225_600_000),
        metadata: expect.objectContaining({ patchNumber: 3, source: 'shorebird' }),
      });
      // Patches are not releases: the event counts into the device registry, not release_stats.
      const [device] = await db().select().from(devices).where(eq(devices.appId, failure.app_id));
      expect(device).toMatchObject({
        id: d.client_id,
        platform: 'android',
        appVersion: VERSION,
        lastSeenAt: new Date(1_767_225_600_000),
        crashCount: 0,
      });
    },
    QUEUE_TEST_MS,
  );
});

describe('Shorebird event mapping', () => {
  const d: Device = {
    app_id: 'app_map',
    release_version: VERSION,
    platform: 'ios',
    arch: 'aarch64',
    client_id: 'client-1',
  };

  it.each([
    ['__patch_download__', 'update_downloaded'],
    ['__patch_install__', 'update_installed'],
    ['__patch_install_failure__', 'update_failed'],
  ] as const)('maps %s to %s', async (type, want) => {
    const event = await toTelemetryEvent(eventOf(d, type, 4), 0);
    expect(event).toMatchObject({
      type: want,
      appId: 'app_map',
      deviceId: 'client-1',
      timestamp: 1_767_225_600_000,
      metadata: {
        releaseVersion: VERSION,
        patchNumber: 4,
        platform: 'ios',
        arch: 'aarch64',
        message: null,
        source: 'shorebird',
      },
    });
  });

  it('gives a redelivered event the same id, and another occurrence another', async () => {
    const event = eventOf(d, '__patch_install__', 4);
    const first = await toTelemetryEvent(event, 0);
    expect(first.id).toBe(
      `evt_${await sha256Hex(`client-1|app_map|${VERSION}|4|__patch_install__|1767225600`)}`,
    );
    expect((await toTelemetryEvent(event, 99)).id).toBe(first.id);
    expect((await toTelemetryEvent({ ...event, timestamp: 1_767_225_601 }, 0)).id).not.toBe(
      first.id,
    );
    expect((await toTelemetryEvent({ ...event, client_id: 'client-2' }, 0)).id).not.toBe(first.id);
  });

  it('fills what older updaters leave out, and never merges phones it cannot tell apart', async () => {
    const {
      client_id: _,
      timestamp: __,
      message: ___,
      ...bare
    } = eventOf(d, '__patch_install__', 1);
    const event = await toTelemetryEvent(bare, 1_700_000_000_123);
    expect(event).toMatchObject({ deviceId: 'unknown', timestamp: 1_700_000_000_123 });
    expect(event.metadata).toMatchObject({ message: null });
    // No client id: a hash of the rest would make every phone's install in that second one.
    expect(event.id).toBeUndefined(); // the queue gives it a fresh one
  });
});

describe('the check decision', () => {
  const patch = (number: number, active: number | null, channel = 'stable'): TargetPatch => ({
    number,
    objectKey: `k/${number}`,
    hash: 'h',
    hashSignature: null,
    active,
    channel,
  });

  it('takes the newest active number of the channel, whatever the row order', () => {
    const rows = [patch(1, 1), patch(3, 1, 'beta'), patch(4, 0), patch(2, 1), patch(5, null)];
    expect(decidePatch(rows, { channel: 'stable' })).toEqual({
      best: patch(2, 1),
      rolledBack: [4],
    });
    expect(decidePatch(rows, { channel: 'beta' })).toEqual({
      best: patch(3, 1, 'beta'),
      rolledBack: [],
    });
    expect(decidePatch(rows, { channel: 'stable', legacyPatchNumber: 2 })).toEqual({
      best: null,
      rolledBack: [4],
    });
    expect(decidePatch([], { channel: 'stable' })).toEqual({ best: null, rolledBack: [] });
  });
});

// ── what the updater does with a download: zstd (raw blocks only) then bipatch (§5.1) ─────────

function inflate(download: Uint8Array, base: Uint8Array): Uint8Array {
  const at = (i: number) => {
    const byte = download[i];
    if (byte === undefined) throw new Error('truncated patch');
    return byte;
  };
  expect([...download.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
  const descriptor = at(4);
  const singleSegment = (descriptor >> 5) & 1;
  // Frame header: window descriptor unless single-segment, dictionary id, content size.
  let pos = 5 + (singleSegment ? 0 : 1) + ([0, 1, 2, 4][descriptor & 3] ?? 0);
  pos += [singleSegment, 2, 4, 8][descriptor >> 6] ?? 0;
  const chunks: Uint8Array[] = [];
  for (;;) {
    const header = at(pos) | (at(pos + 1) << 8) | (at(pos + 2) << 16);
    pos += 3;
    expect((header >> 1) & 3, 'only raw zstd blocks are decoded here').toBe(0);
    chunks.push(download.subarray(pos, pos + (header >> 3)));
    pos += header >> 3;
    if (header & 1) break;
  }
  const stream = Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
  const view = new DataView(stream.buffer);
  expect([view.getUint32(0, true), view.getUint32(4, true)]).toEqual([0xb1df, 0x1000]);
  const cursor = { i: 8 };
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = stream[cursor.i++] ?? 0;
      value += (byte & 127) * 2 ** shift;
      if (!(byte & 128)) return value;
      shift += 7;
    }
  };
  const out: number[] = [];
  let old = 0;
  while (cursor.i < stream.length) {
    for (let n = varint(); n > 0; n--)
      out.push(((base[old++] ?? 0) + (stream[cursor.i++] ?? 0)) & 255);
    for (let n = varint(); n > 0; n--) out.push(stream[cursor.i++] ?? 0);
    const seek = varint();
    old += seek % 2 ? -(seek + 1) / 2 : seek / 2;
  }
  return Uint8Array.from(out);
}
