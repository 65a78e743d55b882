import { env } from 'cloudflare:workers';
import { UploadJobJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { channels } from '../src/db/schema';
import { cacheKeys } from '../src/services/cache';
import { createApiKey, createApp, createOrg, db } from './factories';
import { request } from './request';
import { settledUpload } from './uploads-settle';

/** An org with an owner key and one app with its Production channel. */
export async function publishingWorld(platform: 'ios' | 'android' = 'ios') {
  const test = await createOrg();
  const { app, channel } = await createApp(test, { platform });
  const key = await createApiKey(test, 'owner');
  return { test, app, channel, key };
}
export type PublishingWorld = Awaited<ReturnType<typeof publishingWorld>>;

/**
 * Releases `body` through the real pipeline (upload → R2 → queue → consumer → D1) and returns
 * the new release's id once the consumer is done.
 */
export async function publish(
  w: PublishingWorld,
  body: Uint8Array,
  options: { appVersion?: string; mandatory?: boolean; rollout?: number; type?: string } = {},
): Promise<string> {
  const query = new URLSearchParams({ appVersion: options.appVersion ?? '1.0.0' });
  if (options.mandatory) query.set('mandatory', 'true');
  if (options.rollout) query.set('rollout', String(options.rollout));
  const res = await request<UploadJobJson>(
    'POST',
    `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/channels/${w.channel.id}/uploads?${query}`,
    {
      key: w.key.secret,
      raw: body,
      headers: { 'content-type': options.type ?? 'application/zip' },
    },
  );
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${res.text}`);
  const job = await settledUpload(w.key.secret, w.test.org.id, UploadJobJson.parse(res.body).id);
  if (job.status !== 'complete' || !job.releaseId) throw new Error(job.error ?? 'upload failed');
  await stampPublished(w.channel.id);
  return job.releaseId;
}

/**
 * Waits for the consumer's last step, publishing the channel's new cache stamp to KV (it runs
 * after the job is marked complete), so the next check cannot race it.
 */
async function stampPublished(channelId: string) {
  for (let i = 0; i < 100; i++) {
    const [channel] = await db().select().from(channels).where(eq(channels.id, channelId));
    const published = await env.CACHE.get(cacheKeys.channelVersion(channelId));
    if (channel && published === String(channel.cacheVersion)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`channel ${channelId}: cache stamp never published`);
}
