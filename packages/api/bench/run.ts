// `npm run bench`: the update checks under load on workerd (issue 6 item 6; docs/benchmarks.md).
// A script, never a timed test. One shared setup: the bundle `wrangler deploy` would upload,
// built once, and one D1 seeded once with the data set (bench/lib/seed.ts). Then, per scenario
// in bench/scenarios, a fresh workerd through Miniflare's API (empty KV and isolate caches, the
// same D1), a cold pass over every app, a warmup until D1 reads stop, and a timed autocannon
// run. Prints one table and the ratios to the ceiling and to code-push-server.
//
// Knobs (environment): BENCH_CONNECTIONS (20), BENCH_DURATION (30 s), BENCH_WARMUP (5 s per
// warmup round, up to 6 rounds), BENCH_APPS (1000), BENCH_SCENARIOS (all; e.g.
// "ceiling,native"), BENCH_VIA_ENTRY=1 (through Miniflare's entry Worker, as `wrangler dev`
// serves, instead of workerd's own socket), BENCH_PROFILE=1 (a CPU profile of the Worker's
// isolate during each timed run: slower, for finding hot spots).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchRequest, type ColdPass, coldPass, type LoadResult, load } from './lib/load';
import { freePort, startProfile } from './lib/profile';
import { pick, type Scenario } from './lib/scenario';
import { migrate, prng, RELEASES_PER_APP, type SeedSummary, seed } from './lib/seed';
import {
  apiDir,
  BENCH_CHECKS_PER_MINUTE,
  buildBundle,
  type Instance,
  miniflareVersions,
  startApi,
  startCeiling,
  wipeAllButD1,
} from './lib/workerd';
import { CEILING_BODY } from './scenarios/ceiling';

export interface ScenarioResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Mean `x-d1-rows-read` over the timed run; null when the responses do not carry it. */
  d1RowsReadPerRequest: number | null;
  /** The same over the cold pass: one request per app through empty caches. */
  coldD1RowsReadPerRequest: number | null;
  warmup: { seconds: number; requests: number; d1Reads: number; non2xx: number };
  load: LoadResult;
  cold: ColdPass;
  runtimeProblems: string[];
}

/** code-push-server with in-memory storage and 50 releases, measured here (issue 6). */
const CODE_PUSH_SERVER_RPS = 1_270;
const GOALS = { throughputVsCeiling: 0.8, p99VsCeiling: 2, vsCodePushServer: 3 };
const MAX_WARMUP_ROUNDS = 6;

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const config = {
  connections: numberFromEnv('BENCH_CONNECTIONS', 20),
  durationSeconds: numberFromEnv('BENCH_DURATION', 30),
  warmupSeconds: numberFromEnv('BENCH_WARMUP', 5),
  apps: numberFromEnv('BENCH_APPS', 1000),
  only: process.env.BENCH_SCENARIOS?.split(',').map((name) => name.trim()),
  viaEntry: process.env.BENCH_VIA_ENTRY === '1',
  profile: process.env.BENCH_PROFILE === '1',
};

async function loadScenarios(): Promise<Scenario[]> {
  const dir = join(import.meta.dirname, 'scenarios');
  const scenarios: Scenario[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const module = (await import(join(dir, file))) as { scenario?: Scenario };
    if (module.scenario) scenarios.push(module.scenario);
  }
  return scenarios
    .filter((scenario) => !config.only || config.only.includes(scenario.name))
    .sort((a, b) => a.order - b.order);
}

function machine() {
  const require = createRequire(join(apiDir, 'package.json'));
  const version = (name: string) => {
    const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
    return String((manifest as { version: unknown }).version);
  };
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    workerd: version('workerd'),
    miniflare: miniflareVersions().miniflare,
    wrangler: version('wrangler'),
    autocannon: version('autocannon'),
  };
}

/** The commit measured, and whether the Worker's sources differ from it (the bundle has them). */
function code(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: apiDir, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'migrations', '../protocol/src');
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in the Worker sources' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const live = new Set<Instance>();
let tmp: string | null = null;

async function cleanUp(): Promise<void> {
  for (const instance of live) {
    await instance.mf.dispose().catch(() => {});
    live.delete(instance);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const item = shuffled[i] as T;
    shuffled[i] = shuffled[j] as T;
    shuffled[j] = item;
  }
  return shuffled;
}

async function start(
  scenario: Scenario,
  modules: Parameters<typeof startApi>[0],
  stateDir: string,
) {
  const inspectorPort = config.profile ? await freePort() : undefined;
  const instance =
    scenario.target === 'api'
      ? await startApi(modules, stateDir, inspectorPort)
      : await startCeiling(CEILING_BODY, {
          queue: scenario.target === 'ceiling-queue',
          inspectorPort,
        });
  return { instance, inspectorPort };
}

async function runScenario(
  scenario: Scenario,
  seeded: SeedSummary,
  modules: Parameters<typeof startApi>[0],
  stateDir: string,
): Promise<ScenarioResult> {
  const random = prng(scenario.order + 1);
  const perApp = seeded.apps.map((app) => scenario.requestsFor(app, random));
  const pool: BenchRequest[] = perApp.flat();
  const firsts = shuffle(
    perApp.map((requests) => pick(requests, random)),
    random,
  );

  wipeAllButD1(stateDir);
  const { instance, inspectorPort } = await start(scenario, modules, stateDir);
  live.add(instance);
  const origin = config.viaEntry ? instance.entryUrl : instance.url;
  const options = { connections: config.connections, durationSeconds: config.warmupSeconds };
  try {
    process.stdout.write(`  ${scenario.name}: cold pass over ${firsts.length} apps… warmup`);
    const cold = await coldPass(origin, firsts, scenario.classify);
    // Warm until a round reads D1 for at most 0.1% of its checks: a key's first sight is read
    // into the isolate only, its KV entry comes with a second read once that memo expires (5 s).
    const warmup = { seconds: 0, requests: 0, d1Reads: 0, non2xx: 0 };
    const minimumRounds = scenario.target === 'api' ? 2 : 1;
    for (let round = 1; round <= MAX_WARMUP_ROUNDS; round++) {
      const warm = await load(origin, pool, options);
      warmup.seconds += config.warmupSeconds;
      warmup.requests += warm.requests;
      warmup.d1Reads += warm.d1Reads;
      warmup.non2xx += warm.non2xx + warm.errors;
      process.stdout.write(` ${config.warmupSeconds}s`);
      const settled = warm.d1RowsPerRequest === null || warm.d1Reads <= warm.requests / 1000;
      if (round >= minimumRounds && settled) break;
    }
    process.stdout.write(`… run ${config.durationSeconds}s… `);
    const stopProfile = inspectorPort
      ? await startProfile(inspectorPort, instance.name, scenario.name)
      : null;
    const measured = await load(origin, pool, {
      connections: config.connections,
      durationSeconds: config.durationSeconds,
    });
    console.log(`${Math.round(measured.requestsPerSecond)} req/s`);
    await stopProfile?.();
    return {
      name: scenario.name,
      requestsPerSecond: measured.requestsPerSecond,
      p50Ms: measured.p50Ms,
      p99Ms: measured.p99Ms,
      non2xx: measured.non2xx,
      errors: measured.errors,
      d1RowsReadPerRequest: measured.d1RowsPerRequest,
      coldD1RowsReadPerRequest: cold.d1RowsPerRequest,
      warmup,
      load: measured,
      cold,
      runtimeProblems: instance.log.problems,
    };
  } finally {
    await instance.mf.dispose();
    live.delete(instance);
  }
}

const fixed = (value: number | null, digits = 1) =>
  value === null ? 'n/a' : value.toFixed(digits);
const times = (value: number) => `${value.toFixed(2)}×`;

function report(scenarios: Scenario[], results: ScenarioResult[]): boolean {
  console.log(
    '\n| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | D1 rows/check, timed | D1 rows/check, cold pass | D1 reads in warmup | CPU cores: client / workerd / machine |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const result of results) {
    const { load: run, warmup } = result;
    const rowsKnown = result.coldD1RowsReadPerRequest !== null;
    const cells = [
      result.name,
      Math.round(result.requestsPerSecond),
      result.p50Ms.toFixed(2),
      result.p99Ms.toFixed(2),
      result.non2xx,
      result.errors,
      fixed(result.d1RowsReadPerRequest, 3),
      fixed(result.coldD1RowsReadPerRequest),
      rowsKnown ? `${warmup.d1Reads} in ${warmup.seconds} s` : 'n/a',
      `${run.clientCores.toFixed(2)} / ${fixed(run.serverCores, 2)} / ${fixed(run.machineCores, 2)}`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }

  console.log('\nScenarios:');
  for (const scenario of scenarios) console.log(`  ${scenario.name}: ${scenario.describe}`);

  console.log('\nAnswers in the cold pass (one request per app):');
  for (const result of results) {
    const outcomes = Object.entries(result.cold.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    console.log(
      `  ${result.name}: ${outcomes}; ${Math.round(result.cold.bytesPerResponse)} bytes/answer; statuses ${JSON.stringify(result.cold.statusCodes)}`,
    );
  }

  const ceiling = results.find((result) => result.name === 'ceiling');
  const queued = results.find((result) => result.name === 'ceiling+queue');
  console.log(
    `\nRatios. Goals: throughput ≥ ${GOALS.throughputVsCeiling}× the ceiling's, p99 ≤ ${GOALS.p99VsCeiling}× the ceiling's, ≥ ${GOALS.vsCodePushServer}× code-push-server's ~${CODE_PUSH_SERVER_RPS} checks/s (${GOALS.vsCodePushServer * CODE_PUSH_SERVER_RPS}/s).`,
  );
  console.log(
    '| check | throughput / ceiling | p99 / ceiling p99 | req/s / code-push-server | throughput / ceiling+queue | goals |',
  );
  console.log('|---|---:|---:|---:|---:|---|');
  for (const result of results) {
    if (!scenarios.some((s) => s.name === result.name && s.target === 'api')) continue;
    const vsCodePush = result.requestsPerSecond / CODE_PUSH_SERVER_RPS;
    const throughput = ceiling ? result.requestsPerSecond / ceiling.requestsPerSecond : null;
    const p99 = ceiling ? result.p99Ms / ceiling.p99Ms : null;
    const missed = [
      throughput !== null && throughput < GOALS.throughputVsCeiling ? 'throughput' : null,
      p99 !== null && p99 > GOALS.p99VsCeiling ? 'p99' : null,
      vsCodePush < GOALS.vsCodePushServer ? 'code-push-server' : null,
    ].filter(Boolean);
    const cells = [
      result.name,
      throughput === null ? 'n/a' : times(throughput),
      p99 === null ? 'n/a' : times(p99),
      times(vsCodePush),
      queued ? times(result.requestsPerSecond / queued.requestsPerSecond) : 'n/a',
      missed.length === 0
        ? ceiling
          ? 'all met'
          : 'no ceiling run'
        : `missed: ${missed.join(', ')}`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }

  let valid = true;
  for (const result of results) {
    const failures = result.non2xx + result.errors + result.cold.non2xx + result.warmup.non2xx;
    if (failures > 0) {
      valid = false;
      console.log(
        `\nINVALID: ${result.name}: ${result.non2xx} non-2xx and ${result.errors} errors in the timed run, ${result.warmup.non2xx} in the warmup, ${result.cold.non2xx} non-2xx in the cold pass; statuses ${JSON.stringify(result.load.statusCodes)}`,
      );
      if (result.cold.firstFailure) console.log(`  first failure: ${result.cold.firstFailure}`);
    }
    if (result.runtimeProblems.length > 0) {
      console.log(
        `\n${result.name}: workerd/Miniflare logged ${result.runtimeProblems.length} warning(s) or error(s), e.g.:`,
      );
      for (const problem of result.runtimeProblems.slice(0, 5)) console.log(`  ${problem}`);
    }
  }
  console.log(
    valid
      ? '\nValid run: every answer was 2xx.'
      : '\nThis run is INVALID: some answers were not 2xx.',
  );
  return valid;
}

async function main(): Promise<void> {
  const scenarios = await loadScenarios();
  if (scenarios.length === 0) {
    console.log('No benchmark scenarios selected (bench/scenarios/*.ts). Nothing to measure.');
    return;
  }
  const host = machine();
  console.log(
    `Machine: ${host.cores} cores, ${host.cpu}, Node ${host.node}; workerd ${host.workerd} via miniflare ${host.miniflare} (wrangler ${host.wrangler}); autocannon ${host.autocannon}`,
  );
  console.log(`Code: ${code()}`);
  console.log(
    `Load: ${config.connections} connections, warmup rounds of ${config.warmupSeconds} s, ${config.durationSeconds} s timed per scenario, ${config.viaEntry ? "through Miniflare's entry Worker" : "on workerd's own socket"}; SDK_CHECKS_PER_MINUTE=${BENCH_CHECKS_PER_MINUTE} (the per-IP limiter never trips)`,
  );
  if (config.profile)
    console.log(
      'BENCH_PROFILE=1: profiling slows every run; use the table only to compare hot spots.',
    );

  tmp = mkdtempSync(join(tmpdir(), 'skypatch-bench-'));
  const stateDir = join(tmp, 'state');
  let started = Date.now();
  const modules = buildBundle(join(tmp, 'bundle'));
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Built the Worker with wrangler deploy --dry-run in ${seconds()} s`);

  started = Date.now();
  const seeder = await startApi(modules, stateDir);
  live.add(seeder);
  const db = await seeder.mf.getD1Database('DB');
  const migrations = await migrate(db, join(apiDir, 'migrations'));
  const seeded = await seed(db, config.apps);
  await seeder.mf.dispose();
  live.delete(seeder);
  const counts = Object.entries(seeded.rows)
    .map(([table, count]) => `${count} ${table}`)
    .join(', ');
  console.log(
    `Seeded D1 (${migrations} migrations) in ${seconds()} s: ${counts}; ${RELEASES_PER_APP} releases per app, ${seeded.partialRollout} apps with the newest in partial rollout, ${seeded.targeted} releases with targeting rules`,
  );

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    results.push(await runScenario(scenario, seeded, modules, stateDir));
  }
  if (!report(scenarios, results)) process.exitCode = 1;
}

try {
  await main();
} finally {
  await cleanUp();
}
