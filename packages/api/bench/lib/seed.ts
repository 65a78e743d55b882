// The benchmark's data set (issue 6 item 6): 1,000 apps with 50 releases each on one
// `Production` channel, targeting rules, 10% of the apps with their newest release in partial
// rollout, diffs to the newest release, and Flutter patches. Written straight into D1 with
// multi-row INSERTs of inlined literals (D1 binds at most 100 parameters per statement).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';

type D1 = Awaited<ReturnType<Miniflare['getD1Database']>>;

export const RELEASES_PER_APP = 50;
export const ORGS = 20;
/** The Flutter release every app has patches for (what the Shorebird scenario asks about). */
export const PATCH_RELEASE_VERSION = '1.0.0+1';
/** Binary versions devices report; every release range below covers at least one of them. */
export const APP_VERSIONS = ['1.0.0', '1.1.0', '1.2.3'] as const;
const BASE_TIME = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

export interface BenchRelease {
  id: string;
  label: string;
  /** CodePush's package hash: bare hex. */
  packageHash: string;
  /** "sha256:<hex>" of the bundle, what native clients send back. */
  bundleHash: string;
}

export interface BenchApp {
  index: number;
  id: string;
  platform: 'ios' | 'android';
  deploymentKey: string;
  /** Oldest first: releases[49] is v50. */
  releases: BenchRelease[];
  /** The newest release's rollout percentage (100 unless in partial rollout). */
  newestRollout: number;
  patchNumbers: number[];
}

export interface SeedSummary {
  apps: BenchApp[];
  rows: Record<string, number>;
  /** Apps whose newest release is in partial rollout. */
  partialRollout: number;
  /** Releases with targeting rules. */
  targeted: number;
  seconds: number;
}

const hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** A small deterministic PRNG, so every run seeds the same data. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Value = string | number | null;

function literal(value: Value): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}

/** Rows as INSERT statements of at most ~80 KB each (D1 caps a statement at 100 KB). */
function inserts(table: string, columns: string[], rows: Value[][]): string[] {
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  const statements: string[] = [];
  let tuples: string[] = [];
  let size = head.length;
  for (const row of rows) {
    const tuple = `(${row.map(literal).join(', ')})`;
    if (tuples.length > 0 && size + tuple.length > 80_000) {
      statements.push(head + tuples.join(', '));
      tuples = [];
      size = head.length;
    }
    tuples.push(tuple);
    size += tuple.length + 2;
  }
  if (tuples.length > 0) statements.push(head + tuples.join(', '));
  return statements;
}

async function execAll(db: D1, statements: string[]): Promise<void> {
  for (let i = 0; i < statements.length; i += 25) {
    await db.batch(statements.slice(i, i + 25).map((sql) => db.prepare(sql)));
  }
}

/** packages/api/migrations/*.sql in order, split on drizzle's statement breakpoints. */
export async function migrate(db: D1, migrationsDir: string): Promise<number> {
  const files = readdirSync(migrationsDir)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  for (const file of files) {
    const statements = readFileSync(join(migrationsDir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((statement) => statement.trim())
      .filter((statement) => statement.length > 0);
    await db.batch(statements.map((statement) => db.prepare(statement)));
  }
  return files.length;
}

/** The app-version range of release i (1-based) of an app: a mix of npm range styles. */
function rangeOf(i: number, rng: () => number): string {
  if (i === RELEASES_PER_APP) return rng() < 0.8 ? '^1.0.0' : '>=1.0.0 <2.0.0';
  if (i <= 15) return '1.0.x';
  if (i <= 30) return rng() < 0.5 ? '^1.0.0' : '~1.1.0';
  return (['^1.0.0', '1.2.x', '>=1.0.0 <1.3.0', '1.0.0 - 1.2.9'] as const)[i % 4] ?? '^1.0.0';
}

function minimumOf(range: string): string {
  return range.match(/\d+\.\d+\.\d+/)?.[0] ?? range.replace('.x', '.0');
}

/** Seed 000's targeting rules on some releases, always satisfiable by some devices. */
function targetingOf(i: number, platform: 'ios' | 'android', rng: () => number): string | null {
  if (i % 7 === 0) return JSON.stringify({ platforms: [platform] });
  if (i % 11 === 0) return JSON.stringify({ osVersions: platform === 'ios' ? '>=15.0.0' : '>=11' });
  if (i === RELEASES_PER_APP && rng() < 0.2) {
    return JSON.stringify({ osVersions: platform === 'ios' ? '>=16.0.0' : '>=12' });
  }
  return null;
}

export async function seed(db: D1, appCount: number): Promise<SeedSummary> {
  const started = Date.now();
  const rng = prng(6);
  const orgs: Value[][] = [];
  const apps: Value[][] = [];
  const channels: Value[][] = [];
  const releases: Value[][] = [];
  const diffs: Value[][] = [];
  const patches: Value[][] = [];
  const patchChannels: Value[][] = [];
  const benchApps: BenchApp[] = [];
  let targeted = 0;

  for (let o = 0; o < ORGS; o++) {
    const id = `org_bench_${String(o).padStart(2, '0')}`;
    orgs.push([
      id,
      `Bench org ${o}`,
      `bench-${o}`,
      o % 5 === 0 ? 'pro' : 'free',
      BASE_TIME,
      BASE_TIME,
    ]);
  }

  for (let n = 0; n < appCount; n++) {
    const tag = String(n).padStart(4, '0');
    const appId = `app_bench_${tag}`;
    const channelId = `ch_bench_${tag}`;
    const platform = n % 2 === 0 ? 'ios' : 'android';
    const deploymentKey = `dk_bench_${tag}`;
    const orgId = `org_bench_${String(n % ORGS).padStart(2, '0')}`;
    const created = BASE_TIME + n * 1000;
    apps.push([
      appId,
      `Bench app ${tag}`,
      `com.bench.app${tag}`,
      platform,
      orgId,
      null,
      created,
      created,
    ]);
    channels.push([channelId, appId, 'Production', deploymentKey, 1, created, created]);

    // Most apps ship zips (CodePush's folder hash differs from the bundle hash), some one file.
    const zip = n % 5 !== 0;
    // 10% of the apps: the newest release reaches 10-90% of devices.
    const newestRollout = n % 10 === 3 ? 10 + Math.floor(rng() * 81) : 100;
    const appReleases: BenchRelease[] = [];
    for (let i = 1; i <= RELEASES_PER_APP; i++) {
      const id = `rel_bench_${tag}_${String(i).padStart(2, '0')}`;
      const bundleHex = hex(`${id}:bundle`);
      const packageHash = zip ? hex(`${id}:package`) : bundleHex;
      const range = rangeOf(i, rng);
      const rules = targetingOf(i, platform, rng);
      if (rules) targeted += 1;
      // A release rolled back two before the newest in a fifth of the apps, one paused in a tenth.
      const status =
        i === RELEASES_PER_APP - 2 && n % 5 === 1
          ? 'rolled_back'
          : i === RELEASES_PER_APP - 4 && n % 10 === 7
            ? 'paused'
            : 'active';
      const at = created + i * HOUR;
      releases.push([
        id,
        appId,
        channelId,
        minimumOf(range),
        `v${i}`,
        `${appId}/${id}/bundle`,
        200_000 + Math.floor(rng() * 2_800_000),
        `sha256:${bundleHex}`,
        packageHash,
        rules,
        `Release v${i}: fixes and improvements`,
        status,
        status === 'rolled_back' ? 'crash rate above threshold' : null,
        range,
        // v5, v15, … v45 mandatory (a device on the binary skips one), v50 in a tenth of apps.
        i % 10 === 5 || (i === RELEASES_PER_APP && n % 10 === 5) ? 1 : 0,
        i === RELEASES_PER_APP ? newestRollout : 100,
        'upload',
        at,
        at,
      ]);
      appReleases.push({ id, label: `v${i}`, packageHash, bundleHash: `sha256:${bundleHex}` });
    }

    // Diffs to the newest release from the three before it, as the upload processor builds them.
    const newest = appReleases[RELEASES_PER_APP - 1];
    for (const base of appReleases.slice(RELEASES_PER_APP - 4, RELEASES_PER_APP - 1)) {
      if (!newest) break;
      const kinds: Array<['codepush_zip' | 'fossil_delta', string]> = [
        ['fossil_delta', base.bundleHash.slice('sha256:'.length)],
      ];
      if (zip) kinds.unshift(['codepush_zip', base.packageHash]);
      for (const [kind, baseHash] of kinds) {
        const id = `diff_bench_${tag}_${base.label}_${kind}`;
        const objectKey = `${appId}/${newest.id}/diffs/${base.id}.${kind}`;
        const size = 5_000 + Math.floor(rng() * 95_000);
        diffs.push([id, newest.id, base.id, kind, baseHash, objectKey, size, hex(id), created]);
      }
    }

    // Flutter patches of release 1.0.0+1: patches 1-3 on stable for three arches, patch 2
    // rolled back in a third of the apps, patch 4 on the beta track in a fifth.
    const patchNumbers = n % 5 === 2 ? [1, 2, 3, 4] : [1, 2, 3];
    for (const number of patchNumbers) {
      const at = created + (RELEASES_PER_APP + number) * HOUR;
      const channel = number === 4 ? 'beta' : 'stable';
      patchChannels.push([appId, PATCH_RELEASE_VERSION, number, channel, at]);
      for (const arch of ['aarch64', 'arm', 'x86_64']) {
        const active = number === 2 && n % 3 === 0 ? 0 : 1;
        const key = `${appId}/patches/${PATCH_RELEASE_VERSION}/${number}/android/${arch}`;
        patches.push([
          appId,
          PATCH_RELEASE_VERSION,
          number,
          'android',
          arch,
          key,
          hex(key),
          null,
          active,
          at,
        ]);
      }
    }
    benchApps.push({
      index: n,
      id: appId,
      platform,
      deploymentKey,
      releases: appReleases,
      newestRollout,
      patchNumbers,
    });
  }

  const tables: Array<[string, string[], Value[][]]> = [
    ['organizations', ['id', 'name', 'slug', 'plan', 'created_at', 'updated_at'], orgs],
    [
      'apps',
      ['id', 'name', 'bundle_id', 'platform', 'org_id', 'settings', 'created_at', 'updated_at'],
      apps,
    ],
    [
      'channels',
      ['id', 'app_id', 'name', 'deployment_key', 'cache_version', 'created_at', 'updated_at'],
      channels,
    ],
    [
      'releases',
      [
        'id',
        'app_id',
        'channel_id',
        'version',
        'label',
        'bundle_url',
        'bundle_size',
        'bundle_hash',
        'package_hash',
        'targeting_rules',
        'release_notes',
        'status',
        'rollback_reason',
        'app_version_range',
        'is_mandatory',
        'rollout_percentage',
        'release_method',
        'created_at',
        'updated_at',
      ],
      releases,
    ],
    [
      'release_diffs',
      [
        'id',
        'release_id',
        'base_release_id',
        'kind',
        'base_hash',
        'object_key',
        'size',
        'hash',
        'created_at',
      ],
      diffs,
    ],
    [
      'patches',
      [
        'app_id',
        'release_version',
        'patch_number',
        'platform',
        'arch',
        'download_url',
        'hash',
        'hash_signature',
        'active',
        'created_at',
      ],
      patches,
    ],
    [
      'patch_channels',
      ['app_id', 'release_version', 'patch_number', 'channel', 'created_at'],
      patchChannels,
    ],
  ];
  const rows: Record<string, number> = {};
  for (const [table, columns, values] of tables) {
    await execAll(db, inserts(table, columns, values));
    const counted = await db.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
    rows[table] = counted?.n ?? 0;
    if (rows[table] !== values.length) {
      throw new Error(`${table}: inserted ${values.length} rows, D1 holds ${rows[table]}`);
    }
  }
  return {
    apps: benchApps,
    rows,
    partialRollout: benchApps.filter((app) => app.newestRollout < 100).length,
    targeted,
    seconds: (Date.now() - started) / 1000,
  };
}
