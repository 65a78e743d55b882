import { env } from 'cloudflare:workers';
import { getDb } from '../src/db';
import {
  type ApiKey,
  type App,
  apiKeys,
  apps,
  type Channel,
  channels,
  memberships,
  type NewApp,
  type NewRelease,
  type Organization,
  type OrgPlan,
  organizations,
  type Release,
  type Role,
  releases,
  sessions,
  users,
} from '../src/db/schema';
import { generateApiKey } from '../src/lib/api-keys';
import { newId } from '../src/lib/ids';
import { mintToken } from '../src/lib/tokens';
import { ACCESS_TOKEN_TTL_MS, SESSION_TTL_MS } from '../src/services/sessions';

// Factories mint unique ids, so tests in one file never collide and never depend on each other.

export const db = () => getDb(env.DB);

export interface TestOrg {
  org: Organization;
  ownerId: string;
}

export async function createOrg(
  overrides: { plan?: OrgPlan; name?: string } = {},
): Promise<TestOrg> {
  const orgId = newId('org');
  const ownerId = newId('user');
  const email = `${ownerId}@example.test`;
  const name = overrides.name ?? `Org ${orgId}`;
  const [[org]] = await db().batch([
    db()
      .insert(organizations)
      .values({ id: orgId, name, slug: orgId.toLowerCase(), plan: overrides.plan ?? 'free' })
      .returning(),
    db()
      .insert(users)
      .values({ id: ownerId, email, displayName: 'Owner', provider: 'email', providerId: email }),
    db()
      .insert(memberships)
      .values({ id: newId('membership'), orgId, userId: ownerId, role: 'owner' }),
  ]);
  if (!org) throw new Error('createOrg: no row returned');
  return { org, ownerId };
}

export interface TestApiKey {
  row: ApiKey;
  secret: string;
}

export async function createApiKey(
  { org, ownerId }: TestOrg,
  role: Role = 'owner',
  overrides: {
    scope?: 'full' | 'read_only';
    expiresAt?: Date;
    revokedAt?: Date;
    appId?: string;
  } = {},
): Promise<TestApiKey> {
  const key = await generateApiKey();
  const [row] = await db()
    .insert(apiKeys)
    .values({
      id: newId('apiKey'),
      keyHash: key.hash,
      prefix: key.prefix,
      name: `${role} key`,
      orgId: org.id,
      role,
      createdByUserId: ownerId,
      scope: overrides.scope ?? 'full',
      expiresAt: overrides.expiresAt,
      revokedAt: overrides.revokedAt,
      appId: overrides.appId,
    })
    .returning();
  if (!row) throw new Error('createApiKey: no row returned');
  return { row, secret: key.secret };
}

export async function createApp(
  { org }: TestOrg,
  overrides: Partial<NewApp> = {},
): Promise<{ app: App; channel: Channel }> {
  const appId = newId('app');
  const channelId = newId('channel');
  const [[app], [channel]] = await db().batch([
    db()
      .insert(apps)
      .values({
        id: appId,
        name: `App ${appId}`,
        bundleId: 'com.example.app',
        platform: 'ios',
        orgId: org.id,
        ...overrides,
      })
      .returning(),
    db()
      .insert(channels)
      .values({ id: channelId, appId, name: 'Production', deploymentKey: `dk_${channelId}` })
      .returning(),
  ]);
  if (!app || !channel) throw new Error('createApp: no row returned');
  return { app, channel };
}

export async function createRelease(
  { app, channel }: { app: App; channel: Channel },
  overrides: Partial<NewRelease> = {},
): Promise<Release> {
  const id = newId('release');
  const [row] = await db()
    .insert(releases)
    .values({
      id,
      appId: app.id,
      channelId: channel.id,
      version: '1.0.0',
      label: `v-${id}`,
      bundleUrl: `${app.id}/${id}/bundle`,
      bundleSize: 1024,
      bundleHash: `sha256:${'0'.repeat(64)}`,
      ...overrides,
    })
    .returning();
  if (!row) throw new Error('createRelease: no row returned');
  return row;
}

export interface TestSession {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

/** A session for `userId` written straight to D1 (no password hashing: fast). */
export async function createSession(
  userId: string,
  overrides: { accessExpiresAt?: Date; expiresAt?: Date; revokedAt?: Date } = {},
): Promise<TestSession> {
  const [access, refresh] = await Promise.all([mintToken('access'), mintToken('refresh')]);
  const sessionId = newId('session');
  const now = Date.now();
  await db()
    .insert(sessions)
    .values({
      id: sessionId,
      userId,
      accessTokenHash: access.hash,
      refreshTokenHash: refresh.hash,
      ipAddress: '203.0.113.7',
      userAgent: 'vitest',
      accessExpiresAt: overrides.accessExpiresAt ?? new Date(now + ACCESS_TOKEN_TTL_MS),
      expiresAt: overrides.expiresAt ?? new Date(now + SESSION_TTL_MS),
      revokedAt: overrides.revokedAt,
    });
  return { userId, sessionId, accessToken: access.secret, refreshToken: refresh.secret };
}

/** A user with no password (sign-in tests make their own through the API). */
export async function createUser(email?: string): Promise<string> {
  const userId = newId('user');
  const address = email ?? `${userId.toLowerCase()}@example.test`;
  await db().insert(users).values({
    id: userId,
    email: address,
    displayName: 'Member',
    provider: 'email',
    providerId: address,
  });
  return userId;
}

/** A new user who is a `role` member of the org, signed in. */
export async function createMember({ org }: TestOrg, role: Role): Promise<TestSession> {
  const userId = await createUser();
  await db()
    .insert(memberships)
    .values({ id: newId('membership'), orgId: org.id, userId, role });
  return createSession(userId);
}
