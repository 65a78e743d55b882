import { z } from 'zod';
import { pageOf } from './orgs';

const Timestamp = z.string().describe('ISO 8601');
const Flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/**
 * What a release upload says about itself, in the query string: the body is the package
 * itself (a zip or a single bundle file), streamed, so there is no JSON body to carry it.
 */
export const UploadQuery = z.object({
  appVersion: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe('the binary versions it targets, as an npm semver range: `1.2.3`, `^1.2.0`, `1.2.x`'),
  description: z.string().max(10_000).optional().describe('release notes'),
  mandatory: Flag.optional(),
  rollout: z.coerce.number().int().min(1).max(100).optional().describe('percent of devices, 1-100'),
});
export type UploadQuery = z.input<typeof UploadQuery>;

export const UPLOAD_CONTENT_TYPES = [
  'application/zip',
  'application/octet-stream',
  'application/javascript',
  'text/javascript',
] as const;

export const UploadJobJson = z.object({
  id: z.string(),
  appId: z.string(),
  channelId: z.string(),
  releaseId: z.string().nullable().describe('set once the release exists'),
  status: z.enum(['pending', 'processing', 'complete', 'failed']),
  progress: z.number().int().min(0).max(100),
  error: z.string().nullable(),
  size: z.number().int().nullable(),
  createdAt: Timestamp,
  completedAt: Timestamp.nullable(),
});
export type UploadJobJson = z.infer<typeof UploadJobJson>;

export const ReleaseJson = z.object({
  id: z.string(),
  appId: z.string(),
  channelId: z.string(),
  label: z.string().describe('CodePush label: v1, v2, … per channel'),
  appVersion: z.string().nullable().describe('the targeted binary versions (semver range)'),
  description: z.string().nullable(),
  isMandatory: z.boolean(),
  rollout: z.number().int(),
  status: z.enum(['active', 'paused', 'rolled_back']),
  rollbackReason: z.string().nullable(),
  size: z.number().int(),
  bundleHash: z.string(),
  packageHash: z.string().nullable(),
  releaseMethod: z.enum(['upload', 'promote', 'rollback']),
  originReleaseId: z.string().nullable(),
  targetingRules: z.record(z.string(), z.unknown()).nullable(),
  createdByUserId: z.string().nullable(),
  createdAt: Timestamp,
});
export type ReleaseJson = z.infer<typeof ReleaseJson>;
export const ReleasePageJson = pageOf(ReleaseJson);

/** Seed 000's targeting rules: a release reaches a device only when every rule given matches. */
export const TargetingRules = z
  .object({
    deviceIds: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
    platforms: z
      .array(z.enum(['ios', 'android']))
      .min(1)
      .optional(),
    osVersions: z.string().min(1).max(100).optional().describe('a semver range, e.g. >=16.0.0'),
    attributes: z
      .record(
        z.string().min(1).max(100),
        z.union([
          z.string().max(200),
          z.number(),
          z.boolean(),
          z.array(z.union([z.string().max(200), z.number()])).max(100),
        ]),
      )
      .optional()
      .describe('custom device attributes; an array matches any of its values'),
  })
  .strict();
export type TargetingRules = z.infer<typeof TargetingRules>;

/** CodePush's `patch` of a release: metadata only, the rollout only upwards. */
export const UpdateReleaseBody = z
  .object({
    description: z.string().max(10_000).optional(),
    mandatory: z.boolean().optional(),
    appVersion: z.string().trim().min(1).max(100).optional(),
    rollout: z.number().int().min(1).max(100).optional(),
    targetingRules: TargetingRules.nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'nothing to change');
export type UpdateReleaseBody = z.input<typeof UpdateReleaseBody>;

export const RollbackReleaseBody = z.object({ reason: z.string().trim().min(1).max(1000) });

export const PromoteReleaseBody = z
  .object({
    targetChannelId: z.string().min(1).max(64),
    appVersion: z.string().trim().min(1).max(100).optional(),
    description: z.string().max(10_000).optional(),
    mandatory: z.boolean().optional(),
    rollout: z.number().int().min(1).max(100).optional(),
  })
  .strict();
export type PromoteReleaseBody = z.input<typeof PromoteReleaseBody>;

/** Starts an upload over 100 MB: the package then arrives in parts (R2 multipart upload). */
export const StartMultipartBody = z.object({
  appVersion: UploadQuery.shape.appVersion,
  description: UploadQuery.shape.description,
  mandatory: z.boolean().optional(),
  rollout: z.number().int().min(1).max(100).optional(),
  size: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024 * 1024)
    .describe('the whole package, in bytes'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('refused unless the package matches'),
});
export const MultipartStartedJson = z.object({
  job: UploadJobJson,
  partSize: z.number().int().describe('bytes per part; every part but the last must be this size'),
  parts: z.number().int(),
});
export const UploadedPartJson = z.object({ partNumber: z.number().int(), etag: z.string() });
export const CompleteMultipartBody = z.object({
  parts: z.array(UploadedPartJson).min(1).max(10_000),
});
export type MultipartStartedJson = z.infer<typeof MultipartStartedJson>;
export type UploadedPartJson = z.infer<typeof UploadedPartJson>;
