import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apps, uploadJobs } from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { createServices } from '../src/services';
import { PENDING_TTL_MS } from '../src/services/retention';
import { uploadStatusOf } from '../src/services/upload-status';
import { createApp, createOrg, db } from './factories';

// The daily sweeps of R2: abandoned uploads, and the objects of purged apps.

const DAY = 24 * 60 * 60 * 1000;

describe('the pending-upload sweep', () => {
  it('deletes pending objects older than a day and fails their stuck jobs, nothing else', async () => {
    const test = await createOrg();
    const { app, channel } = await createApp(test);
    const oldJob = newId('uploadJob');
    const newJob = newId('uploadJob');
    const finalKey = `${app.id}/rel_x/bundle`;
    await Promise.all([
      env.BUNDLES.put(`pending/${oldJob}/bundle`, 'abandoned'),
      env.BUNDLES.put(`pending/${newJob}/bundle`, 'in flight'),
      env.BUNDLES.put(finalKey, 'published'),
    ]);
    const job = (id: string, createdAt: Date) => ({
      id,
      orgId: test.org.id,
      appId: app.id,
      channelId: channel.id,
      pendingKey: `pending/${id}/bundle`,
      createdAt,
    });
    const now = new Date(Date.now() + PENDING_TTL_MS + 60_000);
    await db()
      .insert(uploadJobs)
      .values([job(oldJob, new Date(Date.now() - DAY)), job(newJob, now)]);

    // Everything was written "now", so sweep from a day later: both objects are stale by then,
    // which is what lets a test see the age rule without waiting a day.
    const report = await createServices(env).retention.sweepPendingUploads(now);
    expect(report.objects).toBeGreaterThanOrEqual(2);
    expect(await env.BUNDLES.head(`pending/${oldJob}/bundle`)).toBeNull();
    expect(await env.BUNDLES.head(finalKey)).not.toBeNull();
    const [failed] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, oldJob));
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Abandoned: not processed within 24 hours',
    });
    expect(await uploadStatusOf(env, oldJob).getStatus()).toMatchObject({ status: 'failed' });
    const [fresh] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, newJob));
    expect(fresh?.status).toBe('pending');
  });

  it('keeps pending objects younger than a day', async () => {
    const key = `pending/${newId('uploadJob')}/bundle`;
    await env.BUNDLES.put(key, 'fresh');
    await createServices(env).retention.sweepPendingUploads(new Date());
    expect(await env.BUNDLES.head(key)).not.toBeNull();
  });
});

describe('purging an app', () => {
  it('deletes its R2 objects and leaves other apps alone', async () => {
    const test = await createOrg();
    const gone = await createApp(test);
    const kept = await createApp(test);
    const keys = [
      `${gone.app.id}/rel_a/bundle`,
      `${gone.app.id}/rel_a/diffs/rel_b.fossil`,
      `patches/${gone.app.id}/1.0.0/android/aarch64/1`,
    ];
    await Promise.all(
      [...keys, `${kept.app.id}/rel_c/bundle`].map((key) => env.BUNDLES.put(key, 'x')),
    );
    await db()
      .update(apps)
      .set({ deletedAt: new Date(Date.now() - 31 * DAY) })
      .where(eq(apps.id, gone.app.id));

    const report = await createServices(env).purge.purgeExpired();
    expect(report.apps).toBe(1);
    for (const key of keys) expect(await env.BUNDLES.head(key), key).toBeNull();
    expect(await env.BUNDLES.head(`${kept.app.id}/rel_c/bundle`)).not.toBeNull();
    expect(await db().select().from(apps).where(eq(apps.id, gone.app.id))).toHaveLength(0);
  });
});
