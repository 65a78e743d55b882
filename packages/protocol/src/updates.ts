import { z } from 'zod';
import { DeploymentKey } from './apps';

// The native Skypatch update check (docs/delivery.md): what a device sends on launch and what
// it gets back. The client SDK builds its request from UpdateCheckBody and reads UpdateCheckJson.

const Attribute = z.union([z.string().max(200), z.number(), z.boolean()]);

export const UpdateCheckBody = z
  .object({
    deploymentKey: DeploymentKey,
    platform: z.enum(['ios', 'android']),
    appVersion: z.string().trim().min(1).max(64).describe('the binary version, e.g. 1.4.0'),
    currentReleaseId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('the release the device runs; omit when it runs the binary bundle'),
    currentBundleHash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .optional()
      .describe('"sha256:<hex>" of the running bundle, when the release id is unknown'),
    deviceId: z.string().trim().min(1).max(200).describe('a stable per-install id'),
    osVersion: z.string().trim().max(64).optional(),
    deviceModel: z.string().trim().max(100).optional(),
    attributes: z
      .record(z.string().min(1).max(100), Attribute)
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 attributes')
      .optional()
      .describe('custom attributes matched by targeting rules'),
  })
  .strict();
export type UpdateCheckBody = z.input<typeof UpdateCheckBody>;

export const UpdatePackageJson = z.object({
  releaseId: z.string(),
  label: z.string(),
  description: z.string().nullable(),
  mandatory: z.boolean(),
  bundleHash: z.string().describe('"sha256:<hex>" of the full package, to verify after applying'),
  packageHash: z.string().nullable().describe("CodePush's folder hash of the package"),
  signature: z
    .string()
    .nullable()
    .describe("the uploader's signature of the package (CodePush's .codepushrelease JWT)"),
  download: z.object({
    url: z.string().url(),
    size: z.number().int(),
    hash: z.string().describe('"sha256:<hex>" of the downloaded bytes'),
    kind: z
      .enum(['full', 'file_diff', 'fossil_delta'])
      .describe(
        'full: the whole package. file_diff: a zip of the changed files plus hotcodepush.json ' +
          '(CodePush format) to lay over the current package, then check packageHash. ' +
          'fossil_delta: a fossil delta of the single-file bundle, then check bundleHash.',
      ),
  }),
});
export type UpdatePackageJson = z.infer<typeof UpdatePackageJson>;

export const UpdateCheckJson = z.discriminatedUnion('action', [
  z.object({ action: z.literal('update'), update: UpdatePackageJson }),
  z.object({
    action: z.literal('rollback'),
    update: UpdatePackageJson.nullable().describe('the release to go back to; null: the binary'),
  }),
  z.object({
    action: z.literal('none'),
    runBinary: z
      .boolean()
      .describe('no release targets this binary version: run the bundle it shipped with'),
  }),
]);
export type UpdateCheckJson = z.infer<typeof UpdateCheckJson>;
