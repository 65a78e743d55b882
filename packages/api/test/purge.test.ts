import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, count, eq, inArray, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it, vi } from 'vitest';
import { CRON } from '../src/cron';
import {
  type App,
  apiKeys,
  apps,
  auditLogs,
  type Channel,
  channels,
  components,
  devices,
  incidents,
  invitations,
  memberships,
  organizations,
  pages,
  patches,
  releaseDiffs,
  releaseStats,
  releases,
  sessions,
  telemetryEvents,
  uploadJobs,
  userSecrets,
  users,
} from '../src/db/schema';
import worker from '../src/index';
import { newId, newPublicId } from '../src/lib/ids';
import { createServices } from '../src/services';
import { SOFT_DELETE_GRACE_DAYS } from '../src/services/soft-delete';
import {
  createApiKey,
  createApp,
  createMember,
  createOrg,
  createRelease,
  createSession,
  createUser,
  db,
  type TestOrg,
} from './factories';

// Seed 004's soft delete, final step: the daily cron purges users, organizations and apps whose
// grace period is over, dependents first. Storage is shared between the tests of this file, so
// every assertion filters by the ids the test created.

const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/** Fires the daily cron through the Worker's scheduled entry and fails on any job error. */
async function runDailyCron(scheduledTime: Date): Promise<void> {
  const errors = vi.spyOn(console, 'error');
  try {
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: CRON.daily, scheduledTime: scheduledTime.getTime() }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const failures = errors.mock.calls.map((call) => String(call[0]));
    expect(failures, 'the daily cron logged errors').toEqual([]);
  } finally {
    errors.mockRestore();
  }
}

async function rowCount(table: SQLiteTable, where: SQL | undefined): Promise<number> {
  const [row] = await db().select({ n: count() }).from(table).where(where);
  return row?.n ?? 0;
}

async function purgeAudits(action: string, resourceId: string) {
  return db()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.action, action), eq(auditLogs.resourceId, resourceId)));
}

async function softDeleteOrg(orgId: string, at: Date) {
  await db().update(organizations).set({ deletedAt: at }).where(eq(organizations.id, orgId));
}

async function softDeleteApp(appId: string, at: Date) {
  await db().update(apps).set({ deletedAt: at }).where(eq(apps.id, appId));
}

async function softDeleteUser(userId: string, at: Date) {
  await db().update(users).set({ deletedAt: at }).where(eq(users.id, userId));
}

function secretValues(userId: string, orgId: string | null) {
  return {
    id: newId('secret'),
    userId,
    orgId,
    provider: 'github',
    secretType: 'token',
    displayName: 'GitHub token',
    encryptedValue: 'v1.aXY.Y2lwaGVydGV4dA',
    keyPreview: 'ghp_…abcd',
  };
}

function invitationValues(orgId: string, invitedByUserId: string | null) {
  const id = newId('invitation');
  return {
    id,
    orgId,
    email: `${id.toLowerCase()}@example.test`,
    role: 'developer' as const,
    tokenHash: `hash-${id}`,
    invitedByUserId,
    expiresAt: new Date(Date.now() + 7 * DAY_MS),
  };
}

/** Every app-level row of one app: a second release, a diff, stats, a job, a device, events, a patch. */
interface AppRows {
  appId: string;
  channelIds: string[];
  releaseIds: string[];
  diffIds: string[];
  jobIds: string[];
  deviceIds: string[];
  eventIds: string[];
  patchAppId: string;
  appKeyId: string;
}

async function populateApp(
  testOrg: TestOrg,
  target: { app: App; channel: Channel },
  userId: string,
): Promise<AppRows> {
  const { app, channel } = target;
  const first = await createRelease(target, { createdByUserId: userId });
  const second = await createRelease(target, { version: '1.0.1' });
  const diffId = newId('diff');
  const jobId = newId('uploadJob');
  const deviceId = `device-${newId('request')}`;
  const eventId = `event-${newId('request')}`;
  const staging = newId('channel');
  await db().batch([
    db()
      .insert(channels)
      .values({
        id: staging,
        appId: app.id,
        name: 'Staging',
        deploymentKey: `dk_${staging}`,
      }),
    db()
      .insert(releaseDiffs)
      .values({
        id: diffId,
        releaseId: second.id,
        baseReleaseId: first.id,
        kind: 'codepush_zip',
        baseHash: 'base-hash',
        objectKey: `${app.id}/${second.id}/diffs/${first.id}`,
        size: 128,
        hash: `sha256:${'1'.repeat(64)}`,
      }),
    db()
      .insert(releaseStats)
      .values({ releaseId: first.id, totalDownloads: 3, lastUpdatedAt: new Date() }),
    db()
      .insert(releaseStats)
      .values({ releaseId: second.id, totalInstalls: 2, lastUpdatedAt: new Date() }),
    db()
      .insert(uploadJobs)
      .values({
        id: jobId,
        orgId: testOrg.org.id,
        appId: app.id,
        channelId: channel.id,
        userId,
        pendingKey: `pending/${jobId}`,
      }),
    db().insert(devices).values({
      id: deviceId,
      appId: app.id,
      platform: 'ios',
      appVersion: '1.0.0',
      currentReleaseId: second.id,
    }),
    db().insert(telemetryEvents).values({
      id: eventId,
      deviceId,
      appId: app.id,
      eventType: 'update_installed',
      releaseId: second.id,
      timestamp: new Date(),
    }),
    db()
      .insert(patches)
      .values({
        appId: app.id,
        releaseVersion: '1.0.0+1',
        patchNumber: 1,
        platform: 'ios',
        arch: 'aarch64',
        downloadUrl: `https://pub-test.r2.dev/${app.id}/patch`,
        hash: 'abc123',
        createdAt: new Date(),
      }),
  ]);
  const appKey = await createApiKey(testOrg, 'developer', { appId: app.id });
  return {
    appId: app.id,
    channelIds: [channel.id, staging],
    releaseIds: [first.id, second.id],
    diffIds: [diffId],
    jobIds: [jobId],
    deviceIds: [deviceId],
    eventIds: [eventId],
    patchAppId: app.id,
    appKeyId: appKey.row.id,
  };
}

/** How many rows of each app-level table are left for the given apps. */
async function appRowsLeft(rows: AppRows[]) {
  const appIds = rows.map((r) => r.appId);
  const releaseIds = rows.flatMap((r) => r.releaseIds);
  return {
    apps: await rowCount(apps, inArray(apps.id, appIds)),
    channels: await rowCount(
      channels,
      inArray(
        channels.id,
        rows.flatMap((r) => r.channelIds),
      ),
    ),
    releases: await rowCount(releases, inArray(releases.id, releaseIds)),
    releaseDiffs: await rowCount(
      releaseDiffs,
      inArray(
        releaseDiffs.id,
        rows.flatMap((r) => r.diffIds),
      ),
    ),
    releaseStats: await rowCount(releaseStats, inArray(releaseStats.releaseId, releaseIds)),
    uploadJobs: await rowCount(
      uploadJobs,
      inArray(
        uploadJobs.id,
        rows.flatMap((r) => r.jobIds),
      ),
    ),
    devices: await rowCount(devices, inArray(devices.appId, appIds)),
    telemetryEvents: await rowCount(
      telemetryEvents,
      inArray(
        telemetryEvents.id,
        rows.flatMap((r) => r.eventIds),
      ),
    ),
    patches: await rowCount(
      patches,
      inArray(
        patches.appId,
        rows.map((r) => r.patchAppId),
      ),
    ),
    appKeys: await rowCount(
      apiKeys,
      inArray(
        apiKeys.id,
        rows.map((r) => r.appKeyId),
      ),
    ),
  };
}

const NONE_LEFT = {
  apps: 0,
  channels: 0,
  releases: 0,
  releaseDiffs: 0,
  releaseStats: 0,
  uploadJobs: 0,
  devices: 0,
  telemetryEvents: 0,
  patches: 0,
  appKeys: 0,
};

/** One app's full set of rows (see populateApp). */
const ONE_APP_LEFT = {
  apps: 1,
  channels: 2,
  releases: 2,
  releaseDiffs: 1,
  releaseStats: 2,
  uploadJobs: 1,
  devices: 1,
  telemetryEvents: 1,
  patches: 1,
  appKeys: 1,
};

/** An org with every kind of row that hangs off an org or its apps. */
async function populatedOrg() {
  const testOrg = await createOrg();
  const { org, ownerId } = testOrg;
  const member = await createMember(testOrg, 'developer');
  const orgKey = await createApiKey(testOrg, 'admin');
  const appRows = [
    await populateApp(testOrg, await createApp(testOrg), ownerId),
    await populateApp(testOrg, await createApp(testOrg, { platform: 'android' }), member.userId),
  ];
  const orgSecret = secretValues(ownerId, org.id);
  const personalSecret = secretValues(ownerId, null);
  const invitation = invitationValues(org.id, ownerId);
  const ids = {
    page: newPublicId(),
    component: newPublicId(),
    incident: newPublicId(),
  };
  await db().batch([
    db().insert(userSecrets).values(orgSecret),
    db().insert(userSecrets).values(personalSecret),
    db().insert(invitations).values(invitation),
    db()
      .insert(pages)
      .values({ id: ids.page, orgId: org.id, name: 'Status', subdomain: `purge-${ids.page}` }),
    db().insert(components).values({ id: ids.component, pageId: ids.page, name: 'API' }),
    db().insert(incidents).values({
      id: ids.incident,
      pageId: ids.page,
      name: 'Slow API',
      status: 'investigating',
      impact: 'minor',
    }),
  ]);
  return {
    testOrg,
    member,
    orgKeyId: orgKey.row.id,
    appRows,
    orgSecretId: orgSecret.id,
    personalSecretId: personalSecret.id,
    invitationId: invitation.id,
    ...ids,
  };
}

/** How many of the org-level rows of `populatedOrg()` are left. */
async function orgRowsLeft(populated: Awaited<ReturnType<typeof populatedOrg>>) {
  const orgId = populated.testOrg.org.id;
  return {
    organizations: await rowCount(organizations, eq(organizations.id, orgId)),
    memberships: await rowCount(memberships, eq(memberships.orgId, orgId)),
    apiKeys: await rowCount(apiKeys, eq(apiKeys.orgId, orgId)),
    orgSecrets: await rowCount(userSecrets, eq(userSecrets.id, populated.orgSecretId)),
    invitations: await rowCount(invitations, eq(invitations.id, populated.invitationId)),
    uploadJobs: await rowCount(uploadJobs, eq(uploadJobs.orgId, orgId)),
    apps: await rowCount(apps, eq(apps.orgId, orgId)),
    pages: await rowCount(pages, eq(pages.id, populated.page)),
    components: await rowCount(components, eq(components.id, populated.component)),
    incidents: await rowCount(incidents, eq(incidents.id, populated.incident)),
  };
}

describe('daily purge of soft-deleted organizations', () => {
  it('removes an org deleted 31 days ago with everything hanging off it', async () => {
    const now = new Date();
    const populated = await populatedOrg();
    const { org, ownerId } = populated.testOrg;
    // The owner also belongs to a live org, which must not be touched.
    const other = await createOrg();
    await db()
      .insert(memberships)
      .values({ id: newId('membership'), orgId: other.org.id, userId: ownerId, role: 'admin' });
    await softDeleteOrg(org.id, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 1));

    expect(await appRowsLeft(populated.appRows), 'rows before the cron').toEqual({
      apps: 2,
      channels: 4,
      releases: 4,
      releaseDiffs: 2,
      releaseStats: 4,
      uploadJobs: 2,
      devices: 2,
      telemetryEvents: 2,
      patches: 2,
      appKeys: 2,
    });

    await runDailyCron(now);

    expect(await orgRowsLeft(populated), 'org-level rows after the purge').toEqual({
      organizations: 0,
      memberships: 0,
      apiKeys: 0,
      orgSecrets: 0,
      invitations: 0,
      uploadJobs: 0,
      apps: 0,
      pages: 0,
      components: 0,
      incidents: 0,
    });
    expect(await appRowsLeft(populated.appRows), 'app-level rows after the purge').toEqual(
      NONE_LEFT,
    );

    // People are not the org's: they, their sessions and their other memberships stay.
    const people = [ownerId, populated.member.userId];
    expect(await rowCount(users, inArray(users.id, people)), 'members still exist').toBe(2);
    expect(await rowCount(sessions, eq(sessions.id, populated.member.sessionId))).toBe(1);
    expect(
      await rowCount(userSecrets, eq(userSecrets.id, populated.personalSecretId)),
      'a personal secret (no org) stays',
    ).toBe(1);
    expect(
      await rowCount(
        memberships,
        and(eq(memberships.orgId, other.org.id), eq(memberships.userId, ownerId)),
      ),
    ).toBe(1);
    expect(await rowCount(organizations, eq(organizations.id, other.org.id))).toBe(1);

    const audits = await purgeAudits('organization.purge', org.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      orgId: org.id,
      actorType: 'system',
      userId: null,
      apiKeyId: null,
      resourceType: 'organization',
      resourceId: org.id,
    });
    // The org's apps go with it, not one by one.
    for (const { appId } of populated.appRows)
      expect(await purgeAudits('app.purge', appId)).toEqual([]);
  });

  it('leaves an org inside its grace period and a live org untouched', async () => {
    const now = new Date();
    const recent = await populatedOrg();
    const live = await populatedOrg();
    await softDeleteOrg(recent.testOrg.org.id, daysAgo(now, SOFT_DELETE_GRACE_DAYS - 1));

    const before = {
      recent: { org: await orgRowsLeft(recent), apps: await appRowsLeft(recent.appRows) },
      live: { org: await orgRowsLeft(live), apps: await appRowsLeft(live.appRows) },
    };
    expect(before.recent.org).toMatchObject({ organizations: 1, memberships: 2, apps: 2 });

    await runDailyCron(now);

    expect(await orgRowsLeft(recent)).toEqual(before.recent.org);
    expect(await appRowsLeft(recent.appRows)).toEqual(before.recent.apps);
    expect(await orgRowsLeft(live)).toEqual(before.live.org);
    expect(await appRowsLeft(live.appRows)).toEqual(before.live.apps);
    expect(await purgeAudits('organization.purge', recent.testOrg.org.id)).toEqual([]);
    expect(await purgeAudits('organization.purge', live.testOrg.org.id)).toEqual([]);
    const [row] = await db()
      .select({ deletedAt: organizations.deletedAt })
      .from(organizations)
      .where(eq(organizations.id, recent.testOrg.org.id));
    expect(row?.deletedAt, 'still soft-deleted, still restorable').toBeInstanceOf(Date);
  });
});

describe('daily purge of soft-deleted apps', () => {
  it('removes an app deleted 31 days ago and only what hangs off it', async () => {
    const now = new Date();
    const testOrg = await createOrg();
    const orgKey = await createApiKey(testOrg, 'admin');
    const doomed = await populateApp(testOrg, await createApp(testOrg), testOrg.ownerId);
    const kept = await populateApp(testOrg, await createApp(testOrg), testOrg.ownerId);
    const recent = await populateApp(testOrg, await createApp(testOrg), testOrg.ownerId);
    await softDeleteApp(doomed.appId, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 1));
    await softDeleteApp(recent.appId, daysAgo(now, SOFT_DELETE_GRACE_DAYS - 1));

    await runDailyCron(now);

    expect(await appRowsLeft([doomed]), 'the expired app and its rows').toEqual(NONE_LEFT);
    expect(await appRowsLeft([kept]), 'a live app of the same org').toEqual(ONE_APP_LEFT);
    expect(await appRowsLeft([recent]), 'an app inside its grace period').toEqual(ONE_APP_LEFT);
    expect(await rowCount(organizations, eq(organizations.id, testOrg.org.id))).toBe(1);
    expect(await rowCount(apiKeys, eq(apiKeys.id, orgKey.row.id)), 'org-wide key stays').toBe(1);
    expect(await rowCount(memberships, eq(memberships.orgId, testOrg.org.id))).toBe(1);

    const audits = await purgeAudits('app.purge', doomed.appId);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      orgId: testOrg.org.id,
      actorType: 'system',
      userId: null,
      resourceType: 'app',
      resourceId: doomed.appId,
    });
    expect(await purgeAudits('app.purge', kept.appId)).toEqual([]);
    expect(await purgeAudits('app.purge', recent.appId)).toEqual([]);
  });
});

describe('daily purge of soft-deleted users', () => {
  it('removes the user and their own rows, keeps what they created without their name', async () => {
    const now = new Date();
    const testOrg = await createOrg(); // its owner is the one who inherits the org secret
    const { org, ownerId } = testOrg;
    const leaver = await createUser();
    await db()
      .insert(memberships)
      .values({ id: newId('membership'), orgId: org.id, userId: leaver, role: 'owner' });
    const sessionA = await createSession(leaver);
    const sessionB = await createSession(leaver);
    const survivorSession = await createSession(ownerId);

    // An org where the leaver is the only owner: their secret there has no heir.
    const soleOrg = await createOrg();
    await db()
      .update(memberships)
      .set({ userId: leaver })
      .where(and(eq(memberships.orgId, soleOrg.org.id), eq(memberships.userId, soleOrg.ownerId)));
    await db()
      .insert(memberships)
      .values({
        id: newId('membership'),
        orgId: soleOrg.org.id,
        userId: soleOrg.ownerId,
        role: 'admin',
      });

    const target = await createApp(testOrg);
    const key = await createApiKey({ org, ownerId: leaver }, 'developer');
    const release = await createRelease(target, { createdByUserId: leaver });
    const jobId = newId('uploadJob');
    const orgSecret = secretValues(leaver, org.id);
    const soleOrgSecret = secretValues(leaver, soleOrg.org.id);
    const personalSecret = secretValues(leaver, null);
    const ownersSecret = secretValues(ownerId, org.id);
    const invitation = invitationValues(org.id, leaver);
    const accepted = invitationValues(org.id, ownerId);
    const orgAuditId = newId('audit');
    const accountAuditId = newId('audit');
    await db().batch([
      db().insert(userSecrets).values(orgSecret),
      db().insert(userSecrets).values(soleOrgSecret),
      db().insert(userSecrets).values(personalSecret),
      db().insert(userSecrets).values(ownersSecret),
      db().insert(invitations).values(invitation),
      db()
        .insert(invitations)
        .values({ ...accepted, acceptedByUserId: leaver, acceptedAt: new Date() }),
      db()
        .insert(uploadJobs)
        .values({
          id: jobId,
          orgId: org.id,
          appId: target.app.id,
          channelId: target.channel.id,
          userId: leaver,
          pendingKey: `pending/${jobId}`,
        }),
      db().insert(auditLogs).values({
        id: orgAuditId,
        orgId: org.id,
        userId: leaver,
        action: 'release.create',
        resourceType: 'release',
        resourceId: release.id,
      }),
      db().insert(auditLogs).values({
        id: accountAuditId,
        orgId: null,
        userId: leaver,
        action: 'user.delete',
        resourceType: 'user',
        resourceId: leaver,
      }),
    ]);
    await softDeleteUser(leaver, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 1));

    await runDailyCron(now);

    expect(await rowCount(users, eq(users.id, leaver)), 'the users row').toBe(0);
    expect(
      await rowCount(sessions, inArray(sessions.id, [sessionA.sessionId, sessionB.sessionId])),
      'their sessions',
    ).toBe(0);
    expect(await rowCount(memberships, eq(memberships.userId, leaver)), 'their memberships').toBe(
      0,
    );
    expect(await rowCount(sessions, eq(sessions.id, survivorSession.sessionId))).toBe(1);
    expect(
      await rowCount(
        memberships,
        and(eq(memberships.orgId, org.id), eq(memberships.userId, ownerId)),
      ),
    ).toBe(1);

    const [keyRow] = await db().select().from(apiKeys).where(eq(apiKeys.id, key.row.id));
    expect(keyRow, 'the key they created stays').toMatchObject({ createdByUserId: null });
    const [releaseRow] = await db().select().from(releases).where(eq(releases.id, release.id));
    expect(releaseRow, 'the release they created stays').toMatchObject({ createdByUserId: null });
    const [jobRow] = await db().select().from(uploadJobs).where(eq(uploadJobs.id, jobId));
    expect(jobRow, 'their upload job stays').toMatchObject({ userId: null });
    const invitationRows = await db()
      .select()
      .from(invitations)
      .where(inArray(invitations.id, [invitation.id, accepted.id]));
    expect(invitationRows.find((row) => row.id === invitation.id)).toMatchObject({
      invitedByUserId: null,
    });
    expect(invitationRows.find((row) => row.id === accepted.id)).toMatchObject({
      invitedByUserId: ownerId,
      acceptedByUserId: null,
    });

    const secrets = await db()
      .select()
      .from(userSecrets)
      .where(
        inArray(userSecrets.id, [
          orgSecret.id,
          soleOrgSecret.id,
          personalSecret.id,
          ownersSecret.id,
        ]),
      );
    const secret = (id: string) => secrets.find((row) => row.id === id);
    expect(secret(orgSecret.id), 'the org secret passes to another owner').toMatchObject({
      userId: ownerId,
      orgId: org.id,
      encryptedValue: orgSecret.encryptedValue,
    });
    expect(secret(soleOrgSecret.id), 'no other owner: the secret goes').toBeUndefined();
    expect(secret(personalSecret.id), 'a personal secret goes').toBeUndefined();
    expect(secret(ownersSecret.id), "another owner's secret is untouched").toMatchObject({
      userId: ownerId,
    });

    const named = await db()
      .select()
      .from(auditLogs)
      .where(inArray(auditLogs.id, [orgAuditId, accountAuditId]));
    expect(named, 'audit rows that named them stay').toHaveLength(2);
    for (const row of named) expect(row.userId, `audit ${row.id}`).toBeNull();

    const audits = await purgeAudits('user.purge', leaver);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      orgId: null,
      actorType: 'system',
      userId: null,
      resourceType: 'user',
      resourceId: leaver,
    });
  });

  it('leaves a user inside the grace period untouched', async () => {
    const now = new Date();
    const testOrg = await createOrg();
    const session = await createSession(testOrg.ownerId);
    await softDeleteUser(testOrg.ownerId, daysAgo(now, SOFT_DELETE_GRACE_DAYS - 1));

    await runDailyCron(now);

    expect(await rowCount(users, eq(users.id, testOrg.ownerId))).toBe(1);
    expect(await rowCount(sessions, eq(sessions.id, session.sessionId))).toBe(1);
    expect(await rowCount(memberships, eq(memberships.userId, testOrg.ownerId))).toBe(1);
    expect(await purgeAudits('user.purge', testOrg.ownerId)).toEqual([]);
  });
});

describe('purge idempotence', () => {
  it('runs twice without failing and audits each purge once', async () => {
    const now = new Date();
    const populated = await populatedOrg();
    const { org } = populated.testOrg;
    const liveOrg = await createOrg();
    const { app } = await createApp(liveOrg);
    const user = await createUser();
    await createSession(user);
    await softDeleteOrg(org.id, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 2));
    await softDeleteApp(app.id, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 2));
    await softDeleteUser(user, daysAgo(now, SOFT_DELETE_GRACE_DAYS + 2));

    await runDailyCron(now);
    await runDailyCron(now);
    // The service itself, called again directly, finds nothing of these left and does not throw.
    await expect(createServices(env).purge.purgeExpired(now)).resolves.toBeDefined();

    expect(await rowCount(organizations, eq(organizations.id, org.id))).toBe(0);
    expect(await rowCount(apps, eq(apps.id, app.id))).toBe(0);
    expect(await rowCount(users, eq(users.id, user))).toBe(0);
    expect(await appRowsLeft(populated.appRows)).toEqual(NONE_LEFT);
    expect(await purgeAudits('organization.purge', org.id)).toHaveLength(1);
    expect(await purgeAudits('app.purge', app.id)).toHaveLength(1);
    expect(await purgeAudits('user.purge', user)).toHaveLength(1);
  });

  it('purging an id that is already gone is a no-op', async () => {
    const purge = createServices(env).purge;
    const testOrg = await createOrg();
    const { app } = await createApp(testOrg);
    await purge.purgeApp(app.id);
    await expect(purge.purgeApp(app.id)).resolves.toBeUndefined();
    expect(await purgeAudits('app.purge', app.id)).toHaveLength(1);
  });
});
