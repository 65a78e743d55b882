import {
  CreatePatchBody,
  PatchArch,
  PatchPlatform,
  ReleaseVersion,
  SetPatchChannelBody,
} from '@skypatch/protocol';
import { and, asc, eq, sql } from 'drizzle-orm';
import { importSPKI } from 'jose';
import { z } from 'zod';
import { insertPatch, setPatchActive } from '../db/queries/patches';
import { type Patch, type PatchChannel, patchChannels, patches } from '../db/schema';
import { forgetInIsolate } from '../delivery/cache';
import { AppError } from '../lib/errors';
import { concat } from '../lib/package-files';
import type { Actor } from './actor';
import { AppService } from './apps';
import { BaseService, isUniqueViolation } from './base';
import { cacheKeys } from './cache';
import { codeSigningOf } from './code-signing';

/** One request body, as for bundles; Android patches of a libapp.so are far smaller. */
export const MAX_PATCH_BYTES = 100 * 1024 * 1024;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

const Id = z.string().min(1).max(64);
const AppRef = z.object({ orgId: Id, appId: Id });
const PatchRef = AppRef.extend({
  releaseVersion: ReleaseVersion,
  number: z.coerce.number().int().min(1),
});
const ArtifactInput = PatchRef.extend({
  platform: PatchPlatform,
  arch: PatchArch,
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the patched file, 64 lowercase hex'),
  hashSignature: z.string().min(1).max(2048).optional(),
  contentLength: z.number().int().min(4).max(MAX_PATCH_BYTES),
});

export const patchKey = (
  appId: string,
  releaseVersion: string,
  platform: string,
  arch: string,
  number: number,
) => `patches/${appId}/${releaseVersion}/${platform}/${arch}/${number}`;

export interface PatchWithArtifacts {
  releaseVersion: string;
  number: number;
  channel: string;
  rolledBack: boolean;
  artifacts: Patch[];
  createdAt: Date;
}

/**
 * Flutter patches on seed 001's `patches` table, Shorebird's way (specs/shorebird.md §6-7): a
 * number is reserved per release version (release-wide, never reused), then one artifact per
 * platform and arch is uploaded under it, each an immutable R2 object; rollback sets
 * `active = 0` on every arch row of the number. Tracks live in `patch_channels`.
 */
export class PatchService extends BaseService {
  private readonly apps = new AppService(this.env);

  async reserve(actor: Actor, input: z.input<typeof CreatePatchBody> & z.input<typeof AppRef>) {
    const ref = AppRef.parse(input);
    const { releaseVersion, channel } = CreatePatchBody.parse(input);
    const app = await this.apps.authorizedApp(actor, ref.orgId, ref.appId, 'release.create');
    // max over both tables: a reserved number with no artifact yet is still taken.
    const next = sqlNextNumber(app.id, releaseVersion);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const [[reserved]] = await this.database.batch([
          this.database
            .insert(patchChannels)
            .values({ appId: app.id, releaseVersion, patchNumber: next, channel })
            .returning(),
          this.audit(actor, {
            orgId: ref.orgId,
            action: 'patch.create',
            resourceType: 'patch',
            resourceId: `${app.id}/${releaseVersion}`,
            after: { releaseVersion, channel },
          }),
        ]);
        if (!reserved) throw new AppError('INTERNAL', 'Reserving a patch number wrote no row');
        return reserved;
      } catch (error) {
        // Two reservations raced for one number: the loser takes the next.
        if (!isUniqueViolation(error) && !String(error).includes('PRIMARY KEY')) {
          this.handleDatabaseError(error, 'reservePatch');
        }
      }
    }
    throw new AppError('CONFLICT', 'Too many patches at once for this release version; retry');
  }

  async uploadArtifact(
    actor: Actor,
    input: z.input<typeof ArtifactInput>,
    body: ReadableStream<Uint8Array>,
  ) {
    const { hash, hashSignature, contentLength, platform, arch, ...ref } =
      ArtifactInput.parse(input);
    const app = await this.apps.authorizedApp(actor, ref.orgId, ref.appId, 'release.create');
    const reserved = await this.findReserved(app.id, ref.releaseVersion, ref.number);
    const signing = codeSigningOf(app);
    // Only the team's own key demands signed uploads: with a generated one, nobody else can sign.
    if (signing?.source === 'uploaded') {
      await verifyHashSignature(signing.publicKeyPem, hash, hashSignature);
    }

    const checked = await requireZstd(body);
    const key = patchKey(app.id, ref.releaseVersion, platform, arch, ref.number);
    // Immutable: an object behind a live download URL is never overwritten (§5.4), and only an
    // object this request wrote is ever deleted again.
    if (await this.env.BUNDLES.head(key)) {
      await checked.cancel().catch(() => undefined);
      throw new AppError(
        'CONFLICT',
        `Patch ${ref.number} already has a ${platform}/${arch} artifact`,
      );
    }
    let stored: R2Object | null;
    try {
      stored = await this.env.BUNDLES.put(
        key,
        checked.pipeThrough(new FixedLengthStream(contentLength)),
        {
          onlyIf: { etagDoesNotMatch: '*' },
          httpMetadata: { contentType: 'application/octet-stream' },
        },
      );
    } catch {
      throw new AppError('BAD_REQUEST', 'The body did not match its Content-Length');
    }
    if (!stored) {
      throw new AppError(
        'CONFLICT',
        `Patch ${ref.number} already has a ${platform}/${arch} artifact`,
      );
    }
    let row: Patch | undefined;
    try {
      [[row]] = await this.database.batch([
        insertPatch(this.database, {
          appId: app.id,
          releaseVersion: ref.releaseVersion,
          patchNumber: reserved.patchNumber,
          platform,
          arch,
          downloadUrl: key,
          hash,
          hashSignature: hashSignature ?? null,
          active: 1,
          createdAt: new Date(),
        }),
        this.audit(actor, {
          orgId: ref.orgId,
          action: 'patch.artifact_upload',
          resourceType: 'patch',
          resourceId: `${app.id}/${ref.releaseVersion}/${ref.number}`,
          after: { platform, arch, hash, size: contentLength, signed: hashSignature !== undefined },
        }),
      ]);
    } catch (error) {
      // The row did not commit: the object this request wrote must not stay behind.
      await this.env.BUNDLES.delete(key);
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'This artifact already exists');
      this.handleDatabaseError(error, 'uploadPatchArtifact');
    }
    // Committed: from here nothing deletes the object; the stamp is best effort.
    await this.bump(app.id);
    if (!row) throw new AppError('INTERNAL', 'Patch upload wrote no row');
    return row;
  }

  /** Rollback (`active = 0`) or roll forward (`active = 1`) of every arch row of a number. */
  async setActive(actor: Actor, input: z.input<typeof PatchRef>, active: boolean): Promise<void> {
    const ref = PatchRef.parse(input);
    const app = await this.apps.authorizedApp(actor, ref.orgId, ref.appId, 'release.rollback');
    const rows = await this.artifactsOf(app.id, ref.releaseVersion, ref.number);
    if (rows.length === 0)
      throw new AppError('NOT_FOUND', 'No such patch, or it has no artifact yet');
    // Seed 001's rollback statement (`active` as a parameter) per platform/arch row, in one
    // atomic batch.
    await this.database.batch([
      this.audit(actor, {
        orgId: ref.orgId,
        action: active ? 'patch.roll_forward' : 'patch.rollback',
        resourceType: 'patch',
        resourceId: `${app.id}/${ref.releaseVersion}/${ref.number}`,
      }),
      ...rows.map((row) => setPatchActive(this.database, row, active)),
    ]);
    await this.bump(app.id);
  }

  /** Moves a patch to another track (Shorebird's `promote`, one track per patch). */
  async setChannel(
    actor: Actor,
    input: z.input<typeof SetPatchChannelBody> & z.input<typeof PatchRef>,
  ) {
    const ref = PatchRef.parse(input);
    const { channel } = SetPatchChannelBody.parse(input);
    const app = await this.apps.authorizedApp(actor, ref.orgId, ref.appId, 'release.rollout');
    const reserved = await this.findReserved(app.id, ref.releaseVersion, ref.number);
    await this.database.batch([
      this.database
        .update(patchChannels)
        .set({ channel })
        .where(
          and(
            eq(patchChannels.appId, app.id),
            eq(patchChannels.releaseVersion, ref.releaseVersion),
            eq(patchChannels.patchNumber, ref.number),
          ),
        ),
      this.audit(actor, {
        orgId: ref.orgId,
        action: 'patch.set_channel',
        resourceType: 'patch',
        resourceId: `${app.id}/${ref.releaseVersion}/${ref.number}`,
        before: { channel: reserved.channel },
        after: { channel },
      }),
    ]);
    await this.bump(app.id);
    return { ...reserved, channel };
  }

  async list(actor: Actor, input: z.input<typeof AppRef> & { releaseVersion: string }) {
    const ref = AppRef.extend({ releaseVersion: ReleaseVersion }).parse(input);
    const app = await this.apps.authorizedApp(actor, ref.orgId, ref.appId, 'org.read');
    const db = this.getReadDb('fresh');
    const [numbers, artifacts] = await Promise.all([
      db
        .select()
        .from(patchChannels)
        .where(
          and(
            eq(patchChannels.appId, app.id),
            eq(patchChannels.releaseVersion, ref.releaseVersion),
          ),
        )
        .orderBy(asc(patchChannels.patchNumber)),
      db
        .select()
        .from(patches)
        .where(and(eq(patches.appId, app.id), eq(patches.releaseVersion, ref.releaseVersion)))
        .orderBy(asc(patches.patchNumber), asc(patches.platform), asc(patches.arch)),
    ]);
    return numbers.map((n): PatchWithArtifacts => {
      const own = artifacts.filter((a) => a.patchNumber === n.patchNumber);
      return {
        releaseVersion: n.releaseVersion,
        number: n.patchNumber,
        channel: n.channel,
        rolledBack: own.length > 0 && own.every((a) => a.active === 0),
        artifacts: own,
        createdAt: n.createdAt,
      };
    });
  }

  private async findReserved(
    appId: string,
    releaseVersion: string,
    number: number,
  ): Promise<PatchChannel> {
    const [row] = await this.getReadDb('fresh')
      .select()
      .from(patchChannels)
      .where(
        and(
          eq(patchChannels.appId, appId),
          eq(patchChannels.releaseVersion, releaseVersion),
          eq(patchChannels.patchNumber, number),
        ),
      )
      .limit(1);
    if (!row)
      throw new AppError('NOT_FOUND', `Patch ${number} of ${releaseVersion} was never created`);
    return row;
  }

  private artifactsOf(appId: string, releaseVersion: string, number: number) {
    return this.getReadDb('fresh')
      .select()
      .from(patches)
      .where(
        and(
          eq(patches.appId, appId),
          eq(patches.releaseVersion, releaseVersion),
          eq(patches.patchNumber, number),
        ),
      );
  }

  /** Patch checks may cache for a minute; every change moves the stamp (shorebird.md §7.4). */
  private async bump(appId: string): Promise<void> {
    // This isolate's own next check reads anew at once; others follow their memo's TTL.
    forgetInIsolate();
    // Unique, not just the time: two changes in one millisecond must not share a stamp, or a
    // view loaded between them would be served under the second. KV takes about one write a
    // second per key; a lost bump only delays a cache by its TTL (delivery/cache.ts).
    const stamp = `${Date.now()}-${crypto.randomUUID().slice(0, 8)}`;
    await this.env.CACHE.put(cacheKeys.patchVersion(appId), stamp).catch((error) =>
      this.logger.warn('Patch stamp not moved', { appId, error }),
    );
  }
}

function sqlNextNumber(appId: string, releaseVersion: string) {
  return sql<number>`(SELECT coalesce(max(n), 0) + 1 FROM (SELECT ${patches.patchNumber} AS n FROM ${patches} WHERE ${patches.appId} = ${appId} AND ${patches.releaseVersion} = ${releaseVersion} UNION ALL SELECT ${patchChannels.patchNumber} FROM ${patchChannels} WHERE ${patchChannels.appId} = ${appId} AND ${patchChannels.releaseVersion} = ${releaseVersion}))`;
}

/**
 * The body with its first bytes checked for zstd's magic (the updater refuses anything else),
 * read ahead and then replayed, so a wrong artifact is refused before anything is stored.
 */
async function requireZstd(body: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  while (length < ZSTD_MAGIC.length) {
    const { done, value } = await reader.read();
    if (done) break;
    head.push(value);
    length += value.length;
  }
  const first = concat(head);
  if (first.length < ZSTD_MAGIC.length || ZSTD_MAGIC.some((byte, i) => first[i] !== byte)) {
    await reader.cancel().catch(() => undefined);
    throw new AppError(
      'BAD_REQUEST',
      'A patch artifact must be zstd-compressed (magic 28 b5 2f fd)',
    );
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Shorebird's `hash_signature` (§5.3): RSA PKCS#1 v1.5 with SHA-256 over the UTF-8 bytes of the
 * hex hash, base64. With a key on file, an artifact without a valid one is refused.
 */
async function verifyHashSignature(
  publicKeyPem: string,
  hash: string,
  signature: string | undefined,
) {
  if (!signature)
    throw new AppError('BAD_REQUEST', 'This app requires signed patches: send x-hash-signature');
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  } catch {
    throw new AppError('BAD_REQUEST', 'x-hash-signature must be base64');
  }
  const key = await importSPKI(publicKeyPem, 'RS256');
  const valid = await crypto.subtle.verify(
    'RSASSA-PKCS1-v1_5',
    key,
    bytes,
    new TextEncoder().encode(hash),
  );
  if (!valid)
    throw new AppError(
      'BAD_REQUEST',
      "The hash signature does not verify with the app's public key",
    );
}
