import { and, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { telemetryEvents, uploadJobs } from '../db/schema';
import { BaseService } from './base';
import { reportUpload } from './upload-status';

/** How long an upload may sit in `pending/` before the daily sweep removes it. */
export const PENDING_TTL_MS = 24 * 60 * 60 * 1000;
const R2_DELETE_BATCH = 1000; // R2's bulk delete takes at most 1,000 keys
const DAY_MS = 24 * 60 * 60 * 1000;

/** `TELEMETRY_RETENTION_DAYS`: how long raw telemetry_events are kept (counters stay forever). */
export const TelemetryRetentionDays = z.coerce.number().int().min(1).max(3650).catch(30);

export interface TelemetrySweepLimits {
  /** Rows one DELETE statement removes: one statement stays short and bounded. */
  chunkRows: number;
  /** Statements one cron run may issue; what is left waits for the next day's run. */
  maxChunks: number;
}

/**
 * 5,000 rows a statement (with the table's 6 indexes, ~35,000 b-tree entries: well inside a
 * D1 statement's time limit), 40 statements a run: 200,000 rows a day, several times the raw
 * events of a busy app, so a backlog drains within days without one run growing unbounded.
 */
export const TELEMETRY_SWEEP: TelemetrySweepLimits = { chunkRows: 5_000, maxChunks: 40 };

/** Deletes every object under `prefix`, a page at a time; returns how many went. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: R2_DELETE_BATCH });
    const keys = page.objects.map((object) => object.key);
    if (keys.length > 0) await bucket.delete(keys);
    deleted += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

/**
 * The daily sweep of abandoned uploads: `pending/` objects older than a day (a client that
 * vanished mid-upload, a job whose consumer never ran) are deleted, and jobs still unfinished
 * after a day are failed so their watchers stop waiting.
 */
export class RetentionService extends BaseService {
  async sweepPendingUploads(now = new Date()): Promise<{ objects: number; jobs: number }> {
    const cutoff = new Date(now.getTime() - PENDING_TTL_MS);
    let objects = 0;
    let cursor: string | undefined;
    do {
      const page = await this.env.BUNDLES.list({
        prefix: 'pending/',
        cursor,
        limit: R2_DELETE_BATCH,
      });
      const stale = page.objects.filter((object) => object.uploaded < cutoff).map((o) => o.key);
      if (stale.length > 0) await this.env.BUNDLES.delete(stale);
      objects += stale.length;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);

    const abandoned = await this.database
      .select({ id: uploadJobs.id })
      .from(uploadJobs)
      .where(
        and(
          inArray(uploadJobs.status, ['pending', 'processing']),
          lt(uploadJobs.createdAt, cutoff),
        ),
      )
      .limit(500);
    for (const { id } of abandoned) {
      await reportUpload(this.env, this.database, id, {
        status: 'failed',
        error: 'Abandoned: not processed within 24 hours',
      });
    }
    if (objects + abandoned.length > 0) {
      this.logger.info('Swept abandoned uploads', { objects, jobs: abandoned.length });
    }
    return { objects, jobs: abandoned.length };
  }

  /**
   * Deletes raw telemetry events older than `TELEMETRY_RETENTION_DAYS` (default 30), oldest
   * first, in chunks of `chunkRows` through telemetry_timestamp_idx, until a chunk comes back
   * short or the run's budget is spent. release_stats and devices are aggregates and stay: the
   * health totals do not shrink when raw rows age out. Each chunk is its own statement, so a
   * run that stops half-way has still deleted whole chunks, and the next run goes on.
   */
  async sweepOldTelemetry(
    now = new Date(),
    limits: TelemetrySweepLimits = TELEMETRY_SWEEP,
  ): Promise<{ deleted: number; chunks: number; exhausted: boolean }> {
    const days = TelemetryRetentionDays.parse(this.env.TELEMETRY_RETENTION_DAYS);
    const cutoff = now.getTime() - days * DAY_MS;
    // Literals, not parameters: LIMIT takes an integer, and D1 binds JS numbers as REAL.
    const chunkRows = sql.raw(String(Math.trunc(limits.chunkRows)));
    let deleted = 0;
    let chunks = 0;
    let exhausted = false;
    while (chunks < limits.maxChunks) {
      // rowid IN (… LIMIT n): SQLite's DELETE takes no LIMIT unless compiled with it (D1 is not).
      const result = await this.database.run(sql`
        DELETE FROM ${telemetryEvents} WHERE rowid IN (
          SELECT rowid FROM ${telemetryEvents} WHERE ${telemetryEvents.timestamp} < ${cutoff}
          ORDER BY ${telemetryEvents.timestamp} LIMIT ${chunkRows})`);
      chunks++;
      const changes = result.meta.changes ?? 0;
      deleted += changes;
      exhausted = changes >= limits.chunkRows; // a full chunk: there may be more
      if (!exhausted) break;
    }
    if (deleted > 0 || exhausted) {
      this.logger.info('Swept old telemetry events', { deleted, chunks, days, exhausted });
    }
    return { deleted, chunks, exhausted };
  }
}
