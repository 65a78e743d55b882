import { exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { PUBLIC_V1_PATHS } from '../src/app';
import type { Role } from '../src/db/schema';
import {
  componentGroups,
  components,
  incidents,
  incidentUpdates,
  invitations,
  pages,
  patchChannels,
  patches,
  subscribers,
  uploadJobs,
  userSecrets,
} from '../src/db/schema';
import { createCodeSigningCertificate } from '../src/lib/code-signing-certificate';
import { newId, newPublicId } from '../src/lib/ids';
import { PERMISSIONS, type Permission, roleAtLeast } from '../src/services/permissions';
import {
  createApiKey,
  createApp,
  createMember,
  createOrg,
  createRelease,
  createSession,
  db,
  type TestOrg,
} from './factories';
import { request } from './request';

/**
 * The authorization matrix: every operation the router publishes, called by every kind of
 * caller, against the status its declared policy implies. The routes come from the app's own
 * OpenAPI document, so a new route is covered the moment it exists, and one without a policy
 * fails here.
 */

const POLICY = 'x-skypatch-policy';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  policy: string | undefined;
}

async function publishedOperations(): Promise<Operation[]> {
  const res = await request<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(
    'GET',
    '/openapi.json',
  );
  expect(res.status).toBe(200);
  return Object.entries(res.body.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const policy = item[method]?.[POLICY];
      return { method, path, policy: typeof policy === 'string' ? policy : undefined };
    }),
  );
}

const CALLERS = [
  'anonymous',
  'member of another org',
  'viewer',
  'developer',
  'admin',
  'owner',
  'revoked key',
  'expired session',
  'read-only key',
] as const;
type Caller = (typeof CALLERS)[number];
const ROLE_CALLERS: Partial<Record<Caller, Role>> = {
  viewer: 'viewer',
  developer: 'developer',
  admin: 'admin',
  owner: 'owner',
};

type Expectation = 401 | 403 | 404 | 'allowed';

/** What `policy` promises `caller`: the table docs/permissions.md describes in prose. */
function expected(policy: string, caller: Caller): Expectation {
  if (caller === 'anonymous' || caller === 'revoked key' || caller === 'expired session') {
    return 401;
  }
  if (policy === 'authenticated') return 'allowed';
  const isKey = caller === 'read-only key';
  if (policy === 'user') return isKey ? 403 : 'allowed';
  const [kind, permission, ...flags] = policy.split(':');
  // `page:` policies resolve the org from {page_id}, then apply the same permission table.
  expect(['org', 'page'], `unknown policy ${policy}`).toContain(kind);
  const rule = PERMISSIONS[permission as Permission]; // checked on the next line
  expect(rule, `unknown permission in ${policy}`).toBeDefined();
  if (caller === 'member of another org') return 404;
  if (isKey) {
    if (flags.includes('include-deleted')) return 404; // keys never reach a deleted org
    return rule.write || flags.includes('user') ? 403 : 'allowed';
  }
  const role = ROLE_CALLERS[caller];
  if (!role) throw new Error(`no role for ${caller}`);
  return roleAtLeast(role, rule.minimumRole) ? 'allowed' : 403;
}

interface World {
  target: TestOrg;
  token: string | undefined;
  sessionId: string;
  params: Record<string, string>;
}

/** A fresh org with one of everything a path can name, and the caller's credential. */
async function buildWorld(caller: Caller): Promise<World> {
  const target = await createOrg();
  const subject = await createMember(target, 'developer');
  const key = await createApiKey(target, 'developer');
  const { app, channel } = await createApp(target, { settings: { codeSigning } });
  const release = await createRelease({ app, channel }, { label: 'v1' });
  const invitationId = newId('invitation');
  const jobId = newId('uploadJob');
  const secretId = newId('secret');
  const status = {
    page_id: newPublicId(),
    component_id: newPublicId(),
    component_group_id: newPublicId(),
    incident_id: newPublicId(),
    incident_update_id: newPublicId(),
    subscriber_id: newPublicId(),
  };
  await db().batch([
    db().insert(pages).values({
      id: status.page_id,
      orgId: target.org.id,
      name: 'Matrix',
      subdomain: status.page_id,
    }),
    db()
      .insert(componentGroups)
      .values({ id: status.component_group_id, pageId: status.page_id, name: 'Group' }),
    db().insert(components).values({
      id: status.component_id,
      pageId: status.page_id,
      groupId: status.component_group_id,
      name: 'API',
    }),
    db().insert(incidents).values({
      id: status.incident_id,
      pageId: status.page_id,
      name: 'Outage',
      status: 'investigating',
      impact: 'none',
    }),
    db().insert(incidentUpdates).values({
      id: status.incident_update_id,
      incidentId: status.incident_id,
      status: 'investigating',
      body: 'Looking',
    }),
    db().insert(subscribers).values({
      id: status.subscriber_id,
      pageId: status.page_id,
      mode: 'webhook',
      endpoint: 'https://hooks.example.test/matrix',
    }),
  ]);
  await db().batch([
    db()
      .insert(invitations)
      .values({
        id: invitationId,
        orgId: target.org.id,
        email: 'invitee@example.test',
        role: 'viewer',
        tokenHash: `hash-${invitationId}`,
        expiresAt: new Date(Date.now() + 3_600_000),
      }),
    db()
      .insert(uploadJobs)
      .values({
        id: jobId,
        orgId: target.org.id,
        appId: app.id,
        channelId: channel.id,
        pendingKey: `pending/${jobId}/bundle`,
      }),
    db().insert(patchChannels).values({ appId: app.id, releaseVersion: '1.0.0+1', patchNumber: 1 }),
    db()
      .insert(patches)
      .values({
        appId: app.id,
        releaseVersion: '1.0.0+1',
        patchNumber: 1,
        platform: 'android',
        arch: 'aarch64',
        downloadUrl: `patches/${app.id}/1.0.0+1/android/aarch64/1`,
        hash: 'a'.repeat(64),
        createdAt: new Date(),
      }),
    db().insert(userSecrets).values({
      id: secretId,
      orgId: target.org.id,
      userId: target.ownerId,
      provider: 'codepush',
      secretType: 'signing_key',
      displayName: 'Signing key',
      encryptedValue: 'v1.x.y',
    }),
  ]);

  let token: string | undefined;
  let sessionId = 'ses_none';
  const role = ROLE_CALLERS[caller];
  if (role === 'owner') {
    const session = await createSession(target.ownerId);
    token = session.accessToken;
    sessionId = session.sessionId;
  } else if (role) {
    const session = await createMember(target, role);
    token = session.accessToken;
    sessionId = session.sessionId;
  } else if (caller === 'member of another org') {
    const other = await createOrg();
    const session = await createSession(other.ownerId);
    token = session.accessToken;
    sessionId = session.sessionId;
  } else if (caller === 'revoked key') {
    token = (await createApiKey(target, 'owner', { revokedAt: new Date() })).secret;
  } else if (caller === 'expired session') {
    token = (await createSession(target.ownerId, { accessExpiresAt: new Date(Date.now() - 1000) }))
      .accessToken;
  } else if (caller === 'read-only key') {
    token = (await createApiKey(target, 'owner', { scope: 'read_only' })).secret;
  }
  return {
    target,
    token,
    sessionId,
    params: {
      orgId: target.org.id,
      userId: subject.userId,
      keyId: key.row.id,
      invitationId,
      secretId,
      sessionId,
      appId: app.id,
      channelId: channel.id,
      jobId,
      releaseId: release.id,
      releaseVersion: '1.0.0+1',
      number: '1',
      partNumber: '1',
      platform: 'android',
      arch: 'x86_64',
      ...status,
    },
  };
}

function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (!value) throw new Error(`The matrix has no value for {${name}} in ${path}: add one`);
    return value;
  });
}

const operations = await publishedOperations();
// One public key and its certificate for every world: the code-signing routes need an app
// that has them.
const signingKey = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const signingPublicKeyPem = await exportSPKI(signingKey.publicKey);
const codeSigning = {
  keyId: 'matrix',
  publicKeyPem: signingPublicKeyPem,
  secretId: null,
  source: 'uploaded',
  createdAt: new Date().toISOString(),
  certificatePem: await createCodeSigningCertificate({
    publicKeyPem: signingPublicKeyPem,
    privateKey: signingKey.privateKey,
    commonName: 'matrix',
  }),
};
const guarded = operations.filter((op) => op.policy !== 'public');

describe('authorization matrix', () => {
  it('finds the management routes in the router', () => {
    expect(guarded.length).toBeGreaterThan(20);
    expect(guarded.map((op) => op.path)).toContain('/v1/orgs/{orgId}/api-keys');
  });

  it('has a declared policy on every route', () => {
    const missing = operations.filter((op) => !op.policy);
    expect(missing.map((op) => `${op.method.toUpperCase()} ${op.path}`)).toEqual([]);
  });

  it('lets exactly the routes declared public through without a credential', () => {
    const publicV1 = operations
      .filter((op) => op.policy === 'public' && op.path.startsWith('/v1/'))
      .map((op) => op.path);
    expect(new Set(publicV1)).toEqual(PUBLIC_V1_PATHS);
  });

  describe.each(guarded)('$method $path ($policy)', (op) => {
    it.each(CALLERS)('%s', async (caller) => {
      const world = await buildWorld(caller);
      const want = expected(op.policy ?? '', caller);
      const path = fillPath(op.path, world.params);
      const hasBody = op.method === 'post' || op.method === 'patch' || op.method === 'put';
      const res = await request(op.method.toUpperCase(), path, {
        ...(world.token ? { key: world.token } : {}),
        ...(hasBody ? { json: {} } : {}),
      });
      const label = `${caller} → ${op.method.toUpperCase()} ${path}: ${res.text}`;
      if (want === 'allowed') {
        // Past authorization: success, or a 400/409 about the (deliberately empty) input.
        expect(res.status, label).toBeLessThan(500);
        expect([401, 403, 404], label).not.toContain(res.status);
      } else {
        expect(res.status, label).toBe(want);
      }
    });
  });
});
