import { z } from 'zod';
import { Role } from './accounts';
import { pageOf } from './orgs';

const Timestamp = z.string().describe('ISO 8601');

export const ApiKeyScope = z.enum(['full', 'read_only']);

export const CreateApiKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  role: Role.default('developer').describe('at most the creator’s own role'),
  scope: ApiKeyScope.default('full'),
  appId: z.string().min(1).max(64).optional().describe('narrow the key to one app'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateApiKeyBody = z.input<typeof CreateApiKeyBody>;

export const ApiKeyJson = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('the first characters, e.g. `sk_live_ab12`, to recognise a key'),
  role: Role,
  scope: ApiKeyScope,
  appId: z.string().nullable(),
  createdByUserId: z.string().nullable(),
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type ApiKeyJson = z.infer<typeof ApiKeyJson>;
export const ApiKeyPageJson = pageOf(ApiKeyJson);
/** `secret` is shown once and never again: only its SHA-256 is kept. */
export const CreatedApiKeyJson = ApiKeyJson.extend({ secret: z.string() });
export type CreatedApiKeyJson = z.infer<typeof CreatedApiKeyJson>;

export const CreateSecretBody = z.object({
  provider: z.string().trim().min(1).max(50).describe('e.g. `codepush`, `expo`, `apple`'),
  secretType: z.string().trim().min(1).max(50).describe('e.g. `signing_key`'),
  displayName: z.string().trim().min(1).max(100),
  value: z.string().min(1).max(65_536).describe('stored AES-GCM encrypted; never returned'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export const SecretJson = z.object({
  id: z.string(),
  provider: z.string(),
  secretType: z.string(),
  displayName: z.string(),
  keyPreview: z.string().nullable(),
  createdByUserId: z.string(),
  lastUsed: Timestamp.nullable(),
  usageCount: z.number().int(),
  expiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type SecretJson = z.infer<typeof SecretJson>;
export const SecretPageJson = pageOf(SecretJson);

export const AuditLogQuery = z.object({
  actorId: z.string().min(1).max(64).optional().describe('a user id or an API key id'),
  action: z.string().min(1).max(64).optional().describe('e.g. `api_key.create`'),
  resourceType: z.string().min(1).max(64).optional(),
  resourceId: z.string().min(1).max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
export const AuditLogJson = z.object({
  id: z.string(),
  action: z.string(),
  actorType: z.enum(['user', 'api_key', 'system']),
  userId: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  resourceType: z.string(),
  resourceId: z.string(),
  oldValues: z.record(z.string(), z.unknown()).nullable(),
  newValues: z.record(z.string(), z.unknown()).nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  timestamp: Timestamp,
});
export type AuditLogJson = z.infer<typeof AuditLogJson>;
export const AuditLogPageJson = pageOf(AuditLogJson);

export type ApiKeyScope = z.infer<typeof ApiKeyScope>;
export type ApiKeyPageJson = z.infer<typeof ApiKeyPageJson>;
export type CreateSecretBody = z.infer<typeof CreateSecretBody>;
export type SecretPageJson = z.infer<typeof SecretPageJson>;
export type AuditLogQuery = z.infer<typeof AuditLogQuery>;
export type AuditLogPageJson = z.infer<typeof AuditLogPageJson>;
