import { UploadQuery } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type OrgPlan, organizations, type UploadJob, uploadJobs } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { type Actor, actorUserId } from './actor';
import { AppService, assertAppInScope } from './apps';
import { BaseService } from './base';
import { assertAppVersionRange, recentReleases, refuseUnfinishedRollout } from './release-rules';
import { reportUpload } from './upload-status';

/** One request body; larger packages go through R2 multipart upload (not yet offered). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Uploads one person may have in flight (seed 002's `uploads:active:{userId}`). */
export const MAX_ACTIVE_UPLOADS = 5;
const ACTIVE_TTL_SECONDS = 3600;

/** The upload queue message (docs/data-model.md), validated again by the consumer. */
export const UploadMessage = z.object({
  jobId: z.string(),
  orgId: z.string(),
  userId: z.string().nullable(),
  apiKeyId: z.string().nullable().default(null),
  appId: z.string(),
  channelId: z.string(),
  releaseId: z.string(),
  pendingKey: z.string(),
  timestamp: z.string(),
});
export type UploadMessage = z.infer<typeof UploadMessage>;

/** What the job row keeps for the consumer (upload_jobs.options). */
export const ReleaseOptions = z.object({
  appVersion: z.string(),
  description: z.string().optional(),
  mandatory: z.boolean().optional(),
  rollout: z.number().int().min(1).max(100).optional(),
  /** A multipart upload in progress: R2's upload id for `pending/{jobId}/bundle`. */
  multipartUploadId: z.string().optional(),
});
export type ReleaseOptions = z.infer<typeof ReleaseOptions>;

const QUEUE_BY_PLAN: Record<
  OrgPlan,
  { priority: number; binding: 'UPLOAD_QUEUE_P0' | 'UPLOAD_QUEUE_P1' | 'UPLOAD_QUEUE_P2' }
> = {
  enterprise: { priority: 0, binding: 'UPLOAD_QUEUE_P0' },
  pro: { priority: 1, binding: 'UPLOAD_QUEUE_P1' },
  free: { priority: 2, binding: 'UPLOAD_QUEUE_P2' },
};

const QUEUE_BY_PRIORITY = [QUEUE_BY_PLAN.enterprise, QUEUE_BY_PLAN.pro, QUEUE_BY_PLAN.free];

const Ref = z.object({
  orgId: z.string().min(1).max(64),
  appId: z.string().min(1).max(64),
  channelId: z.string().min(1).max(64),
});
// The query's parsed form: the route has turned "true"/"25" into a boolean and a number.
export const PrepareInput = Ref.extend({
  appVersion: UploadQuery.shape.appVersion,
  description: UploadQuery.shape.description,
  mandatory: z.boolean().optional(),
  rollout: z.number().int().min(1).max(100).optional(),
});
const AcceptInput = PrepareInput.extend({
  contentLength: z.number().int().min(0),
  declaredHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'the sha256 of the body in lowercase hex')
    .optional(),
});
const JobRef = z.object({ orgId: z.string().min(1).max(64), jobId: z.string().min(1).max(64) });

export const pendingKeyOf = (jobId: string) => `pending/${jobId}/bundle`;

type Prepared = Awaited<ReturnType<UploadService['prepare']>>;

/**
 * Seed 002's intake: `client → API → R2 pending/ → Queue`. The body streams into R2 (never
 * buffered), the job row and its audit row commit together once the bytes are safely stored,
 * and the plan's queue gets the message. A failed or refused upload leaves no row and no object.
 */
export class UploadService extends BaseService {
  protected readonly apps = new AppService(this.env);

  async accept(
    actor: Actor,
    input: z.input<typeof AcceptInput>,
    body: ReadableStream<Uint8Array>,
  ): Promise<UploadJob> {
    const { contentLength, declaredHash, ...rest } = AcceptInput.parse(input);
    if (contentLength === 0) throw new AppError('BAD_REQUEST', 'The upload is empty');
    if (contentLength > MAX_UPLOAD_BYTES) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `A package may be at most ${MAX_UPLOAD_BYTES} bytes in one request; use a multipart upload`,
      );
    }
    const prepared = await this.prepare(actor, rest);
    try {
      // FixedLengthStream gives R2 the length it needs and fails if the body is short or long.
      await this.env.BUNDLES.put(
        prepared.pendingKey,
        body.pipeThrough(new FixedLengthStream(contentLength)),
        { customMetadata: prepared.metadata },
      );
    } catch (error) {
      await this.abandon(prepared);
      this.logger.warn('Upload body did not arrive whole', { jobId: prepared.jobId, error });
      throw new AppError('BAD_REQUEST', 'The body did not match its Content-Length');
    }
    const job = await this.record(actor, prepared, contentLength, declaredHash ?? null);
    return this.enqueue(actor, job);
  }

  /** Everything an upload needs before its bytes arrive: rights, rules, ids and the queue. */
  protected async prepare(actor: Actor, input: z.input<typeof PrepareInput>) {
    const { orgId, appId, channelId, ...query } = PrepareInput.parse(input);
    const access = await this.authorize(actor, orgId, 'release.create');
    assertAppInScope(access, appId);
    assertAppVersionRange(query.appVersion);
    const channel = await this.apps.findOwnedChannel(orgId, appId, channelId);
    const [latest] = await recentReleases(this.getReadDb('fresh'), channel.id, 1);
    refuseUnfinishedRollout(latest);
    const active = await this.claimActiveSlot(actor);
    const jobId = newId('uploadJob');
    const options: ReleaseOptions = {
      appVersion: query.appVersion,
      ...(query.description !== undefined ? { description: query.description } : {}),
      ...(query.mandatory !== undefined ? { mandatory: query.mandatory } : {}),
      ...(query.rollout !== undefined ? { rollout: query.rollout } : {}),
    };
    return {
      orgId,
      appId,
      channelId: channel.id,
      userId: access.userId,
      jobId,
      releaseId: newId('release'),
      pendingKey: pendingKeyOf(jobId),
      priority: QUEUE_BY_PLAN[await this.planOf(orgId)].priority,
      options,
      metadata: { jobId, orgId, appId },
      active,
    };
  }

  /** The job row and its audit row, in one batch, once the bytes (or the upload) exist. */
  protected async record(
    actor: Actor,
    p: Prepared,
    size: number,
    declaredHash: string | null,
    extra: Partial<ReleaseOptions> = {},
  ): Promise<UploadJob> {
    const options = { ...p.options, ...extra };
    try {
      const [[job]] = await this.database.batch([
        this.database
          .insert(uploadJobs)
          .values({
            id: p.jobId,
            orgId: p.orgId,
            appId: p.appId,
            channelId: p.channelId,
            releaseId: p.releaseId,
            userId: p.userId,
            priority: p.priority,
            pendingKey: p.pendingKey,
            size,
            declaredHash,
            options,
          })
          .returning(),
        this.audit(actor, {
          orgId: p.orgId,
          action: 'upload.create',
          resourceType: 'upload_job',
          resourceId: p.jobId,
          after: {
            appId: p.appId,
            channelId: p.channelId,
            releaseId: p.releaseId,
            size,
            ...p.options,
          },
        }),
      ]);
      if (!job) throw new AppError('INTERNAL', 'Upload wrote no job');
      return job;
    } catch (error) {
      await this.abandon(p);
      this.handleDatabaseError(error, 'recordUpload');
    }
  }

  /** Hands a recorded job whose bytes are in `pending/` to its plan's queue. */
  protected async enqueue(actor: Actor, job: UploadJob): Promise<UploadJob> {
    const message: UploadMessage = {
      jobId: job.id,
      orgId: job.orgId,
      userId: job.userId,
      apiKeyId: actor.kind === 'api_key' ? actor.apiKeyId : null,
      appId: job.appId,
      channelId: job.channelId,
      releaseId: job.releaseId ?? '',
      pendingKey: job.pendingKey,
      timestamp: new Date().toISOString(),
    };
    const queue = QUEUE_BY_PRIORITY[job.priority] ?? QUEUE_BY_PLAN.free;
    try {
      await reportUpload(this.env, this.database, job.id, { status: 'pending', progress: 0 });
      await this.env[queue.binding].send(message);
      return job;
    } catch (error) {
      // The job row exists: fail it (watchers and the audit trail see why) rather than orphan it.
      await reportUpload(this.env, this.database, job.id, {
        status: 'failed',
        error: 'The upload could not be queued; upload it again',
      }).catch(() => undefined);
      await Promise.all([
        this.env.BUNDLES.delete(job.pendingKey),
        releaseActiveSlot(this.env.RATE_LIMITS, activeUploadsKey(message.userId, message.apiKeyId)),
      ]);
      this.handleDatabaseError(error, 'queueUpload');
    }
  }

  private async abandon(p: Prepared) {
    await Promise.all([this.env.BUNDLES.delete(p.pendingKey), p.active.release()]);
  }

  async get(actor: Actor, input: z.input<typeof JobRef>): Promise<UploadJob> {
    const { orgId, jobId } = JobRef.parse(input);
    const access = await this.authorize(actor, orgId, 'org.read');
    const [job] = await this.getReadDb('fresh')
      .select()
      .from(uploadJobs)
      .where(and(eq(uploadJobs.id, jobId), eq(uploadJobs.orgId, orgId)))
      .limit(1);
    if (!job) throw new AppError('NOT_FOUND', 'Upload not found');
    assertAppInScope(access, job.appId);
    return job;
  }

  private async planOf(orgId: string): Promise<OrgPlan> {
    const [org] = await this.getReadDb('fresh')
      .select({ plan: organizations.plan })
      .from(organizations)
      .where(eq(organizations.id, orgId))
      .limit(1);
    return org?.plan ?? 'free';
  }

  /**
   * Counts the upload against the uploader's in-flight limit in KV `RATE_LIMITS`. Approximate
   * (KV has no atomic increment) and self-healing: the key expires an hour after the last upload.
   */
  private async claimActiveSlot(actor: Actor) {
    const key = activeUploadsKey(
      actorUserId(actor),
      actor.kind === 'api_key' ? actor.apiKeyId : null,
    );
    const kv = this.env.RATE_LIMITS;
    const count = Number((await kv.get(key)) ?? '0');
    if (count >= MAX_ACTIVE_UPLOADS) {
      throw new AppError(
        'RATE_LIMITED',
        `At most ${MAX_ACTIVE_UPLOADS} uploads may be in flight at once`,
        {
          retryAfterSeconds: 30,
        },
      );
    }
    await kv.put(key, String(count + 1), { expirationTtl: ACTIVE_TTL_SECONDS });
    return { release: () => releaseActiveSlot(kv, key) };
  }
}

export async function releaseActiveSlot(kv: KVNamespace, key: string): Promise<void> {
  const count = Number((await kv.get(key)) ?? '0');
  if (count <= 1) await kv.delete(key);
  else await kv.put(key, String(count - 1), { expirationTtl: ACTIVE_TTL_SECONDS });
}

export function activeUploadsKey(userId: string | null, apiKeyId: string | null): string {
  return `uploads:active:${userId ?? apiKeyId ?? 'anonymous'}`;
}
