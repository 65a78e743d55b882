import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { ReleasePageJson, UploadJobJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { auditLogs, channels, releases, uploadJobs } from '../src/db/schema';
import type { UploadStatus } from '../src/durable-objects/upload-status';
import worker from '../src/index';
import { sha256Hex } from '../src/lib/crypto';
import { newId } from '../src/lib/ids';
import { backoffSeconds } from '../src/queues/uploads';
import { cacheKeys } from '../src/services/cache';
import { finalBundleKey } from '../src/services/upload-processor';
import { uploadStatusOf } from '../src/services/upload-status';
import { pendingKeyOf, type UploadMessage } from '../src/services/uploads';
import { createApiKey, createApp, createMember, createOrg, createRelease, db } from './factories';
import { api, request } from './request';
import { settledUpload } from './uploads-settle';

// Seed 002's data flow end to end in the Workers runtime: API → R2 pending/ → Queue → consumer →
// R2 final → D1, with progress in UploadStatusDO. The test runtime delivers queue messages to
// the Worker's own consumer, so these uploads really travel through the queue.

async function world() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  return { test, app, channel, key, base: `/v1/orgs/${test.org.id}` };
}

type World = Awaited<ReturnType<typeof world>>;

function bundleZip(text: string, extra: Record<string, Uint8Array> = {}) {
  return zipSync({
    'CodePush/index.ios.bundle': strToU8(text),
    'CodePush/assets/logo.png': new Uint8Array([137, 80, 78, 71, 1, 2, 3]),
    ...extra,
  });
}

function upload(
  w: World,
  body: BodyInit,
  {
    query = 'appVersion=%5E1.0.0',
    headers = {} as Record<string, string>,
    key = w.key.secret,
  } = {},
) {
  return request<UploadJobJson>(
    'POST',
    `${w.base}/apps/${w.app.id}/channels/${w.channel.id}/uploads?${query}`,
    { key, raw: body, headers: { 'content-type': 'application/zip', ...headers } },
  );
}

/** Polls the job until the queue consumer has finished with it. */
const settled = (w: World, jobId: string) => settledUpload(w.key.secret, w.test.org.id, jobId);

async function releaseRows(channelId: string) {
  return db().select().from(releases).where(eq(releases.channelId, channelId));
}

async function expectNothingLeft(jobId: string, appId: string, releaseId: string) {
  expect(await env.BUNDLES.head(pendingKeyOf(jobId))).toBeNull();
  expect(await env.BUNDLES.head(finalBundleKey(appId, releaseId))).toBeNull();
  expect(await db().select().from(releases).where(eq(releases.id, releaseId))).toHaveLength(0);
}

describe('an upload, end to end', () => {
  it('becomes an active release: final bundle in R2, release in D1, cache bumped', async () => {
    const w = await world();
    const zip = bundleZip('console.log("v1")');
    const res = await upload(w, zip, {
      query: 'appVersion=%5E1.2.0&description=First&mandatory=true',
    });
    expect(res.status, res.text).toBe(202);
    const accepted = UploadJobJson.parse(res.body);
    expect(accepted.status).toBe('pending');

    const job = await settled(w, accepted.id);
    expect(job, JSON.stringify(job)).toMatchObject({
      status: 'complete',
      progress: 100,
      error: null,
    });
    const [release] = await releaseRows(w.channel.id);
    expect(release).toMatchObject({
      id: job.releaseId,
      label: 'v1',
      appVersionRange: '^1.2.0',
      minAppVersion: '1.2.0',
      releaseNotes: 'First',
      isMandatory: true,
      rolloutPercentage: 100,
      status: 'active',
      bundleSize: zip.length,
      bundleHash: `sha256:${await sha256Hex(zip)}`,
      releaseMethod: 'upload',
    });
    expect(release?.packageHash).toMatch(/^[0-9a-f]{64}$/);

    const stored = await env.BUNDLES.get(finalBundleKey(w.app.id, release?.id ?? ''));
    expect(new Uint8Array(await (stored?.arrayBuffer() ?? new ArrayBuffer(0)))).toEqual(zip);
    expect(await env.BUNDLES.head(pendingKeyOf(accepted.id))).toBeNull();

    const [channel] = await db().select().from(channels).where(eq(channels.id, w.channel.id));
    expect(channel?.cacheVersion).toBe(2);
    expect(await env.CACHE.get(cacheKeys.channelVersion(w.channel.id))).toBe('2');

    const actions = await db()
      .select({ action: auditLogs.action, apiKeyId: auditLogs.apiKeyId })
      .from(auditLogs)
      .where(eq(auditLogs.orgId, w.test.org.id));
    expect(actions.map((a) => a.action).sort()).toEqual(['release.create', 'upload.create']);
    expect(actions.every((a) => a.apiKeyId === w.key.row.id)).toBe(true);

    const list = await api(w.key.secret).get(`${w.base}/apps/${w.app.id}/releases`);
    expect(ReleasePageJson.parse(list.body).items.map((r) => r.label)).toEqual(['v1']);
  });

  it('numbers releases per channel and accepts a single bundle file', async () => {
    const w = await world();
    await settled(w, UploadJobJson.parse((await upload(w, bundleZip('one'))).body).id);
    const bundle = strToU8('console.log("two")');
    const res = await upload(w, bundle, { headers: { 'content-type': 'application/javascript' } });
    expect(res.status, res.text).toBe(202);
    const job = await settled(w, UploadJobJson.parse(res.body).id);
    expect(job.status, job.error ?? '').toBe('complete');
    const rows = await releaseRows(w.channel.id);
    expect(rows.map((r) => r.label).sort()).toEqual(['v1', 'v2']);
    const second = rows.find((r) => r.label === 'v2');
    expect(second?.packageHash).toBe(await sha256Hex(bundle));
  });

  it('shows the job over the events WebSocket, its current state first', async () => {
    const w = await world();
    const job = await settled(w, UploadJobJson.parse((await upload(w, bundleZip('ws'))).body).id);
    const res = await exports.default.fetch(
      new Request(`https://skypatch.test${w.base}/uploads/${job.id}/events`, {
        headers: { upgrade: 'websocket', authorization: `Bearer ${w.key.secret}` },
      }),
    );
    expect(res.status).toBe(101);
    const socket = res.webSocket;
    if (!socket) throw new Error('no WebSocket');
    const first = new Promise<string>((resolve) =>
      socket.addEventListener('message', (event) => resolve(String(event.data))),
    );
    socket.accept();
    expect(JSON.parse(await first)).toMatchObject({
      jobId: job.id,
      status: 'complete',
      progress: 100,
    });
    socket.close();
    const anonymous = await request('GET', `${w.base}/uploads/${job.id}/events`);
    expect(anonymous.status).toBe(401);
  });
});

describe('a WebSocket watcher', () => {
  it('sees every state of a job: pending, processing steps, complete', async () => {
    const w = await world();
    const jobId = newId('uploadJob');
    const releaseId = newId('release');
    const zip = bundleZip('watched');
    // The job exactly as the API leaves it, minus the queue message: the test delivers it.
    await env.BUNDLES.put(pendingKeyOf(jobId), zip);
    await db()
      .insert(uploadJobs)
      .values({
        id: jobId,
        orgId: w.test.org.id,
        appId: w.app.id,
        channelId: w.channel.id,
        releaseId,
        pendingKey: pendingKeyOf(jobId),
        size: zip.length,
        options: { appVersion: '1.0.0' },
      });
    const stub = uploadStatusOf(env, jobId);
    await stub.updateStatus(jobId, { status: 'pending', progress: 0 });
    const res = await stub.fetch('https://do/ws', { headers: { upgrade: 'websocket' } });
    const socket = res.webSocket;
    if (!socket) throw new Error('no WebSocket');
    const states: UploadStatus[] = [];
    const done = new Promise<void>((resolve) =>
      socket.addEventListener('message', (event) => {
        const state = JSON.parse(String(event.data)) as UploadStatus;
        states.push(state);
        if (state.status === 'complete' || state.status === 'failed') resolve();
      }),
    );
    socket.accept();

    const message: UploadMessage = {
      jobId,
      orgId: w.test.org.id,
      userId: w.test.ownerId,
      apiKeyId: null,
      appId: w.app.id,
      channelId: w.channel.id,
      releaseId,
      pendingKey: pendingKeyOf(jobId),
      timestamp: new Date().toISOString(),
    };
    const batch = createMessageBatch('skypatch-uploads-p2', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['m1']);
    await done;
    expect(states.map((s) => `${s.status}:${s.progress}`)).toEqual([
      'pending:0',
      'processing:10',
      'processing:50',
      'processing:80',
      'complete:100',
    ]);
    socket.close();
  });
});

describe('packages the consumer refuses', () => {
  it.each([
    [
      'an unsafe entry name',
      () => bundleZip('x', { '../../evil.js': strToU8('x') }),
      /Unsafe entry name/,
    ],
    [
      'an archive of directories only',
      () => zipSync({ 'CodePush/': new Uint8Array(0) }),
      /no files/,
    ],
    [
      'a truncated archive',
      () => bundleZip(`truncated ${'x'.repeat(5000)}`).slice(0, 60),
      /truncated|Corrupt/,
    ],
  ])('fails the job on %s and leaves nothing behind', async (_, make, reason) => {
    const w = await world();
    const res = await upload(w, make());
    expect(res.status, res.text).toBe(202);
    const job = await settled(w, UploadJobJson.parse(res.body).id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(reason);
    const [row] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, job.id));
    await expectNothingLeft(job.id, w.app.id, row?.releaseId ?? '');
  });

  it('fails the job when the declared hash does not match', async () => {
    const w = await world();
    const zip = bundleZip('declared');
    const res = await upload(w, zip, { headers: { 'x-content-sha256': '0'.repeat(64) } });
    const job = await settled(w, UploadJobJson.parse(res.body).id);
    expect(job.error).toMatch(/not the declared/);
    expect(await releaseRows(w.channel.id)).toHaveLength(0);
    // With the right hash it goes through.
    const ok = await upload(w, zip, { headers: { 'x-content-sha256': await sha256Hex(zip) } });
    expect((await settled(w, UploadJobJson.parse(ok.body).id)).status).toBe('complete');
  });

  it('refuses contents identical to the current release for the same app versions', async () => {
    const w = await world();
    const zip = bundleZip('same');
    await settled(w, UploadJobJson.parse((await upload(w, zip)).body).id);
    const again = await settled(w, UploadJobJson.parse((await upload(w, zip)).body).id);
    expect(again.status).toBe('failed');
    expect(again.error).toMatch(/identical to release v1/);
    // Another target range is another story (CodePush compares same-range releases only).
    const other = await upload(w, zip, { query: 'appVersion=%5E2.0.0' });
    expect((await settled(w, UploadJobJson.parse(other.body).id)).status).toBe('complete');
  });
});

describe('uploads the API refuses, storing nothing', () => {
  async function expectRefused(w: World, res: { status: number; text: string }, status: number) {
    expect(res.status, res.text).toBe(status);
    const jobs = await db().select().from(uploadJobs).where(eq(uploadJobs.appId, w.app.id));
    expect(jobs).toHaveLength(0);
    const listed = await env.BUNDLES.list({ prefix: 'pending/' });
    const ours = await Promise.all(
      listed.objects.map(async (o) => (await env.BUNDLES.head(o.key))?.customMetadata?.appId),
    );
    expect(ours).not.toContain(w.app.id);
  }

  it.each([
    ['a wrong content type', { headers: { 'content-type': 'text/plain' } }, 415],
    ['a version that is not a range', { query: 'appVersion=banana' }, 400],
    ['no app version', { query: 'description=x' }, 400],
    ['a rollout of 0', { query: 'appVersion=1.0.0&rollout=0' }, 400],
    ['a rollout of 101', { query: 'appVersion=1.0.0&rollout=101' }, 400],
  ])('%s', async (_, options, status) => {
    const w = await world();
    await expectRefused(w, await upload(w, bundleZip('x'), options), status);
  });

  it('a body declared larger than 100 MB, before reading it', async () => {
    const w = await world();
    const res = await upload(w, bundleZip('big'), {
      headers: { 'content-length': String(100 * 1024 * 1024 + 1) },
    });
    await expectRefused(w, res, 413);
  });

  it('a body without Content-Length (chunked)', async () => {
    const w = await world();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bundleZip('chunked'));
        controller.close();
      },
    });
    await expectRefused(w, await upload(w, stream), 400);
  });

  it('an unknown channel, another org, a viewer and a read-only key', async () => {
    const w = await world();
    const zip = bundleZip('authz');
    const unknown = await request(
      'POST',
      `${w.base}/apps/${w.app.id}/channels/chn_nope/uploads?appVersion=1.0.0`,
      {
        key: w.key.secret,
        raw: zip,
        headers: { 'content-type': 'application/zip' },
      },
    );
    await expectRefused(w, unknown, 404);
    const stranger = await createApiKey(await createOrg(), 'owner');
    await expectRefused(w, await upload(w, zip, { key: stranger.secret }), 404);
    const viewer = await createMember(w.test, 'viewer');
    await expectRefused(w, await upload(w, zip, { key: viewer.accessToken }), 403);
    const readOnly = await createApiKey(w.test, 'owner', { scope: 'read_only' });
    await expectRefused(w, await upload(w, zip, { key: readOnly.secret }), 403);
  });

  it('a new release while the current one is still rolling out (CodePush §2.3)', async () => {
    const w = await world();
    await createRelease({ app: w.app, channel: w.channel }, { rolloutPercentage: 20, label: 'v1' });
    const res = await upload(w, bundleZip('blocked'));
    await expectRefused(w, res, 409);
    expect(res.text).toMatch(/v1 is rolled out to 20%/);
  });

  it('more uploads in flight than allowed', async () => {
    const w = await world();
    await env.RATE_LIMITS.put(`uploads:active:${w.test.ownerId}`, '5');
    const res = await upload(w, bundleZip('busy'));
    await expectRefused(w, res, 429);
    expect(res.headers.get('retry-after')).toBe('30');
  });
});

describe('a consumer failure', () => {
  it('is retried with backoff, then dead-lettered and the job fails', async () => {
    const w = await world();
    const jobId = newId('uploadJob');
    const releaseId = newId('release');
    // No pending object: every attempt fails the same transient-looking way.
    await db()
      .insert(uploadJobs)
      .values({
        id: jobId,
        orgId: w.test.org.id,
        appId: w.app.id,
        channelId: w.channel.id,
        releaseId,
        pendingKey: pendingKeyOf(jobId),
        options: { appVersion: '1.0.0' },
      });
    const message: UploadMessage = {
      jobId,
      orgId: w.test.org.id,
      userId: null,
      apiKeyId: null,
      appId: w.app.id,
      channelId: w.channel.id,
      releaseId,
      pendingKey: pendingKeyOf(jobId),
      timestamp: new Date().toISOString(),
    };
    const attempt = async (queue: string, attempts: number) => {
      const batch = createMessageBatch(queue, [
        { id: `m${attempts}`, timestamp: new Date(), attempts, body: message },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      return getQueueResult(batch, ctx);
    };
    const first = await attempt('skypatch-uploads-p2', 1);
    expect(first.retryMessages).toEqual([{ msgId: 'm1' }]);
    expect([1, 2, 3, 10].map(backoffSeconds)).toEqual([10, 20, 40, 300]);
    const third = await attempt('skypatch-uploads-p2', 3);
    expect(third.retryMessages).toEqual([{ msgId: 'm3' }]);
    const [midway] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, jobId));
    expect(midway).toMatchObject({ status: 'processing', attempts: 3 });

    const dead = await attempt('skypatch-uploads-dlq', 1);
    expect(dead.explicitAcks).toEqual(['m1']);
    const [failed] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, jobId));
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatch(/after retries/);
    expect(await uploadStatusOf(env, jobId).getStatus()).toMatchObject({ status: 'failed' });
    await expectNothingLeft(jobId, w.app.id, releaseId);
    const audit = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.orgId, w.test.org.id), eq(auditLogs.action, 'release.create')));
    expect(audit).toHaveLength(0);
  });
});
