import { z } from 'zod';

const DependencyCheck = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int().nonnegative(),
  error: z.string().optional(),
});

export const HealthJson = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ d1: DependencyCheck, r2: DependencyCheck, kv: DependencyCheck }),
});
export type HealthJson = z.infer<typeof HealthJson>;

export const BootstrapBody = z.object({
  email: z.email().max(254).default('owner@skypatch.local'),
  password: z.string().min(12).max(256).optional(),
  orgName: z.string().trim().min(1).max(100).default('My Organization'),
});
export type BootstrapBody = z.input<typeof BootstrapBody>;

/** Printed once by `npm start` and written to `.dev-credentials.json`. */
export const BootstrapJson = z.object({
  email: z.string(),
  password: z.string(),
  apiKey: z.string(),
  orgId: z.string(),
  userId: z.string(),
});
export type BootstrapJson = z.infer<typeof BootstrapJson>;

/** A signed-in user has no single org (see GET /v1/orgs); an API key belongs to one. */
export const WhoAmIJson = z.object({
  kind: z.enum(['user', 'api_key']),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  orgId: z.string().nullable(),
  role: z.enum(['owner', 'admin', 'developer', 'viewer']).nullable(),
  readOnly: z.boolean(),
  appId: z.string().nullable(),
});
export type WhoAmIJson = z.infer<typeof WhoAmIJson>;
