import { z } from 'zod';
import { pageOf } from './orgs';

const Timestamp = z.string().describe('ISO 8601');

/** CodePush clients accept 10-100 characters of [A-Za-z0-9_-] (codepush.md §2.1). */
export const DeploymentKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{10,100}$/, '10-100 characters of A-Z, a-z, 0-9, _ and -');

/** Release-health settings (seed 000's settings JSON), read by the crash-rate job. */
export const AppSettings = z
  .object({
    crashRollbackThreshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('crashes / installs above which a release is acted on, 0-1'),
    crashRollbackMinInstalls: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('installs a release needs before its crash rate is trusted'),
    crashRollbackAction: z.enum(['rollback', 'pause']).optional(),
    statusComponentId: z
      .string()
      .regex(/^[0-9a-z]{12}$/, 'a status page component id')
      .nullable()
      .optional()
      .describe(
        "a component of one of the org's status pages: an incident is opened on it when a release is rolled back for its crash rate (null unlinks)",
      ),
  })
  .strict();
export type AppSettings = z.infer<typeof AppSettings>;

export const Platform = z.enum(['ios', 'android']);

export const CreateAppBody = z.object({
  name: z.string().trim().min(1).max(100),
  bundleId: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._-]+$/, 'a bundle id or package name, e.g. com.example.app'),
  platform: Platform,
  settings: AppSettings.optional(),
  /** CodePush creates Staging and Production for every new app; opt out like its CLI does. */
  manuallyProvisionChannels: z.boolean().default(false),
});
export type CreateAppBody = z.input<typeof CreateAppBody>;

export const UpdateAppBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    bundleId: CreateAppBody.shape.bundleId.optional(),
    settings: AppSettings.optional().describe('merged into the current settings'),
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to change');

export const ChannelJson = z.object({
  id: z.string(),
  appId: z.string(),
  name: z.string(),
  deploymentKey: z.string(),
  createdAt: Timestamp,
});
export type ChannelJson = z.infer<typeof ChannelJson>;
export const ChannelListJson = z.object({ items: z.array(ChannelJson) });

export const AppJson = z.object({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  bundleId: z.string(),
  platform: Platform,
  settings: AppSettings,
  createdAt: Timestamp,
  deletedAt: Timestamp.nullable(),
});
export type AppJson = z.infer<typeof AppJson>;
export const AppPageJson = pageOf(AppJson);
export const CreatedAppJson = AppJson.extend({ channels: z.array(ChannelJson) });

export const ChannelName = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, ".", "_" and "-"');
export const CreateChannelBody = z.object({
  name: ChannelName,
  deploymentKey: DeploymentKey.optional().describe(
    'bring an existing key (migrating from App Center keeps apps working without a rebuild)',
  ),
});
export const RenameChannelBody = z.object({ name: ChannelName });

export type UpdateAppBody = z.input<typeof UpdateAppBody>;
export type CreateChannelBody = z.input<typeof CreateChannelBody>;
export type CreatedAppJson = z.infer<typeof CreatedAppJson>;
export type ChannelListJson = z.infer<typeof ChannelListJson>;
export type AppPageJson = z.infer<typeof AppPageJson>;

/** The X.509 certificate of an app's code-signing key, as Expo builds embed it. */
export const CodeSigningCertificateJson = z.object({
  notBefore: Timestamp,
  notAfter: Timestamp,
  serialNumber: z.string().describe('hex'),
});
export type CodeSigningCertificateJson = z.infer<typeof CodeSigningCertificateJson>;

/** An app's code-signing key: the public half, and whether the server holds the private one. */
export const CodeSigningJson = z.object({
  keyId: z
    .string()
    .describe(
      "Expo builds: the keyid of updates.codeSigningMetadata ({ keyid, alg: 'rsa-v1_5-sha256' })",
    ),
  publicKeyPem: z.string().describe('SPKI PEM: put it in the app (CodePushPublicKey)'),
  source: z.enum(['generated', 'uploaded']),
  holdsPrivateKey: z.boolean(),
  certificate: CodeSigningCertificateJson.nullable().describe(
    'The X.509 certificate Expo builds embed (updates.codeSigningCertificate); download it from ' +
      '…/code-signing/certificate. Null when a public key was uploaded without one.',
  ),
  createdAt: Timestamp,
});
export type CodeSigningJson = z.infer<typeof CodeSigningJson>;

export const UploadCodeSigningBody = z.object({
  publicKeyPem: z.string().min(100).max(10_000),
  privateKeyPem: z
    .string()
    .min(100)
    .max(20_000)
    .optional()
    .describe('PKCS#8 PEM; stored AES-GCM encrypted, only to sign responses server-side'),
  certificatePem: z
    .string()
    .min(100)
    .max(20_000)
    .optional()
    .describe(
      'X.509 PEM for this public key, with KeyUsage digitalSignature and ExtendedKeyUsage ' +
        'codeSigning (for Expo builds); without it, one is made when the private key is given',
    ),
});
export type UploadCodeSigningBody = z.input<typeof UploadCodeSigningBody>;
