import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type UploadJob, uploadJobs } from '../db/schema';
import { AppError } from '../lib/errors';
import type { Actor } from './actor';
import { assertAppInScope } from './apps';
import { reportUpload } from './upload-status';
import {
  activeUploadsKey,
  PrepareInput,
  ReleaseOptions,
  releaseActiveSlot,
  UploadService,
} from './uploads';

/** The largest package a multipart upload takes; R2 allows far more, the consumer not. */
export const MAX_MULTIPART_BYTES = 1024 * 1024 * 1024;
/** R2 needs every part but the last to be at least 5 MiB; 10 MiB keeps requests well under 100 MB. */
export const PART_BYTES = 10 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;

const Id = z.string().min(1).max(64);
const StartInput = PrepareInput.extend({
  size: z.number().int().min(1).max(MAX_MULTIPART_BYTES),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
const JobRef = z.object({ orgId: Id, jobId: Id });
const PartInput = JobRef.extend({
  partNumber: z.number().int().min(1).max(10_000),
  contentLength: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024),
});
const CompleteInput = JobRef.extend({
  parts: z
    .array(
      z.object({
        partNumber: z.number().int().min(1).max(10_000),
        etag: z.string().min(1).max(200),
      }),
    )
    .min(1)
    .max(10_000),
});

/**
 * Packages over one request's 100 MB, through R2's multipart upload (the same `pending/` key):
 * start (the job is recorded, R2 hands out an upload id), send parts, complete (R2 assembles
 * the object, its size is checked, the job goes to the queue like any other), or abort.
 */
export class MultipartUploadService extends UploadService {
  async start(actor: Actor, input: z.input<typeof StartInput>) {
    const { size, sha256, ...rest } = StartInput.parse(input);
    const prepared = await this.prepare(actor, rest);
    const upload = await this.env.BUNDLES.createMultipartUpload(prepared.pendingKey, {
      customMetadata: prepared.metadata,
    });
    const job = await this.record(actor, prepared, size, sha256 ?? null, {
      multipartUploadId: upload.uploadId,
    });
    return { job, partSize: PART_BYTES, parts: Math.ceil(size / PART_BYTES) };
  }

  async uploadPart(
    actor: Actor,
    input: z.input<typeof PartInput>,
    body: ReadableStream<Uint8Array>,
  ) {
    const { partNumber, contentLength, ...ref } = PartInput.parse(input);
    const { job, uploadId } = await this.openMultipart(actor, ref);
    const upload = this.env.BUNDLES.resumeMultipartUpload(job.pendingKey, uploadId);
    try {
      return await upload.uploadPart(
        partNumber,
        body.pipeThrough(new FixedLengthStream(contentLength)),
      );
    } catch (error) {
      this.logger.warn('Part refused', { jobId: job.id, partNumber, error });
      throw new AppError(
        'BAD_REQUEST',
        'The part did not arrive whole, or R2 refused it; send it again',
      );
    }
  }

  async complete(actor: Actor, input: z.input<typeof CompleteInput>): Promise<UploadJob> {
    const { parts, ...ref } = CompleteInput.parse(input);
    const { job, uploadId } = await this.openMultipart(actor, ref);
    const upload = this.env.BUNDLES.resumeMultipartUpload(job.pendingKey, uploadId);
    let size: number;
    try {
      size = (await upload.complete([...parts].sort((a, b) => a.partNumber - b.partNumber))).size;
    } catch (error) {
      this.logger.warn('Multipart completion refused', { jobId: job.id, error });
      throw new AppError(
        'BAD_REQUEST',
        `R2 could not assemble the parts: every part but the last needs at least ${MIN_PART_BYTES} bytes, and each etag must match`,
      );
    }
    if (size !== job.size) {
      await this.fail(job, `The parts add up to ${size} bytes, not the ${job.size} announced`);
      throw new AppError(
        'BAD_REQUEST',
        `The parts add up to ${size} bytes, not the ${job.size} announced`,
      );
    }
    const [started] = await this.database
      .update(uploadJobs)
      .set({ options: { ...ReleaseOptions.parse(job.options), multipartUploadId: undefined } })
      .where(eq(uploadJobs.id, job.id))
      .returning();
    return this.enqueue(actor, started ?? job);
  }

  async abort(actor: Actor, input: z.input<typeof JobRef>): Promise<void> {
    const { job, uploadId } = await this.openMultipart(actor, JobRef.parse(input));
    await this.env.BUNDLES.resumeMultipartUpload(job.pendingKey, uploadId).abort();
    await this.fail(job, 'Aborted by the uploader');
  }

  private async openMultipart(actor: Actor, ref: z.infer<typeof JobRef>) {
    const access = await this.authorize(actor, ref.orgId, 'release.create');
    const [job] = await this.getReadDb('fresh')
      .select()
      .from(uploadJobs)
      .where(and(eq(uploadJobs.id, ref.jobId), eq(uploadJobs.orgId, ref.orgId)))
      .limit(1);
    if (!job) throw new AppError('NOT_FOUND', 'Upload not found');
    assertAppInScope(access, job.appId);
    const uploadId = ReleaseOptions.safeParse(job.options).data?.multipartUploadId;
    if (!uploadId || job.status !== 'pending') {
      throw new AppError('CONFLICT', 'This upload is not an open multipart upload');
    }
    return { job, uploadId };
  }

  private async fail(job: UploadJob, reason: string) {
    await reportUpload(this.env, this.database, job.id, { status: 'failed', error: reason });
    await Promise.all([
      this.env.BUNDLES.delete(job.pendingKey),
      releaseActiveSlot(this.env.RATE_LIMITS, activeUploadsKey(job.userId, null)),
    ]);
  }
}
