import { eq } from 'drizzle-orm';
import {
  apps,
  type NewReleaseDiff,
  type Release,
  releaseDiffs,
  releases,
  type UploadJob,
  uploadJobs,
} from '../db/schema';
import { readZipFiles } from '../lib/package-files';
import { isSignatureEntry } from '../lib/package-hash';
import { type InspectedPackage, inspectPackage, PackageRejected } from '../lib/package-inspect';
import type { Actor } from './actor';
import { BaseService } from './base';
import { bumpChannelVersion, publishCacheChanges } from './cache';
import { codeSigningOf, signatureProblem } from './code-signing';
import { buildDiffs, diffBases } from './diffs';
import {
  identicalRelease,
  minimumVersion,
  nextLabel,
  recentReleases,
  refuseUnfinishedRollout,
} from './release-rules';
import { deletePrefix } from './retention';
import { reportUpload } from './upload-status';
import { activeUploadsKey, ReleaseOptions, releaseActiveSlot, type UploadMessage } from './uploads';

export const finalBundleKey = (appId: string, releaseId: string) => `${appId}/${releaseId}/bundle`;

export type ProcessOutcome = 'released' | 'rejected' | 'already-done';

/**
 * Seed 002's consumer: `R2 pending/ → validate → R2 final → D1`. Rejections (a package that can
 * never be released) fail the job at once; anything else throws, so the queue retries it with
 * backoff and, after the last retry, the dead-letter consumer fails the job. Every step is
 * idempotent (ids minted up front, `ON CONFLICT DO NOTHING`), so a retry after a crash between
 * steps finishes the job instead of doubling it. A device sees the release only once the D1
 * batch has committed, after the bundle is in its final place.
 */
export class UploadProcessor extends BaseService {
  async process(message: UploadMessage, attempt: number): Promise<ProcessOutcome> {
    const job = await this.findJob(message.jobId);
    if (!job || job.status === 'complete' || job.status === 'failed') return 'already-done';
    await reportUpload(this.env, this.database, job.id, {
      status: 'processing',
      progress: 10,
      attempts: attempt,
    });

    const pending = await this.env.BUNDLES.get(job.pendingKey);
    if (!pending) {
      // Retried after the release committed but before the job was marked: finish the job.
      if (await this.releaseExists(message.releaseId)) return this.finish(job, message);
      throw new Error(`Pending object ${job.pendingKey} is missing`);
    }
    try {
      const inspected = await inspectPackage(pending.body);
      await reportUpload(this.env, this.database, job.id, { status: 'processing', progress: 50 });
      const options = ReleaseOptions.parse(job.options);
      const recent = await this.checkRules(job, options, inspected);
      await this.copyToFinal(job, message.releaseId, inspected.size);
      const next = {
        appId: job.appId,
        releaseId: message.releaseId,
        appVersion: options.appVersion,
        objectKey: finalBundleKey(job.appId, message.releaseId),
        inspected,
      };
      const bases = diffBases(recent, next);
      if (bases.length > 0) {
        await reportUpload(this.env, this.database, job.id, { status: 'processing', progress: 65 });
      }
      // Diffs are an optimisation: if they cannot be built, the release ships without them.
      const diffs = await buildDiffs(this.env.BUNDLES, next, bases).catch((error: unknown) => {
        this.logger.warn('Diffs skipped', { jobId: job.id, error });
        return [];
      });
      await reportUpload(this.env, this.database, job.id, { status: 'processing', progress: 80 });
      await this.commitRelease(job, message, options, inspected, diffs);
      return this.finish(job, message);
    } catch (error) {
      if (!(error instanceof PackageRejected)) throw error;
      await this.fail(job, message, error.message);
      return 'rejected';
    }
  }

  /** The dead-letter path: the job failed for good after the queue's last retry. */
  async failAfterRetries(message: UploadMessage, reason: string): Promise<void> {
    const job = await this.findJob(message.jobId);
    if (!job || job.status === 'complete' || job.status === 'failed') return;
    await this.fail(job, message, `Processing failed after retries: ${reason}`);
  }

  /** Refuses what can never be released; returns the channel's recent releases for the diffs. */
  private async checkRules(
    job: UploadJob,
    options: ReleaseOptions,
    inspected: InspectedPackage,
  ): Promise<Release[]> {
    if (job.declaredHash && job.declaredHash !== inspected.contentSha256) {
      throw new PackageRejected(
        `The package's sha256 is ${inspected.contentSha256}, not the declared ${job.declaredHash}`,
      );
    }
    // codepush.md §3: with a public key on file, only packages signed with its private key.
    const [app] = await this.getReadDb('fresh')
      .select()
      .from(apps)
      .where(eq(apps.id, job.appId))
      .limit(1);
    const signing = app ? codeSigningOf(app) : null;
    // A generated key signs the server's responses; only the team's own key signs uploads.
    if (signing?.source === 'uploaded') {
      const pending = await this.env.BUNDLES.get(job.pendingKey);
      const signatures =
        pending && inspected.kind === 'zip'
          ? await readZipFiles(pending.body, isSignatureEntry)
          : new Map<string, Uint8Array>();
      const problem = await signatureProblem(signing, inspected.packageHash, signatures);
      if (problem) throw new PackageRejected(problem);
    }
    // CodePush §2.3, again at commit time: two uploads accepted together must not both land.
    const recentForRollout = await recentReleases(this.getReadDb('fresh'), job.channelId, 1);
    try {
      refuseUnfinishedRollout(recentForRollout[0]);
    } catch (error) {
      throw new PackageRejected(error instanceof Error ? error.message : String(error));
    }
    // CodePush §2.3: identical contents to the newest release for the same app versions.
    const recent = await recentReleases(this.getReadDb('fresh'), job.channelId);
    const same = identicalRelease(recent, options.appVersion, inspected.packageHash);
    if (same) {
      throw new PackageRejected(
        `The package is identical to release ${same.label}, the channel's current release for ${options.appVersion}`,
      );
    }
    return recent;
  }

  private async copyToFinal(job: UploadJob, releaseId: string, size: number) {
    const source = await this.env.BUNDLES.get(job.pendingKey);
    if (!source) throw new Error(`Pending object ${job.pendingKey} vanished`);
    await this.env.BUNDLES.put(
      finalBundleKey(job.appId, releaseId),
      source.body.pipeThrough(new FixedLengthStream(size)),
      { httpMetadata: { contentType: 'application/octet-stream' } },
    );
  }

  private async commitRelease(
    job: UploadJob,
    message: UploadMessage,
    options: ReleaseOptions,
    inspected: InspectedPackage,
    diffs: NewReleaseDiff[],
  ) {
    const actor = uploaderOf(message);
    const minimum = minimumVersion(options.appVersion);
    const [, , bumped] = await this.database.batch([
      this.database
        .insert(releases)
        .values({
          id: message.releaseId,
          appId: job.appId,
          channelId: job.channelId,
          version: minimum,
          label: nextLabel(job.channelId),
          bundleUrl: finalBundleKey(job.appId, message.releaseId),
          bundleSize: inspected.size,
          bundleHash: `sha256:${inspected.contentSha256}`,
          packageHash: inspected.packageHash,
          releaseNotes: options.description ?? null,
          minAppVersion: minimum,
          appVersionRange: options.appVersion,
          isMandatory: options.mandatory ?? false,
          rolloutPercentage: options.rollout ?? 100,
          releaseMethod: 'upload',
          createdByUserId: job.userId,
        })
        .onConflictDoNothing({ target: releases.id }),
      this.database
        .update(uploadJobs)
        .set({ status: 'complete', progress: 100, completedAt: new Date(), error: null })
        .where(eq(uploadJobs.id, job.id)),
      bumpChannelVersion(this.database, job.channelId),
      this.audit(actor, {
        orgId: job.orgId,
        action: 'release.create',
        resourceType: 'release',
        resourceId: message.releaseId,
        after: {
          channelId: job.channelId,
          appVersion: options.appVersion,
          packageHash: inspected.packageHash,
          size: inspected.size,
          rollout: options.rollout ?? 100,
          mandatory: options.mandatory ?? false,
          jobId: job.id,
          diffs: diffs.length,
        },
      }),
      // One diff per (release, base, kind): a retried message writes none twice.
      ...diffs.map((diff) => this.database.insert(releaseDiffs).values(diff).onConflictDoNothing()),
    ]);
    await publishCacheChanges(this.env.CACHE, { versions: bumped });
  }

  private async finish(job: UploadJob, message: UploadMessage): Promise<ProcessOutcome> {
    await reportUpload(this.env, this.database, job.id, { status: 'complete', progress: 100 });
    await Promise.all([
      this.env.BUNDLES.delete(job.pendingKey),
      releaseActiveSlot(this.env.RATE_LIMITS, activeUploadsKey(message.userId, message.apiKeyId)),
    ]);
    return 'released';
  }

  private async fail(job: UploadJob, message: UploadMessage, reason: string) {
    await reportUpload(this.env, this.database, job.id, { status: 'failed', error: reason });
    await Promise.all([
      this.env.BUNDLES.delete(job.pendingKey),
      // The final bundle and any diffs already built: the release never came to be.
      deletePrefix(this.env.BUNDLES, `${job.appId}/${message.releaseId}/`),
      releaseActiveSlot(this.env.RATE_LIMITS, activeUploadsKey(message.userId, message.apiKeyId)),
    ]);
  }

  private async findJob(jobId: string): Promise<UploadJob | undefined> {
    const [job] = await this.getReadDb('fresh')
      .select()
      .from(uploadJobs)
      .where(eq(uploadJobs.id, jobId))
      .limit(1);
    return job;
  }

  private async releaseExists(releaseId: string): Promise<boolean> {
    const rows = await this.getReadDb('fresh')
      .select({ id: releases.id })
      .from(releases)
      .where(eq(releases.id, releaseId))
      .limit(1);
    return rows.length > 0;
  }
}

/** The audit actor of a queued upload: the key or user who asked for it. */
function uploaderOf(message: UploadMessage): Actor {
  if (message.apiKeyId) {
    return {
      kind: 'api_key',
      apiKeyId: message.apiKeyId,
      orgId: message.orgId,
      role: 'developer',
      readOnly: false,
      appId: null,
      userId: message.userId,
      ip: null,
      userAgent: null,
    };
  }
  if (message.userId) {
    return { kind: 'user', userId: message.userId, sessionId: 'queued', ip: null, userAgent: null };
  }
  return { kind: 'system', orgId: message.orgId, reason: 'upload' };
}
