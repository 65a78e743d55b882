import { eq } from 'drizzle-orm';
import type { Database } from '../db';
import { type UploadJob, uploadJobs } from '../db/schema';
import type { StatusUpdate, UploadStatusDO } from '../durable-objects/upload-status';

/**
 * One upload's progress, told twice: to its UploadStatusDO (the live view watchers see over a
 * WebSocket) and to its upload_jobs row (the durable record). The DO refuses to revive a
 * finished job, so a redelivered message cannot flip a failed job back to processing.
 */
export async function reportUpload(
  env: Env,
  db: Database,
  jobId: string,
  update: StatusUpdate & { attempts?: number; releaseId?: string },
): Promise<void> {
  const stub = uploadStatusOf(env, jobId);
  const finished = update.status === 'complete' || update.status === 'failed';
  const changes: Partial<UploadJob> = {
    status: update.status,
    progress: update.status === 'complete' ? 100 : (update.progress ?? 0),
    ...(update.error !== undefined ? { error: update.error } : {}),
    ...(update.attempts !== undefined ? { attempts: update.attempts } : {}),
    ...(finished ? { completedAt: new Date() } : {}),
  };
  await Promise.all([
    stub.updateStatus(jobId, {
      status: update.status,
      ...(update.progress !== undefined ? { progress: update.progress } : {}),
      ...(update.error !== undefined ? { error: update.error } : {}),
    }),
    db.update(uploadJobs).set(changes).where(eq(uploadJobs.id, jobId)),
  ]);
}

/** The job's UploadStatusDO. `wrangler types` leaves the binding untyped; this is its class. */
export function uploadStatusOf(env: Env, jobId: string) {
  const namespace = env.UPLOAD_STATUS as unknown as DurableObjectNamespace<UploadStatusDO>;
  return namespace.get(namespace.idFromName(jobId));
}
