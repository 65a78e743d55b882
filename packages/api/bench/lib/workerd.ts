// The Worker on workerd the way production runs it: the bundle `wrangler deploy` would upload,
// started through Miniflare's API (no `wrangler dev`, whose dev proxy caps even a constant
// Worker at a few hundred requests/s), plus a constant-JSON Worker on the same settings.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  convertV4MiniflareOptions,
  Log,
  LogLevel,
  Miniflare,
  type V4MiniflareOptions,
  type V4ModuleDefinition,
} from 'miniflare';

export const apiDir = join(import.meta.dirname, '..', '..');

const COMPATIBILITY_DATE = '2026-10-01';
const COMPATIBILITY_FLAGS = ['nodejs_compat'];

/**
 * Update checks per app and client IP per minute. Every benchmark request comes from one
 * loopback address (no `cf-connecting-ip`: one `local` bucket per app), so with the real limit
 * (1,000) each app would pass a tenth of it within the first minute and from then on sync its
 * counter with KV every second (~1,000 KV reads and writes a second for 1,000 apps, a load no
 * fleet of distinct addresses causes), and a longer or narrower run would answer 429. This keeps
 * the limiter's KV side out of the measurement; its in-isolate counter still runs on every check.
 */
export const BENCH_CHECKS_PER_MINUTE = '100000000';

/** Miniflare must be the one the pinned wrangler runs on; a mismatch is reported, not fatal. */
export function miniflareVersions(): { miniflare: string; wranglerWants: string } {
  const require = createRequire(join(apiDir, 'package.json'));
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const wrangler = read(require.resolve('wrangler/package.json'));
  const wranglerDir = join(require.resolve('wrangler/package.json'), '..');
  const miniflare = read(
    createRequire(join(wranglerDir, 'package.json')).resolve('miniflare/package.json'),
  );
  const ours = read(require.resolve('miniflare/package.json'));
  const wanted = (wrangler.dependencies as Record<string, string>).miniflare ?? '?';
  if (ours.version !== miniflare.version) {
    console.warn(
      `bench: miniflare ${String(ours.version)} differs from wrangler's ${String(miniflare.version)}`,
    );
  }
  return { miniflare: String(ours.version), wranglerWants: wanted };
}

/** `wrangler deploy --dry-run --outdir`: the exact bundle a deploy uploads. */
export function buildBundle(outDir: string): V4ModuleDefinition[] {
  const require = createRequire(join(apiDir, 'package.json'));
  const wranglerBin = join(require.resolve('wrangler/package.json'), '..', 'bin', 'wrangler.js');
  const result = spawnSync(
    process.execPath,
    [wranglerBin, 'deploy', '--dry-run', '--outdir', outDir, '--config', 'wrangler.jsonc'],
    {
      cwd: apiDir,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    },
  );
  if (result.status !== 0) {
    throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  }
  const files = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).sort();
  const modules: V4ModuleDefinition[] = [];
  for (const file of files) {
    const path = join(outDir, file);
    if (/\.m?js$/.test(file)) modules.push({ type: 'ESModule', path });
    else if (file.endsWith('.wasm')) modules.push({ type: 'CompiledWasm', path });
    else if (file.endsWith('.cjs')) modules.push({ type: 'CommonJS', path });
  }
  // The entry module first, as Miniflare requires.
  modules.sort((a, b) => Number(b.path.endsWith('index.js')) - Number(a.path.endsWith('index.js')));
  if (!modules[0]?.path.endsWith('index.js')) throw new Error(`No index.js in ${outDir}`);
  return modules;
}

/** What the Worker wrote to its console at warn or error level, and Miniflare's own errors. */
export class RuntimeLog {
  readonly problems: string[] = [];
  count = 0;

  record(level: string, message: string): void {
    this.count += 1;
    if (this.problems.length < 20) this.problems.push(`[${level}] ${message.slice(0, 2_000)}`);
  }
}

class CapturingLog extends Log {
  constructor(private readonly sink: RuntimeLog) {
    super(LogLevel.WARN);
  }

  protected override log(message: string): void {
    this.sink.record('miniflare', message);
  }
}

function sharedOptions(sink: RuntimeLog) {
  return {
    host: '127.0.0.1',
    port: 0,
    log: new CapturingLog(sink),
    // One line per request from Miniflare's entry Worker otherwise: a cost production lacks.
    logRequests: false,
    telemetry: { enabled: false },
    cf: false, // a placeholder `request.cf`; the real one would be fetched from the internet
    handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
      if (level === 'warn' || level === 'error') sink.record(level, message);
    },
  } satisfies Partial<V4MiniflareOptions>;
}

export interface Instance {
  mf: Miniflare;
  /** The Worker's name in Miniflare (and in the inspector's target list). */
  name: string;
  /** workerd's own socket for the Worker, the way `workerd serve` exposes it. */
  url: URL;
  /** Miniflare's entry Worker in front of it (`mf.ready`), what `wrangler dev` serves. */
  entryUrl: URL;
  log: RuntimeLog;
}

/**
 * A socket straight into the Worker, skipping Miniflare's entry Worker (which adds `request.cf`,
 * pretty error pages and request logging, and halves the ceiling's throughput on this machine):
 * production has no such hop.
 */
const DIRECT_SOCKET = { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] };

async function started(mf: Miniflare, name: string, log: RuntimeLog): Promise<Instance> {
  const entryUrl = await mf.ready;
  const url = await mf.unsafeGetDirectURL(name);
  return { mf, name, url, entryUrl, log };
}

/**
 * The Skypatch Worker with the bindings of wrangler.jsonc, all local: D1, both KV namespaces,
 * R2, the queue producers (no consumers: sent messages are dropped by Miniflare's broker, the
 * send itself is measured) and the upload-status Durable Object. State lives under
 * `persistDir`, so D1 survives a restart while the caches can be wiped between scenarios.
 */
export async function startApi(
  modules: V4ModuleDefinition[],
  persistDir: string,
  inspectorPort?: number,
) {
  const log = new RuntimeLog();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...sharedOptions(log),
      resourcePersistencePath: persistDir,
      ...(inspectorPort ? { inspectorPort } : {}),
      name: 'skypatch',
      ...DIRECT_SOCKET,
      modules,
      modulesRoot: join(modules[0]?.path ?? '', '..'),
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      bindings: {
        ENVIRONMENT: 'production',
        ENABLE_READ_REPLICAS: 'false',
        LOG_LEVEL: 'info',
        PUBLIC_URL: '',
        SDK_CHECKS_PER_MINUTE: BENCH_CHECKS_PER_MINUTE,
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        BOOTSTRAP_TOKEN: randomBytes(24).toString('base64url'),
      },
      d1Databases: { DB: '00000000-0000-0000-0000-000000000000' },
      kvNamespaces: {
        RATE_LIMITS: '00000000000000000000000000000001',
        CACHE: '00000000000000000000000000000002',
      },
      r2Buckets: { BUNDLES: 'skypatch-bundles' },
      queueProducers: {
        UPLOAD_QUEUE_P0: { queueName: 'skypatch-uploads-p0' },
        UPLOAD_QUEUE_P1: { queueName: 'skypatch-uploads-p1' },
        UPLOAD_QUEUE_P2: { queueName: 'skypatch-uploads-p2' },
        TELEMETRY_QUEUE: { queueName: 'skypatch-telemetry' },
      },
      durableObjects: { UPLOAD_STATUS: { className: 'UploadStatusDO', useSQLite: true } },
    }),
  );
  return started(mf, 'skypatch', log);
}

/** Wipes everything a previous instance cached (KV, Durable Objects, cache), keeping D1. */
export function wipeAllButD1(persistDir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(persistDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry !== 'd1') rmSync(join(persistDir, entry), { recursive: true, force: true });
  }
}

/**
 * The ceiling: a Worker that does nothing but answer a constant JSON body of the size of an
 * update-check answer, on the same Miniflare settings. No Worker can answer faster here.
 * With `queue`, it also puts one telemetry-shaped message on TELEMETRY_QUEUE per request after
 * the response, as the native and CodePush checks do: Miniflare's queue broker runs on the same
 * workerd thread, so this is the bound for any Worker that enqueues per request on this setup.
 */
export async function startCeiling(
  body: string,
  options: { queue: boolean; inspectorPort?: number },
) {
  const log = new RuntimeLog();
  const send = options.queue
    ? `ctx.waitUntil(env.TELEMETRY_QUEUE.send({ events: [{ id: 'evt_' + crypto.randomUUID(),
      type: 'update_check', appId: 'app_bench_0000', deviceId: 'device-0-0', releaseId: null,
      bundleVersion: null, errorCode: null, errorMessage: null, timestamp: Date.now(),
      metadata: { source: 'native', channelId: 'ch_bench_0000', platform: 'ios',
        appVersion: '1.0.0', osVersion: '17.2', deviceModel: 'iPhone15,2', action: 'update',
        offeredReleaseId: 'rel_bench_0000_50' } }] }, { contentType: 'json' }).catch(() => {}));`
    : '';
  const script = `const BODY = ${JSON.stringify(body)};
export default {
  fetch(request, env, ctx) {
    ${send}
    return new Response(BODY, {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  },
};`;
  const name = options.queue ? 'ceiling-queue' : 'ceiling';
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...sharedOptions(log),
      name,
      ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
      ...DIRECT_SOCKET,
      modules: true,
      script,
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      ...(options.queue
        ? { queueProducers: { TELEMETRY_QUEUE: { queueName: 'skypatch-telemetry' } } }
        : {}),
    }),
  );
  return started(mf, name, log);
}
