import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  checkForUpdate,
  insertPatch,
  listPatchesForApp,
  type PatchTarget,
  patchesOfTarget,
  rollbackPatch,
  setPatchActive,
} from '../src/db/queries/patches';
import { type NewPatch, patchChannels, patches } from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { db } from './factories';

// Seed 001's four queries as typed functions (src/db/queries/patches.ts), on the real local D1.

const target = (appId: string): PatchTarget => ({
  appId,
  releaseVersion: '1.0.0+1',
  platform: 'android',
  arch: 'aarch64',
});

function row(appId: string, overrides: Partial<NewPatch> = {}): NewPatch {
  return {
    ...target(appId),
    patchNumber: 1,
    downloadUrl: `patches/${appId}/1`,
    hash: 'a'.repeat(64),
    createdAt: new Date(1_704_067_200_000),
    ...overrides,
  };
}

/** Inserts through the module's own insert, one statement per row, in one batch. */
async function seed(rows: NewPatch[]) {
  const [first, ...rest] = rows.map((r) => insertPatch(db(), r));
  if (!first) throw new Error('nothing to insert');
  return db().batch([first, ...rest]);
}

/** The plan SQLite chooses for a query builder, one line per step. */
async function planOf(query: { toSQL(): { sql: string; params: unknown[] } }) {
  const { sql, params } = query.toSQL();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

const normalized = (sql: string) => sql.replaceAll('"', '').replace(/\s+/g, ' ').toLowerCase();

describe('seed 001 queries', () => {
  it('insertPatch stores a row with the seed defaults and returns it', async () => {
    const appId = newId('app');
    const [[inserted]] = await seed([row(appId)]);
    expect(inserted).toMatchObject({ appId, patchNumber: 1, active: 1, hashSignature: null });
    const stored = await db().select().from(patches).where(eq(patches.appId, appId));
    expect(stored).toEqual([inserted]);
  });

  it('checkForUpdate returns the newest active patch of exactly the target', async () => {
    const appId = newId('app');
    await seed([
      row(appId, { patchNumber: 1, hash: '1'.repeat(64) }),
      row(appId, { patchNumber: 2, hash: '2'.repeat(64), hashSignature: 'sig' }),
      row(appId, { patchNumber: 3, hash: '3'.repeat(64), active: 0 }),
      row(appId, { patchNumber: 4, arch: 'x86_64' }),
      row(appId, { patchNumber: 5, platform: 'ios' }),
      row(appId, { patchNumber: 6, releaseVersion: '2.0.0+1' }),
    ]);
    expect(await checkForUpdate(db(), target(appId))).toEqual([
      {
        patchNumber: 2,
        downloadUrl: `patches/${appId}/1`,
        hash: '2'.repeat(64),
        hashSignature: 'sig',
      },
    ]);
    expect(await checkForUpdate(db(), { ...target(appId), appId: 'unknown' })).toEqual([]);
  });

  it("checkForUpdate is the seed's statement and runs on idx_patches_lookup", async () => {
    const appId = newId('app');
    await seed(Array.from({ length: 20 }, (_, i) => row(appId, { patchNumber: i + 1 })));
    const query = checkForUpdate(db(), target(appId));
    expect(normalized(query.toSQL().sql)).toBe(
      'select patch_number, download_url, hash, hash_signature from patches ' +
        'where (patches.app_id = ? and patches.release_version = ? and patches.platform = ? ' +
        'and patches.arch = ? and patches.active = ?) order by patches.patch_number desc limit ?',
    );
    const plan = await planOf(query);
    expect(plan.join('\n')).toMatch(/SEARCH patches USING (COVERING )?INDEX idx_patches_lookup/);
    // The index's order serves ORDER BY: no sort step.
    expect(plan.filter((step) => /TEMP B-TREE/.test(step))).toEqual([]);
  });

  it('rollbackPatch deactivates one platform/arch row of one number, nothing else', async () => {
    const appId = newId('app');
    await seed([
      row(appId, { patchNumber: 1 }),
      row(appId, { patchNumber: 2 }),
      row(appId, { patchNumber: 2, arch: 'arm' }),
    ]);
    const result = await rollbackPatch(db(), { ...target(appId), patchNumber: 2 });
    expect(result.meta.changes).toBe(1);
    const rows = await db().select().from(patches).where(eq(patches.appId, appId));
    expect(rows.map((r) => `${r.patchNumber}/${r.arch}:${r.active}`).sort()).toEqual([
      '1/aarch64:1',
      '2/aarch64:0',
      '2/arm:1',
    ]);
    expect((await checkForUpdate(db(), target(appId)))[0]?.patchNumber).toBe(1);

    expect(normalized(rollbackPatch(db(), { ...target(appId), patchNumber: 2 }).toSQL().sql)).toBe(
      'update patches set active = ? where (patches.app_id = ? and patches.release_version = ? ' +
        'and patches.platform = ? and patches.arch = ? and patches.patch_number = ?)',
    );
    await setPatchActive(db(), { ...target(appId), patchNumber: 2 }, true);
    expect((await checkForUpdate(db(), target(appId)))[0]?.patchNumber).toBe(2);
  });

  it('listPatchesForApp lists every row of the app, newest first', async () => {
    const appId = newId('app');
    await seed([
      row(appId, { patchNumber: 1, createdAt: new Date(1_000) }),
      row(appId, { patchNumber: 2, createdAt: new Date(3_000), active: 0 }),
      row(appId, { patchNumber: 1, platform: 'ios', createdAt: new Date(2_000) }),
      row(newId('app'), { createdAt: new Date(4_000) }),
    ]);
    const list = await listPatchesForApp(db(), appId);
    expect(list).toEqual([
      {
        releaseVersion: '1.0.0+1',
        platform: 'android',
        arch: 'aarch64',
        patchNumber: 2,
        active: 0,
        createdAt: new Date(3_000),
      },
      expect.objectContaining({ platform: 'ios', patchNumber: 1, createdAt: new Date(2_000) }),
      expect.objectContaining({ platform: 'android', patchNumber: 1, createdAt: new Date(1_000) }),
    ]);
    expect(normalized(listPatchesForApp(db(), appId).toSQL().sql)).toBe(
      'select release_version, platform, arch, patch_number, active, created_at from patches ' +
        'where patches.app_id = ? order by patches.created_at desc',
    );
  });

  it('patchesOfTarget reads every row of the target with its track in one indexed statement', async () => {
    const appId = newId('app');
    await seed([
      row(appId, { patchNumber: 1 }),
      row(appId, { patchNumber: 2, active: 0 }),
      row(appId, { patchNumber: 3 }),
      row(appId, { patchNumber: 4, arch: 'arm' }),
    ]);
    await db()
      .insert(patchChannels)
      .values([
        { appId, releaseVersion: '1.0.0+1', patchNumber: 1, channel: 'stable' },
        { appId, releaseVersion: '1.0.0+1', patchNumber: 3, channel: 'beta' },
      ]);
    const rows = await patchesOfTarget(db(), target(appId));
    expect(rows.map((r) => `${r.patchNumber}:${r.active}:${r.channel}`)).toEqual([
      '3:1:beta',
      '2:0:stable', // no patch_channels row: stable
      '1:1:stable',
    ]);
    const plan = (await planOf(patchesOfTarget(db(), target(appId)))).join('\n');
    // Either index on the target's four columns; SQLite takes the seed's UNIQUE one, whose
    // patch_number order serves ORDER BY without a sort.
    expect(plan).toMatch(
      /SEARCH patches USING (COVERING )?INDEX (idx_patches_lookup|patches_unique) \(app_id=\? AND release_version=\? AND platform=\? AND arch=\?/,
    );
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(plan).toMatch(/SEARCH patch_channels USING INDEX sqlite_autoindex_patch_channels_1/);
    expect(plan).not.toMatch(/SCAN patch(es|_channels)\b/);
  });
});
