import { z } from 'zod';

const Timestamp = z.string().describe('ISO 8601');

/** Flutter's `version+build`, e.g. `1.0.2+5`, as the Shorebird updater sends it. */
export const ReleaseVersion = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'a Flutter release version such as 1.0.2+5');
export const PatchTrack = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'a track name such as stable, beta or staging');
export const PatchPlatform = z.enum(['android', 'ios']);
export const PatchArch = z.enum(['aarch64', 'arm', 'x86_64', 'x86']);

export const CreatePatchBody = z.object({
  releaseVersion: ReleaseVersion,
  channel: PatchTrack.default('stable'),
});
export type CreatePatchBody = z.input<typeof CreatePatchBody>;
export const SetPatchChannelBody = z.object({ channel: PatchTrack });

export const PatchArtifactJson = z.object({
  platform: PatchPlatform,
  arch: PatchArch,
  hash: z.string(),
  hashSignature: z.string().nullable(),
  createdAt: Timestamp,
});
export const PatchJson = z.object({
  releaseVersion: z.string(),
  number: z.number().int().min(1),
  channel: z.string(),
  rolledBack: z.boolean(),
  artifacts: z.array(PatchArtifactJson),
  createdAt: Timestamp,
});
export type PatchJson = z.infer<typeof PatchJson>;
export const PatchListJson = z.object({ items: z.array(PatchJson) });
export type PatchArtifactJson = z.infer<typeof PatchArtifactJson>;
export type PatchListJson = z.infer<typeof PatchListJson>;
