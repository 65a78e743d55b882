import { z } from 'zod';

export const Role = z.enum(['owner', 'admin', 'developer', 'viewer']);
export type Role = z.infer<typeof Role>;

/** Trimmed and lower-cased before it is checked or stored: one account per address. */
export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
/** 12 to 256 characters; the upper bound keeps hashing cost bounded. */
export const Password = z.string().min(12).max(256);

const Timestamp = z.string().describe('ISO 8601');

export const SignUpBody = z.object({
  email: Email,
  password: Password,
  displayName: z.string().trim().min(1).max(100).optional(),
  deviceName: z.string().trim().min(1).max(100).optional(),
});
export type SignUpBody = z.input<typeof SignUpBody>;

export const SignInBody = z.object({
  email: Email,
  password: z.string().min(1).max(256),
  deviceName: z.string().trim().min(1).max(100).optional(),
});
export type SignInBody = z.input<typeof SignInBody>;

export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(200) });

export const UserJson = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
  provider: z.string(),
  emailVerified: z.boolean(),
  createdAt: Timestamp,
});
export type UserJson = z.infer<typeof UserJson>;

/** Shown once, at sign-up, sign-in or refresh. Only their hashes are stored. */
export const SessionTokensJson = z.object({
  sessionId: z.string(),
  accessToken: z.string(),
  refreshToken: z.string(),
  accessExpiresAt: Timestamp,
  expiresAt: Timestamp,
});
export type SessionTokensJson = z.infer<typeof SessionTokensJson>;

export const AuthJson = z.object({ user: UserJson, session: SessionTokensJson });
export type AuthJson = z.infer<typeof AuthJson>;

/** One of "my sessions", with seed 004's device fields. */
export const SessionJson = z.object({
  id: z.string(),
  current: z.boolean(),
  deviceName: z.string().nullable(),
  deviceType: z.string().nullable(),
  osName: z.string().nullable(),
  browserName: z.string().nullable(),
  ipAddress: z.string(),
  userAgent: z.string(),
  country: z.string().nullable(),
  city: z.string().nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp,
});
export type SessionJson = z.infer<typeof SessionJson>;
export const SessionListJson = z.object({ items: z.array(SessionJson) });

export type Email = z.infer<typeof Email>;
export type Password = z.infer<typeof Password>;
export type RefreshBody = z.infer<typeof RefreshBody>;
export type SessionListJson = z.infer<typeof SessionListJson>;
