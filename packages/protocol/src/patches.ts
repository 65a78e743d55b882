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

// Shorebird's device protocol (specs/shorebird.md §2-§4): snake_case, exactly as the updater
// sends and reads it. Loose on purpose: strings the server does not know (another platform or
// arch, an unknown app) are answered with "no patch", not refused; unknown fields are ignored.

// 100: what the telemetry queue's consumer accepts for an app id (delivery/telemetry.ts).
const ShorebirdString = z.string().min(1).max(100);

/**
 * `POST /api/v1/patches/check`, in all three shapes in the field (§2): with the legacy
 * `patch_number` (updaters before 2024-07), with neither number nor `client_id`, and with
 * `client_id` (since 2025-10). `current_patch_number` never changes the answer.
 */
export const PatchCheckBody = z.object({
  app_id: ShorebirdString,
  channel: ShorebirdString.default('stable'),
  release_version: ShorebirdString,
  platform: ShorebirdString,
  arch: ShorebirdString,
  client_id: z.string().max(200).nullish(),
  patch_number: z
    .number()
    .int()
    .min(0)
    .nullish()
    .describe('legacy: the highest patch already downloaded; only a higher one is returned'),
  current_patch_number: z.number().int().min(0).nullish().describe('ignored'),
});
export type PatchCheckBody = z.input<typeof PatchCheckBody>;

export const PatchCheckJson = z.object({
  patch_available: z.boolean(),
  patch: z
    .object({
      number: z.number().int().min(1),
      download_url: z.string().url().describe('absolute; fetched as is'),
      hash: z.string().describe('SHA-256 (lowercase hex) of the inflated patched file'),
      hash_signature: z.string().nullable().describe('base64 RSA-SHA256 over the hex hash'),
    })
    .nullable()
    .describe('null whenever patch_available is false'),
  rolled_back_patch_numbers: z
    .array(z.number().int())
    .describe('rolled-back numbers of this release, platform, arch and channel'),
});
export type PatchCheckJson = z.infer<typeof PatchCheckJson>;

export const SHOREBIRD_EVENT_TYPES = [
  '__patch_download__',
  '__patch_install__',
  '__patch_install_failure__',
] as const;

export const ShorebirdEvent = z.object({
  app_id: ShorebirdString,
  arch: ShorebirdString,
  client_id: z.string().max(200).nullish(),
  type: z.enum(SHOREBIRD_EVENT_TYPES),
  patch_number: z.number().int().min(0),
  platform: ShorebirdString,
  release_version: ShorebirdString,
  timestamp: z.number().int().min(0).nullish().describe('Unix seconds'),
  message: z.string().nullish(),
});
export type ShorebirdEvent = z.infer<typeof ShorebirdEvent>;

/** `POST /api/v1/patches/events`: one event in `{ event }`, or the event itself (§4). */
export const PatchEventBody = z.union([z.object({ event: ShorebirdEvent }), ShorebirdEvent]);
export type PatchEventBody = z.input<typeof PatchEventBody>;
