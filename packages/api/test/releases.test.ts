import { env } from 'cloudflare:workers';
import { ErrorBody, ReleaseJson, ReleasePageJson } from '@skypatch/protocol';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLogs, channels, releases } from '../src/db/schema';
import { cacheKeys } from '../src/services/cache';
import { createApiKey, createApp, createMember, createOrg, createRelease, db } from './factories';
import { api } from './request';

// Release management: CodePush's patch, pause/resume, rollback with a reason, promotion.

async function world(overrides: Parameters<typeof createRelease>[1] = {}) {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  const release = await createRelease(
    { app, channel },
    { label: 'v1', appVersionRange: '^1.0.0', packageHash: 'a'.repeat(64), ...overrides },
  );
  const path = `/v1/orgs/${test.org.id}/apps/${app.id}/releases/${release.id}`;
  return { test, app, channel, key, release, path, as: api(key.secret) };
}

const cacheVersion = async (channelId: string) =>
  (await db().select().from(channels).where(eq(channels.id, channelId)))[0]?.cacheVersion;

async function stored(id: string) {
  const [row] = await db().select().from(releases).where(eq(releases.id, id));
  return row;
}

describe('editing a release', () => {
  it('grows the rollout, bumping the channel cache version with an audit row', async () => {
    const w = await world({ rolloutPercentage: 10 });
    const res = await w.as.patch<ReleaseJson>(w.path, { rollout: 50, description: 'Half' });
    expect(res.status, res.text).toBe(200);
    expect(ReleaseJson.parse(res.body)).toMatchObject({ rollout: 50, description: 'Half' });
    expect(await cacheVersion(w.channel.id)).toBe(2);
    expect(await env.CACHE.get(cacheKeys.channelVersion(w.channel.id))).toBe('2');
    const [audit] = await db()
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.resourceId, w.release.id), eq(auditLogs.action, 'release.update')));
    expect(audit?.oldValues).toMatchObject({ rolloutPercentage: 10 });
    expect(audit?.newValues).toMatchObject({ rolloutPercentage: 50 });
  });

  it('never lowers a rollout, and never changes a completed one (CodePush §2.6)', async () => {
    const w = await world({ rolloutPercentage: 40 });
    const lower = await w.as.patch(w.path, { rollout: 20 });
    expect(lower.status, lower.text).toBe(409);
    expect(ErrorBody.parse(lower.body).error.message).toMatch(/greater than "40"/);
    expect((await w.as.patch(w.path, { rollout: 100 })).status).toBe(200);
    const versionBefore = await cacheVersion(w.channel.id);
    const done = await w.as.patch(w.path, { rollout: 100 });
    expect(done.status).toBe(200); // unchanged value: nothing to refuse, nothing written
    expect(await cacheVersion(w.channel.id)).toBe(versionBefore);
    const after = await world();
    const completed = await after.as.patch(after.path, { rollout: 50 });
    expect(completed.status, completed.text).toBe(409);
    expect((await stored(after.release.id))?.rolloutPercentage).toBe(100);
  });

  it('sets targeting rules and the target versions', async () => {
    const w = await world();
    const rules = {
      platforms: ['ios'],
      osVersions: '>=16.0.0',
      attributes: { beta: true, tier: ['gold', 'silver'] },
    };
    const res = await w.as.patch<ReleaseJson>(w.path, {
      targetingRules: rules,
      appVersion: '1.2.x',
    });
    expect(res.status, res.text).toBe(200);
    expect((await stored(w.release.id))?.targetingRules).toEqual(rules);
    expect((await stored(w.release.id))?.minAppVersion).toBe('1.2.0');
    const cleared = await w.as.patch<ReleaseJson>(w.path, { targetingRules: null });
    expect(ReleaseJson.parse(cleared.body).targetingRules).toBeNull();
  });

  it.each([
    ['a rollout of 0', { rollout: 0 }],
    ['a rollout of 101', { rollout: 101 }],
    ['a version that is not a range', { appVersion: 'banana' }],
    ['targeting rules of the wrong shape', { targetingRules: { platforms: 'ios' } }],
    ['an unknown targeting rule', { targetingRules: { countries: ['FR'] } }],
    ['an unknown field', { label: 'v9' }],
    ['nothing at all', {}],
  ])('answers 400 to %s and changes nothing', async (_, body) => {
    const w = await world({ rolloutPercentage: 10 });
    const res = await w.as.patch(w.path, body);
    expect(res.status, res.text).toBe(400);
    expect(await stored(w.release.id)).toMatchObject({
      rolloutPercentage: 10,
      appVersionRange: '^1.0.0',
      targetingRules: null,
    });
    expect(await cacheVersion(w.channel.id)).toBe(1);
  });
});

describe('pause, resume and rollback', () => {
  it('pauses and resumes, refusing the wrong order', async () => {
    const w = await world();
    expect((await w.as.post(`${w.path}/resume`)).status).toBe(409);
    const paused = await w.as.post<ReleaseJson>(`${w.path}/pause`);
    expect(ReleaseJson.parse(paused.body).status).toBe('paused');
    expect((await w.as.post(`${w.path}/pause`)).status).toBe(409);
    const resumed = await w.as.post<ReleaseJson>(`${w.path}/resume`);
    expect(ReleaseJson.parse(resumed.body).status).toBe('active');
    expect(await cacheVersion(w.channel.id)).toBe(3);
  });

  it('rolls back with a reason, once', async () => {
    const w = await world();
    expect((await w.as.post(`${w.path}/rollback`, {})).status).toBe(400);
    const res = await w.as.post<ReleaseJson>(`${w.path}/rollback`, { reason: 'Crash on launch' });
    expect(res.status, res.text).toBe(200);
    expect(ReleaseJson.parse(res.body)).toMatchObject({
      status: 'rolled_back',
      rollbackReason: 'Crash on launch',
    });
    expect((await w.as.post(`${w.path}/rollback`, { reason: 'again' })).status).toBe(409);
    expect((await w.as.post(`${w.path}/resume`)).status).toBe(409);
  });

  it('lets a developer roll back but not a viewer', async () => {
    const w = await world();
    const viewer = await createMember(w.test, 'viewer');
    expect((await api(viewer.accessToken).post(`${w.path}/rollback`, { reason: 'x' })).status).toBe(
      403,
    );
    const dev = await createMember(w.test, 'developer');
    expect((await api(dev.accessToken).post(`${w.path}/rollback`, { reason: 'x' })).status).toBe(
      200,
    );
  });
});

describe('promotion', () => {
  async function withTarget() {
    const w = await world();
    const [target] = await db()
      .insert(channels)
      .values({
        id: `chn_${crypto.randomUUID()}`,
        appId: w.app.id,
        name: 'Staging',
        deploymentKey: `dk_${crypto.randomUUID()}`,
      })
      .returning();
    if (!target) throw new Error('no target channel');
    return { ...w, target };
  }

  it('copies the release into another channel without re-uploading', async () => {
    const w = await withTarget();
    const res = await w.as.post<ReleaseJson>(`${w.path}/promote`, {
      targetChannelId: w.target.id,
      rollout: 25,
    });
    expect(res.status, res.text).toBe(201);
    const promoted = ReleaseJson.parse(res.body);
    expect(promoted).toMatchObject({
      channelId: w.target.id,
      label: 'v1',
      releaseMethod: 'promote',
      originReleaseId: w.release.id,
      packageHash: w.release.packageHash,
      rollout: 25,
      appVersion: '^1.0.0',
    });
    expect((await stored(promoted.id))?.bundleUrl).toBe(w.release.bundleUrl);
    expect(await cacheVersion(w.target.id)).toBe(2);
    const list = ReleasePageJson.parse(
      (
        await w.as.get(
          `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/releases?channelId=${w.target.id}`,
        )
      ).body,
    );
    expect(list.items.map((r) => r.id)).toEqual([promoted.id]);
  });

  it('refuses while the target is rolling out, identical contents, and a rolled-back source', async () => {
    const w = await withTarget();
    const first = await w.as.post<ReleaseJson>(`${w.path}/promote`, {
      targetChannelId: w.target.id,
      rollout: 10,
    });
    expect(first.status).toBe(201);
    const busy = await w.as.post(`${w.path}/promote`, { targetChannelId: w.target.id });
    expect(busy.status, busy.text).toBe(409);
    await db()
      .update(releases)
      .set({ rolloutPercentage: 100 })
      .where(eq(releases.id, ReleaseJson.parse(first.body).id));
    const same = await w.as.post(`${w.path}/promote`, { targetChannelId: w.target.id });
    expect(same.status, same.text).toBe(409);
    expect(ErrorBody.parse(same.body).error.message).toMatch(/identical to release v1/);
    await w.as.post(`${w.path}/rollback`, { reason: 'bad' });
    const rolledBack = await w.as.post(`${w.path}/promote`, {
      targetChannelId: w.target.id,
      appVersion: '^2.0.0',
    });
    expect(rolledBack.status, rolledBack.text).toBe(409);
  });

  it('refuses a channel of another app, and its own channel', async () => {
    const w = await withTarget();
    const other = await createApp(w.test);
    expect(
      (await w.as.post(`${w.path}/promote`, { targetChannelId: other.channel.id })).status,
    ).toBe(404);
    expect((await w.as.post(`${w.path}/promote`, { targetChannelId: w.channel.id })).status).toBe(
      400,
    );
  });
});
