// `npm start`: apply local D1 migrations, start the Worker with wrangler dev (local D1, R2, KV,
// Queues and Durable Objects, no Cloudflare account), and on the first start create the first
// organization, owner and API key, printed once and saved to .dev-credentials.json.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(apiDir, '..', '..');
const devVarsPath = join(apiDir, '.dev.vars');
const credentialsPath = join(repoRoot, '.dev-credentials.json');
const port = Number(process.env.PORT ?? 8787);
const baseUrl = `http://127.0.0.1:${port}`;
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false' };

/** Local secrets, generated once: the AES-GCM key for user secrets and the bootstrap token. */
function ensureDevVars(): Record<string, string> {
  const existing = existsSync(devVarsPath) ? readFileSync(devVarsPath, 'utf8') : '';
  const vars = Object.fromEntries(
    existing
      .split('\n')
      .map((line) => line.match(/^([A-Z0-9_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Record<string, string>;
  const wanted = {
    SECRETS_ENCRYPTION_KEY: () => randomBytes(32).toString('base64url'),
    BOOTSTRAP_TOKEN: () => randomBytes(24).toString('base64url'),
  };
  const missing = Object.entries(wanted).filter(([name]) => !vars[name]);
  if (missing.length > 0) {
    const lines = missing.map(([name, generate]) => {
      vars[name] = generate();
      return `${name}=${vars[name]}`;
    });
    writeFileSync(
      devVarsPath,
      `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`,
    );
    console.log(
      `Wrote ${missing.map(([name]) => name).join(', ')} to packages/api/.dev.vars (git-ignored).`,
    );
  }
  return vars;
}

function applyMigrations(): void {
  const result = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local'], {
    cwd: apiDir,
    stdio: 'inherit',
    env: { ...childEnv, CI: 'true' }, // CI=true: never stop at an interactive prompt
  });
  if (result.status !== 0) {
    console.error('Applying local migrations failed.');
    process.exit(result.status ?? 1);
  }
}

async function waitForHealth(child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The Worker did not answer ${baseUrl}/health within ${timeoutMs / 1000}s`);
}

async function ensureCredentials(bootstrapToken: string): Promise<void> {
  if (existsSync(credentialsPath)) {
    const saved = JSON.parse(readFileSync(credentialsPath, 'utf8')) as {
      email?: string;
      apiKey?: string;
    };
    const me = await fetch(`${baseUrl}/v1/whoami`, {
      headers: { authorization: `Bearer ${saved.apiKey}` },
    });
    console.log(
      me.ok
        ? `\nReusing the local owner ${saved.email} (credentials in .dev-credentials.json).`
        : '\n.dev-credentials.json does not match the local database; delete it and packages/api/.wrangler to start over.',
    );
    return;
  }
  const res = await fetch(`${baseUrl}/v1/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bootstrap-token': bootstrapToken },
    body: JSON.stringify({ email: 'owner@skypatch.local', orgName: 'Local Organization' }),
  });
  if (res.status === 409) {
    console.log('\nThe local database already has an owner, but .dev-credentials.json is gone.');
    console.log('To start over: stop, delete packages/api/.wrangler, and run npm start again.');
    return;
  }
  if (res.status !== 201) throw new Error(`Bootstrap failed: ${res.status} ${await res.text()}`);
  const created = (await res.json()) as {
    email: string;
    password: string;
    apiKey: string;
    orgId: string;
  };
  const credentials = {
    email: created.email,
    password: created.password,
    apiKey: created.apiKey,
    orgId: created.orgId,
    baseUrl,
  };
  writeFileSync(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  console.log(
    '\nFirst start: created the local owner. Shown once, saved to .dev-credentials.json:',
  );
  console.log(`  email     ${credentials.email}`);
  console.log(`  password  ${credentials.password}`);
  console.log(`  API key   ${credentials.apiKey}`);
  console.log(`  org id    ${credentials.orgId}`);
}

async function main(): Promise<void> {
  const vars = ensureDevVars();
  applyMigrations();
  const child = spawn('wrangler', ['dev', '--port', String(port), '--ip', '127.0.0.1'], {
    cwd: apiDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: childEnv,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
  try {
    await waitForHealth(child);
    await ensureCredentials(vars.BOOTSTRAP_TOKEN ?? '');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    child.kill('SIGTERM');
    process.exit(1);
  }
  console.log(`\nSkypatch is running at ${baseUrl}`);
  console.log(`  health    ${baseUrl}/health`);
  console.log(`  API docs  ${baseUrl}/docs  (OpenAPI: ${baseUrl}/openapi.json)`);
  console.log(
    `  try       curl -H "Authorization: Bearer $(node -p "require('./.dev-credentials.json').apiKey")" ${baseUrl}/v1/whoami\n`,
  );
}

await main();
