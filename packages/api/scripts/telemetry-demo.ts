// Issue 7's "done when", against a running `npm start` (http://127.0.0.1:8787, or BASE_URL):
// a release goes out, simulated devices report installs and crashes through POST /v1/telemetry,
// the health API shows the counts, and crossing the crash threshold rolls the release back,
// which the next update check shows. Uses the owner key npm start saved in .dev-credentials.json.
//
//   npx tsx packages/api/scripts/telemetry-demo.ts        (DEVICES=40 CRASHING=12 to change)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreatedAppJson,
  ReleaseHealthJson,
  TelemetryAcceptedJson,
  UpdateCheckJson,
  UploadJobJson,
} from '@skypatch/protocol';
import { z } from 'zod';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8787';
const devices = Number(process.env.DEVICES ?? 40);
const crashing = Number(process.env.CRASHING ?? 12);
const settings = { crashRollbackThreshold: 0.05, crashRollbackMinInstalls: 20 };

const Credentials = z.object({ apiKey: z.string(), orgId: z.string() });
const credentials = Credentials.parse(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../.dev-credentials.json'), 'utf8')),
);
const auth = { authorization: `Bearer ${credentials.apiKey}` };
const org = `/v1/orgs/${credentials.orgId}`;

async function call<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown) {
  const isText = typeof body === 'string';
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...auth,
      'content-type': isText ? 'application/javascript' : 'application/json',
    },
    body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return schema.parse(JSON.parse(text));
}

async function poll<T>(what: string, read: () => Promise<T | null>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const log = (line: string) => console.log(line);

async function upload(appId: string, channelId: string, text: string) {
  const bundle = `${'var module = {};\n'.repeat(50)}console.log(${JSON.stringify(text)});\n`;
  const job = await call(
    UploadJobJson,
    'POST',
    `${org}/apps/${appId}/channels/${channelId}/uploads?appVersion=%5E1.0.0&description=${text}`,
    bundle,
  );
  const done = await poll(`upload ${job.id}`, async () => {
    const now = await call(UploadJobJson, 'GET', `${org}/uploads/${job.id}`);
    if (now.status === 'failed') throw new Error(`upload failed: ${now.error}`);
    return now.status === 'complete' && now.releaseId ? now.releaseId : null;
  });
  log(`  uploaded ${text}: release ${done}`);
  return done;
}

async function check(deploymentKey: string, deviceId: string, currentReleaseId?: string) {
  const res = await fetch(`${base}/v1/updates/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      deploymentKey,
      platform: 'android',
      appVersion: '1.0.0',
      deviceId,
      ...(currentReleaseId ? { currentReleaseId } : {}),
    }),
  });
  return UpdateCheckJson.parse(await res.json());
}

let eventSeq = 0;
const deviceIndex = (deviceId: string) => Number(deviceId.split('-').pop());
async function report(
  deploymentKey: string,
  deviceId: string,
  events: { type: string; releaseId: string }[],
) {
  const answer = await call(TelemetryAcceptedJson, 'POST', '/v1/telemetry', {
    deploymentKey,
    deviceId,
    platform: 'android',
    appVersion: '1.0.0',
    osVersion: `${12 + (deviceIndex(deviceId) % 3)}`,
    deviceModel: ['Pixel 8', 'Galaxy S24', 'Pixel 7a'][deviceIndex(deviceId) % 3],
    // A millisecond apart, in order: the devices row takes the newest install or check.
    events: events.map((event, i) => ({
      id: `demo-${Date.now()}-${++eventSeq}`,
      timestamp: Date.now() - 1_000 + i,
      ...event,
    })),
  });
  if (answer.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(answer.rejected)}`);
}

function showHealth(health: ReleaseHealthJson) {
  const { totals } = health;
  log(
    `  health: status ${health.status}, installs ${totals.installs}, crashes ${totals.crashes}, ` +
      `downloads ${totals.downloads}, active devices ${health.activeDevices}, crash rate ` +
      `${(health.crashRate * 100).toFixed(1)}% (Wilson lower bound ` +
      `${(health.crashRateLowerBound * 100).toFixed(1)}%)`,
  );
  const models = health.breakdown.deviceModel.installs.top;
  log(`  installs by model: ${models.map((row) => `${row.value} ${row.count}`).join(', ')}`);
  log(`  daily buckets: ${JSON.stringify(health.adoptionDaily)}`);
}

async function main() {
  log(`Skypatch telemetry demo against ${base}`);
  const app = await call(CreatedAppJson, 'POST', `${org}/apps`, {
    name: `Telemetry demo ${new Date().toISOString()}`,
    bundleId: 'com.example.telemetrydemo',
    platform: 'android',
    settings,
  });
  const channel = app.channels.find((c) => c.name === 'Production');
  if (!channel) throw new Error('no Production channel');
  log(`1. app ${app.id}, settings ${JSON.stringify(settings)}`);

  log('2. two releases on Production');
  const v1 = await upload(app.id, channel.id, 'v1');
  const v2 = await upload(app.id, channel.id, 'v2');
  const first = await check(channel.deploymentKey, 'device-0');
  log(
    `  a new device checks: ${first.action} to ${first.action === 'update' ? first.update.label : '-'}`,
  );

  log(`3. ${devices} devices check, download and install v2 (none crash yet)`);
  for (let d = 0; d < devices; d++) {
    await report(channel.deploymentKey, `device-${d}`, [
      { type: 'update_check', releaseId: v1 },
      { type: 'update_downloaded', releaseId: v2 },
      { type: 'update_installed', releaseId: v2 },
    ]);
  }
  const healthPath = `${org}/apps/${app.id}/releases/${v2}/health`;
  const installed = await poll('the installs in the health API', async () => {
    const health = await call(ReleaseHealthJson, 'GET', healthPath);
    return health.totals.installs >= devices ? health : null;
  });
  showHealth(installed);

  log(`4. ${crashing} of them crash on v2`);
  for (let d = 0; d < crashing; d++) {
    await report(channel.deploymentKey, `device-${d}`, [{ type: 'crash', releaseId: v2 }]);
  }
  const rolledBack = await poll('the auto-rollback', async () => {
    const health = await call(ReleaseHealthJson, 'GET', healthPath);
    return health.status === 'rolled_back' ? health : null;
  });
  showHealth(rolledBack);
  const release = await call(
    z.object({ status: z.string(), rollbackReason: z.string().nullable() }),
    'GET',
    `${org}/apps/${app.id}/releases/${v2}`,
  );
  log(`  release v2: ${release.status}: ${release.rollbackReason}`);

  log('5. the next check of a device on v2');
  const next = await poll('a check that sees the rollback', async () => {
    const answer = await check(channel.deploymentKey, 'device-0', v2);
    return answer.action === 'rollback' ? answer : null;
  });
  log(
    `  ${next.action} to ${next.update ? `${next.update.label} (${next.update.releaseId})` : 'the binary'}; ` +
      `v1 is ${v1}`,
  );
  if (next.update?.releaseId !== v1) throw new Error('expected a rollback to v1');
  log('Done: the crashing release was rolled back and devices go back to v1.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
