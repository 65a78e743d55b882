import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CRON } from '../src/cron';
import { releaseStats, telemetryEvents } from '../src/db/schema';
import worker from '../src/index';
import { createServices } from '../src/services';
import { createApp, createOrg, createRelease, db } from './factories';

// Retention of raw telemetry (issue 7, item 2): the daily cron deletes telemetry_events older
// than TELEMETRY_RETENTION_DAYS in bounded chunks; the counters built from them stay.

const DAY = 24 * 60 * 60 * 1000;

/** `count` raw events of the app, `ageDays` old (one ms apart), inserted by one statement. */
async function seedEvents(appId: string, releaseId: string, count: number, ageDays: number) {
  const start = Date.now() - ageDays * DAY;
  const prefix = `${appId}-${ageDays}d-`;
  await db().run(sql`
    INSERT INTO telemetry_events (id, device_id, app_id, event_type, release_id, timestamp,
      created_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    SELECT ${prefix} || i, 'device-' || (i % 7), ${appId}, 'update_installed', ${releaseId},
      ${sql.raw(String(start))} + i, ${sql.raw(String(start))} + i
    FROM n`);
}

async function countEvents(appId: string, olderThan?: number) {
  const [row] = await db()
    .select({ n: sql<number>`count(*)` })
    .from(telemetryEvents)
    .where(
      and(
        eq(telemetryEvents.appId, appId),
        olderThan === undefined ? undefined : lt(telemetryEvents.timestamp, new Date(olderThan)),
      ),
    );
  return row?.n ?? 0;
}

async function world() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const release = await createRelease({ app, channel });
  const stats = {
    releaseId: release.id,
    totalDownloads: 400,
    totalInstalls: 380,
    totalFailures: 3,
    totalRollbacks: 2,
    totalCrashes: 9,
    lastUpdatedAt: new Date(Date.now() - 40 * DAY),
  };
  await db().insert(releaseStats).values(stats);
  return { app, release, stats };
}

describe('telemetry retention', () => {
  it('deletes events past the retention in chunks, within a budget, and keeps the rest', async () => {
    const { app, release, stats } = await world();
    await seedEvents(app.id, release.id, 230, 45); // past the default 30 days
    await seedEvents(app.id, release.id, 20, 29); // inside it
    const cutoff = Date.now() - 30 * DAY;
    const retention = createServices(env).retention;

    // A budget of two chunks of 50: 100 go, the run reports that more remain.
    const partial = await retention.sweepOldTelemetry(new Date(), { chunkRows: 50, maxChunks: 2 });
    expect(partial).toEqual({ deleted: 100, chunks: 2, exhausted: true });
    expect(await countEvents(app.id, cutoff)).toBe(130);
    // Oldest first: what is left is the newest of the old rows.
    const [oldest] = await db()
      .select({ id: telemetryEvents.id })
      .from(telemetryEvents)
      .where(eq(telemetryEvents.appId, app.id))
      .orderBy(telemetryEvents.timestamp)
      .limit(1);
    expect(oldest?.id).toBe(`${app.id}-45d-101`);

    // The next run drains the rest: 3 chunks (50, 50, 30), the short one ends it.
    const rest = await retention.sweepOldTelemetry(new Date(), { chunkRows: 50, maxChunks: 10 });
    expect(rest).toEqual({ deleted: 130, chunks: 3, exhausted: false });
    expect(await countEvents(app.id, cutoff)).toBe(0);
    expect(await countEvents(app.id)).toBe(20);

    // The counters are aggregates: they do not shrink when raw rows age out.
    const [after] = await db()
      .select()
      .from(releaseStats)
      .where(eq(releaseStats.releaseId, release.id));
    expect(after).toEqual(stats);

    // Nothing left to delete: one short chunk.
    expect(await retention.sweepOldTelemetry()).toEqual({
      deleted: 0,
      chunks: 1,
      exhausted: false,
    });
  });

  it('honours TELEMETRY_RETENTION_DAYS, and the daily cron runs the sweep', async () => {
    const { app, release } = await world();
    await seedEvents(app.id, release.id, 12, 10);
    await seedEvents(app.id, release.id, 5, 3);
    // Vars are strings of any value at runtime; the generated type pins the configured one.
    const week = { ...env, TELEMETRY_RETENTION_DAYS: '7' } as unknown as Env;
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: CRON.daily, scheduledTime: Date.now() }),
      week,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(await countEvents(app.id)).toBe(5);
    const [kept] = await db()
      .select({ n: sql<number>`count(*)` })
      .from(telemetryEvents)
      .where(
        and(
          eq(telemetryEvents.appId, app.id),
          gte(telemetryEvents.timestamp, new Date(Date.now() - 4 * DAY)),
        ),
      );
    expect(kept?.n).toBe(5);
  });

  it('falls back to 30 days when the variable is not a whole number of days', async () => {
    const { app, release } = await world();
    await seedEvents(app.id, release.id, 4, 31);
    await seedEvents(app.id, release.id, 3, 20);
    const broken = { ...env, TELEMETRY_RETENTION_DAYS: 'forever' } as unknown as Env;
    await createServices(broken).retention.sweepOldTelemetry();
    expect(await countEvents(app.id)).toBe(3);
  });
});
