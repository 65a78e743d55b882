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
  createdByUserId: z.string().nullable(),
  createdAt: Timestamp,
});
export type ReleaseJson = z.infer<typeof ReleaseJson>;
export const ReleasePageJson = pageOf(ReleaseJson);
