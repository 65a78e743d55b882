import { and, inArray, lt } from 'drizzle-orm';
import { uploadJobs } from '../db/schema';
import { BaseService } from './base';
import { reportUpload } from './upload-status';

/** How long an upload may sit in `pending/` before the daily sweep removes it. */
export const PENDING_TTL_MS = 24 * 60 * 60 * 1000;
const R2_DELETE_BATCH = 1000; // R2's bulk delete takes at most 1,000 keys

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
}
