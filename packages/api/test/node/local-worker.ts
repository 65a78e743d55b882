// The Worker under `wrangler dev` on a free port, with its local D1/KV/R2 state in a temporary
// directory of its own: migrations applied and rows seeded with `wrangler d1 … --local
// --persist-to`, exactly as a developer's `npm start` stores them, but never touching theirs.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const apiDir = join(import.meta.dirname, '..', '..');

const wranglerBin = () => {
  const require = createRequire(join(apiDir, 'package.json'));
  return join(require.resolve('wrangler/package.json'), '..', 'bin', 'wrangler.js');
};

const childEnv = () => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CI: 'true',
  NO_COLOR: '1',
});

function wrangler(args: string[]): void {
  const result = spawnSync(process.execPath, [wranglerBin(), ...args], {
    cwd: apiDir,
    encoding: 'utf8',
    env: childEnv(),
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalWorker {
  baseUrl: string;
  stop(): Promise<void>;
}

/** Migrates and seeds a fresh local state, then starts `wrangler dev` on it. */
export async function startLocalWorker(seedSql: string): Promise<LocalWorker> {
  const stateDir = mkdtempSync(join(tmpdir(), 'skypatch-browser-'));
  const persist = ['--local', '--persist-to', stateDir];
  wrangler(['d1', 'migrations', 'apply', 'DB', ...persist]);
  const seedFile = join(stateDir, 'seed.sql');
  writeFileSync(seedFile, seedSql);
  wrangler(['d1', 'execute', 'DB', ...persist, '--file', seedFile]);

  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      wranglerBin(),
      'dev',
      ...persist,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--show-interactive-dev-session=false',
    ],
    { cwd: apiDir, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopGroup(child);
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(baseUrl, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}

/** wrangler dev runs workerd as its child: end the process group this test started. */
function stopGroup(child: ChildProcess) {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

async function waitForHealth(baseUrl: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`wrangler dev did not answer ${baseUrl}/health within 120 s:\n${output()}`);
}
