import { env } from 'cloudflare:workers';
import {
  AppJson,
  AppPageJson,
  ChannelJson,
  ChannelListJson,
  CreatedAppJson,
  ErrorBody,
} from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apps, auditLogs, channels, components, pages } from '../src/db/schema';
import { cacheKeys } from '../src/services/cache';
import {
  createApiKey,
  createMember,
  createOrg,
  createSession,
  db,
  type TestOrg,
} from './factories';
import { api } from './request';

// Apps and channels (CodePush: deployments) through the real Worker.

async function adminOf(): Promise<{ test: TestOrg; token: string; base: string }> {
  const test = await createOrg();
  const token = (await createSession(test.ownerId)).accessToken;
  return { test, token, base: `/v1/orgs/${test.org.id}/apps` };
}

async function newApp(token: string, base: string, body: Record<string, unknown> = {}) {
  const res = await api(token).post<CreatedAppJson>(base, {
    name: `App ${crypto.randomUUID()}`,
    bundleId: 'com.example.app',
    platform: 'ios',
    ...body,
  });
  expect(res.status, res.text).toBe(201);
  return CreatedAppJson.parse(res.body);
}

describe('apps', () => {
  it('creates an app with Staging and Production, each with its own valid deployment key', async () => {
    const { test, token, base } = await adminOf();
    const app = await newApp(token, base, { settings: { crashRollbackThreshold: 0.02 } });
    expect(app.orgId).toBe(test.org.id);
    expect(app.settings).toEqual({ crashRollbackThreshold: 0.02 });
    expect(app.channels.map((c) => c.name)).toEqual(['Staging', 'Production']);
    for (const channel of app.channels)
      expect(channel.deploymentKey).toMatch(/^[A-Za-z0-9_-]{10,100}$/);
    expect(new Set(app.channels.map((c) => c.deploymentKey)).size).toBe(2);

    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.resourceId, app.id), eq(auditLogs.action, 'app.create')));
    expect(audit?.newValues).toMatchObject({ channels: ['Staging', 'Production'] });
  });

  it('skips the default channels on request', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base, { manuallyProvisionChannels: true });
    expect(app.channels).toEqual([]);
  });

  it.each([
    ['an unknown platform', { platform: 'windows' }],
    ['a threshold above 1', { settings: { crashRollbackThreshold: 1.5 } }],
    ['an unknown setting', { settings: { autoDeleteEverything: true } }],
    ['a bundle id with spaces', { bundleId: 'com example' }],
    ['no name', { name: '' }],
  ])('answers 400 to %s and creates nothing', async (_, override) => {
    const { test, token, base } = await adminOf();
    const res = await api(token).post(base, {
      name: 'Valid',
      bundleId: 'com.example.app',
      platform: 'android',
      ...override,
    });
    expect(res.status, res.text).toBe(400);
    expect(await db().select().from(apps).where(eq(apps.orgId, test.org.id))).toHaveLength(0);
  });

  it('refuses a second app with the same name in the org, but not in another org', async () => {
    const { token, base } = await adminOf();
    await newApp(token, base, { name: 'Shop' });
    const dup = await api(token).post(base, { name: 'Shop', bundleId: 'com.x', platform: 'ios' });
    expect(dup.status, dup.text).toBe(409);
    const other = await adminOf();
    await newApp(other.token, other.base, { name: 'Shop' });
  });

  it('merges settings on update and keeps the name unique', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base, { settings: { crashRollbackThreshold: 0.05 } });
    const res = await api(token).patch<AppJson>(`${base}/${app.id}`, {
      name: 'Renamed',
      settings: { crashRollbackMinInstalls: 200 },
    });
    expect(res.status, res.text).toBe(200);
    expect(AppJson.parse(res.body)).toMatchObject({
      name: 'Renamed',
      settings: { crashRollbackThreshold: 0.05, crashRollbackMinInstalls: 200 },
    });
    expect((await api(token).patch(`${base}/${app.id}`, {})).status).toBe(400);
  });

  it("links a status component of the org's own pages only", async () => {
    const { test, token, base } = await adminOf();
    const other = await createOrg();
    const suffix = crypto.randomUUID().slice(0, 8);
    const componentOf = async (orgId: string, id: string) => {
      const pageId = `p${id.slice(1)}`;
      await db()
        .insert(pages)
        .values({ id: pageId, orgId, name: 'S', subdomain: `s-${pageId}` });
      await db().insert(components).values({ id, pageId, name: 'Mobile app' });
      return id;
    };
    const ours = await componentOf(test.org.id, `c${suffix}aaa`);
    const theirs = await componentOf(other.org.id, `c${suffix}bbb`);
    const app = await newApp(token, base, { settings: { statusComponentId: ours } });
    expect(app.settings).toEqual({ statusComponentId: ours });
    const refused = await api(token).patch(`${base}/${app.id}`, {
      settings: { statusComponentId: theirs },
    });
    expect(refused.status, refused.text).toBe(400);
    const [stored] = await db().select().from(apps).where(eq(apps.id, app.id));
    expect(stored?.settings).toEqual({ statusComponentId: ours });
    const unlinked = await api(token).patch<AppJson>(`${base}/${app.id}`, {
      settings: { statusComponentId: null },
    });
    expect(AppJson.parse(unlinked.body).settings).toEqual({ statusComponentId: null });
  });

  it('soft-deletes: gone from lists, keys forgotten in KV, restorable', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    const key = app.channels[0]?.deploymentKey ?? '';
    await env.CACHE.put(cacheKeys.deployment(key), '{}');

    expect((await api(token).delete(`${base}/${app.id}`)).status).toBe(204);
    expect(await env.CACHE.get(cacheKeys.deployment(key))).toBeNull();
    expect((await api(token).get(`${base}/${app.id}`)).status).toBe(404);
    const list = AppPageJson.parse((await api(token).get(base)).body);
    expect(list.items.map((a) => a.id)).not.toContain(app.id);

    const restored = await api(token).post<AppJson>(`${base}/${app.id}/restore`);
    expect(restored.status, restored.text).toBe(200);
    expect(AppJson.parse(restored.body).deletedAt).toBeNull();
  });

  it('shows an app-scoped key only its own app', async () => {
    const { test, token, base } = await adminOf();
    const mine = await newApp(token, base);
    const other = await newApp(token, base);
    const scoped = await createApiKey(test, 'developer', { appId: mine.id });
    const list = AppPageJson.parse((await api(scoped.secret).get(base)).body);
    expect(list.items.map((a) => a.id)).toEqual([mine.id]);
    expect((await api(scoped.secret).get(`${base}/${other.id}`)).status).toBe(404);
    expect((await api(scoped.secret).get(`${base}/${other.id}/channels`)).status).toBe(404);
    expect((await api(scoped.secret).get(`${base}/${mine.id}/channels`)).status).toBe(200);
  });

  it('lets a developer read but not manage apps', async () => {
    const { test, token, base } = await adminOf();
    const app = await newApp(token, base);
    const dev = await createMember(test, 'developer');
    expect((await api(dev.accessToken).get(`${base}/${app.id}`)).status).toBe(200);
    expect((await api(dev.accessToken).delete(`${base}/${app.id}`)).status).toBe(403);
  });

  it("answers 404 for another org's app", async () => {
    const { token } = await adminOf();
    const other = await adminOf();
    const theirs = await newApp(other.token, other.base);
    const { base } = await adminOf();
    expect((await api(token).get(`${other.base}/${theirs.id}`)).status).toBe(404);
    expect((await api(other.token).get(`${base}/${theirs.id}`)).status).toBe(404);
  });
});

describe('channels', () => {
  it('adds a channel with a brought deployment key, refusing invalid and taken keys', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    const path = `${base}/${app.id}/channels`;
    const appCenterKey = `AppCenterKey_${crypto.randomUUID().replace(/-/g, '')}`;
    const res = await api(token).post<ChannelJson>(path, {
      name: 'Beta',
      deploymentKey: appCenterKey,
    });
    expect(res.status, res.text).toBe(201);
    expect(ChannelJson.parse(res.body).deploymentKey).toBe(appCenterKey);

    for (const deploymentKey of ['short', 'has spaces in it!', 'x'.repeat(101)]) {
      const bad = await api(token).post(path, { name: 'Other', deploymentKey });
      expect(bad.status, bad.text).toBe(400);
    }
    const taken = await api(token).post(path, { name: 'Other', deploymentKey: appCenterKey });
    expect(taken.status, taken.text).toBe(409);
    const sameName = await api(token).post(path, { name: 'Beta' });
    expect(sameName.status, sameName.text).toBe(409);
    const list = ChannelListJson.parse((await api(token).get(path)).body);
    expect(list.items.map((c) => c.name)).toEqual(['Beta', 'Production', 'Staging']);
  });

  it('rotates a key: the old one is forgotten, the channel version bumped in D1 and KV', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    const channel = app.channels[1];
    if (!channel) throw new Error('no Production channel');
    await env.CACHE.put(cacheKeys.deployment(channel.deploymentKey), '{}');

    const res = await api(token).post<ChannelJson>(
      `${base}/${app.id}/channels/${channel.id}/rotate-key`,
    );
    expect(res.status, res.text).toBe(200);
    const rotated = ChannelJson.parse(res.body);
    expect(rotated.deploymentKey).not.toBe(channel.deploymentKey);
    expect(await env.CACHE.get(cacheKeys.deployment(channel.deploymentKey))).toBeNull();
    const [row] = await db().select().from(channels).where(eq(channels.id, channel.id));
    expect(row?.cacheVersion).toBe(2);
    expect(await env.CACHE.get(cacheKeys.channelVersion(channel.id))).toBe('2');
  });

  it('renames and deletes a channel', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    const staging = app.channels[0];
    if (!staging) throw new Error('no Staging channel');
    const path = `${base}/${app.id}/channels/${staging.id}`;
    const renamed = await api(token).patch<ChannelJson>(path, { name: 'QA' });
    expect(ChannelJson.parse(renamed.body).name).toBe('QA');
    expect((await api(token).patch(path, { name: '   ' })).status).toBe(400);
    expect((await api(token).delete(path)).status).toBe(204);
    expect((await api(token).delete(path)).status).toBe(404);
    const list = ChannelListJson.parse((await api(token).get(`${base}/${app.id}/channels`)).body);
    expect(list.items.map((c) => c.name)).toEqual(['Production']);
    // The name is free again: the unique index only covers live channels.
    expect((await api(token).post(`${base}/${app.id}/channels`, { name: 'QA' })).status).toBe(201);
  });

  it("cannot touch a channel through another app's path", async () => {
    const { token, base } = await adminOf();
    const one = await newApp(token, base);
    const two = await newApp(token, base);
    const channel = two.channels[0];
    const res = await api(token).delete(`${base}/${one.id}/channels/${channel?.id}`);
    expect(res.status, res.text).toBe(404);
    expect(ErrorBody.parse(res.body).error.code).toBe('NOT_FOUND');
  });

  it('never lets another channel take a rotated-away or purged deployment key', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    const channel = app.channels[0];
    if (!channel) throw new Error('no channel');
    await api(token).post(`${base}/${app.id}/channels/${channel.id}/rotate-key`);
    const attacker = await adminOf();
    const theirs = await newApp(attacker.token, attacker.base);
    const res = await api(attacker.token).post(`${attacker.base}/${theirs.id}/channels`, {
      name: 'Hijack',
      deploymentKey: channel.deploymentKey,
    });
    expect(res.status, res.text).toBe(409);
    expect(ErrorBody.parse(res.body).error.message).toMatch(/retired/);
    const rows = await db()
      .select()
      .from(channels)
      .where(eq(channels.deploymentKey, channel.deploymentKey));
    expect(rows).toHaveLength(0);
    const audit = await db()
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.orgId, attacker.test.org.id));
    expect(audit.map((a) => a.action)).not.toContain('channel.create');
  });

  it('keeps the code-signing key when settings are edited', async () => {
    const { token, base } = await adminOf();
    const app = await newApp(token, base);
    expect((await api(token).post(`${base}/${app.id}/code-signing/generate`)).status).toBe(201);
    const res = await api(token).patch(`${base}/${app.id}`, {
      settings: { crashRollbackThreshold: 0.1 },
    });
    expect(res.status, res.text).toBe(200);
    expect((await api(token).get(`${base}/${app.id}/code-signing`)).status).toBe(200);
  });
});
