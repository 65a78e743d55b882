import { env } from 'cloudflare:workers';
import { MultipartStartedJson, UploadedPartJson, type UploadJobJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { releases, uploadJobs } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { pendingKeyOf } from '../src/services/uploads';
import { createApiKey, createApp, createOrg, db } from './factories';
import { api, request } from './request';
import { settledUpload } from './uploads-settle';

// Packages over one request's limit, in parts through R2's multipart upload.

async function world() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  return { test, app, channel, key, as: api(key.secret), base: `/v1/orgs/${test.org.id}` };
}
type World = Awaited<ReturnType<typeof world>>;

/** A zip just over one part: incompressible data, stored. */
function bigPackage(bytes: number) {
  const noise = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536)
    crypto.getRandomValues(noise.subarray(at, Math.min(bytes, at + 65536)));
  return zipSync(
    {
      'CodePush/index.android.bundle': strToU8('console.log("big")'),
      'CodePush/assets/video.bin': noise,
    },
    { level: 0 },
  );
}

async function start(w: World, size: number, extra: Record<string, unknown> = {}) {
  const res = await w.as.post<MultipartStartedJson>(
    `${w.base}/apps/${w.app.id}/channels/${w.channel.id}/uploads/multipart`,
    { appVersion: '1.0.0', size, ...extra },
  );
  expect(res.status, res.text).toBe(201);
  return MultipartStartedJson.parse(res.body);
}

function putPart(w: World, jobId: string, partNumber: number, bytes: Uint8Array) {
  return request<UploadedPartJson>('PUT', `${w.base}/uploads/${jobId}/parts/${partNumber}`, {
    key: w.key.secret,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

const settled = (w: World, jobId: string) => settledUpload(w.key.secret, w.test.org.id, jobId);

describe('multipart uploads', () => {
  it('assembles the parts in R2 and releases the package like any upload', async () => {
    const w = await world();
    const zip = bigPackage(11 * 1024 * 1024);
    const sha256 = await sha256Hex(zip);
    const started = await start(w, zip.length, { sha256 });
    expect(started).toMatchObject({ partSize: 10 * 1024 * 1024, parts: 2 });
    expect(started.job.status).toBe('pending');

    const parts: UploadedPartJson[] = [];
    for (let n = 1; n <= started.parts; n++) {
      const bytes = zip.subarray((n - 1) * started.partSize, n * started.partSize);
      const res = await putPart(w, started.job.id, n, bytes);
      expect(res.status, res.text).toBe(200);
      parts.push(UploadedPartJson.parse(res.body));
    }
    const done = await w.as.post<UploadJobJson>(`${w.base}/uploads/${started.job.id}/complete`, {
      parts: parts.reverse(),
    });
    expect(done.status, done.text).toBe(202);
    const job = await settled(w, started.job.id);
    expect(job.status, job.error ?? '').toBe('complete');
    const [release] = await db()
      .select()
      .from(releases)
      .where(eq(releases.id, job.releaseId ?? ''));
    expect(release).toMatchObject({ bundleSize: zip.length, bundleHash: `sha256:${sha256}` });
    expect(await env.BUNDLES.head(pendingKeyOf(job.id))).toBeNull();
  });

  it('refuses parts that do not add up to the announced size, failing the job', async () => {
    const w = await world();
    const started = await start(w, 6 * 1024 * 1024);
    const part = await putPart(w, started.job.id, 1, new Uint8Array(1024));
    const done = await w.as.post(`${w.base}/uploads/${started.job.id}/complete`, {
      parts: [UploadedPartJson.parse(part.body)],
    });
    expect(done.status, done.text).toBe(400);
    const [job] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, started.job.id));
    expect(job?.status).toBe('failed');
    expect(
      await db().select().from(releases).where(eq(releases.channelId, w.channel.id)),
    ).toHaveLength(0);
  });

  it('aborts: the job fails and later parts are refused', async () => {
    const w = await world();
    const started = await start(w, 12 * 1024 * 1024);
    expect((await w.as.delete(`${w.base}/uploads/${started.job.id}`)).status).toBe(204);
    expect((await putPart(w, started.job.id, 1, new Uint8Array(10))).status).toBe(409);
    const [job] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, started.job.id));
    expect(job).toMatchObject({ status: 'failed', error: 'Aborted by the uploader' });
  });

  it('refuses a size over 1 GB, and a job of another org', async () => {
    const w = await world();
    const tooBig = await w.as.post(
      `${w.base}/apps/${w.app.id}/channels/${w.channel.id}/uploads/multipart`,
      {
        appVersion: '1.0.0',
        size: 2 * 1024 * 1024 * 1024,
      },
    );
    expect(tooBig.status).toBe(400);
    const started = await start(w, 6 * 1024 * 1024);
    const other = await world();
    const res = await request('PUT', `${other.base}/uploads/${started.job.id}/parts/1`, {
      key: other.key.secret,
      raw: new Uint8Array(10),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(404);
  });
});
