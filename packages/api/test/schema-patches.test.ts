import { env } from 'cloudflare:workers';
import { and, desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type NewPatch, type PatchArch, patches } from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { expectRejected } from './expect-rejected';
import { db } from './factories';

// Seed 001 (04 - DATABASE SCHEMA): the Flutter patches table, its constraints, and the
// check-for-update query with the plan it must run on.

/** A unique app id per test: storage is shared between the tests of this file. */
const uniqueAppId = () => `com.example.${newId('app').toLowerCase()}`;

function patch(appId: string, overrides: Partial<NewPatch> = {}): NewPatch {
  return {
    appId,
    releaseVersion: '1.0.0+1',
    patchNumber: 1,
    platform: 'android',
    arch: 'aarch64',
    downloadUrl: `https://pub-test.r2.dev/${appId}/patch`,
    hash: 'abc123def456',
    createdAt: new Date(1_704_067_200_000),
    ...overrides,
  };
}

/** The seed's check-for-update query, written with Drizzle. */
function latestPatchQuery(key: {
  appId: string;
  releaseVersion: string;
  platform: 'android' | 'ios';
  arch: PatchArch;
}) {
  return db()
    .select({
      patchNumber: patches.patchNumber,
      downloadUrl: patches.downloadUrl,
      hash: patches.hash,
      hashSignature: patches.hashSignature,
    })
    .from(patches)
    .where(
      and(
        eq(patches.appId, key.appId),
        eq(patches.releaseVersion, key.releaseVersion),
        eq(patches.platform, key.platform),
        eq(patches.arch, key.arch),
        eq(patches.active, 1),
      ),
    )
    .orderBy(desc(patches.patchNumber))
    .limit(1);
}

/** The seed's rollback statement, verbatim but for bound values. */
const ROLLBACK_SQL = `UPDATE patches
SET active = 0
WHERE app_id = ?
  AND release_version = ?
  AND platform = ?
  AND arch = ?
  AND patch_number = ?`;

describe('patches table', () => {
  it('stores a patch with its defaults (active = 1, no signature)', async () => {
    const appId = uniqueAppId();
    const [row] = await db().insert(patches).values(patch(appId)).returning();
    expect(row).toMatchObject({
      appId,
      releaseVersion: '1.0.0+1',
      patchNumber: 1,
      platform: 'android',
      arch: 'aarch64',
      hash: 'abc123def456',
      hashSignature: null,
      active: 1,
    });
    expect(row?.id).toEqual(expect.any(Number));
    expect(row?.createdAt.getTime()).toBe(1_704_067_200_000);
  });

  it("accepts the seed's own INSERT statement", async () => {
    const appId = uniqueAppId();
    await env.DB.prepare(
      `INSERT INTO patches (
        app_id, release_version, patch_number, platform, arch,
        download_url, hash, hash_signature, created_at
      ) VALUES (?, '1.0.0+1', 1, 'android', 'aarch64', 'https://pub-xxx.r2.dev/...', 'abc123def456...', NULL, 1704067200000)`,
    )
      .bind(appId)
      .run();
    const [row] = await db().select().from(patches).where(eq(patches.appId, appId));
    expect(row).toMatchObject({ active: 1, hashSignature: null, hash: 'abc123def456...' });
  });

  it('rejects a duplicate (app, release, platform, arch, patch number) but not another arch or platform', async () => {
    const appId = uniqueAppId();
    await db().insert(patches).values(patch(appId));
    await expectRejected(
      db()
        .insert(patches)
        .values(patch(appId, { hash: 'other' })),
      /UNIQUE constraint failed: patches\.app_id, patches\.release_version, patches\.platform, patches\.arch, patches\.patch_number/,
    );

    // The seed's allowed examples: another arch, another platform.
    await db()
      .insert(patches)
      .values(patch(appId, { arch: 'x86_64' }));
    await db()
      .insert(patches)
      .values(patch(appId, { platform: 'ios' }));
    const rows = await db().select().from(patches).where(eq(patches.appId, appId));
    expect(rows.map((row) => `${row.platform}/${row.arch}`).sort()).toEqual([
      'android/aarch64',
      'android/x86_64',
      'ios/aarch64',
    ]);
  });

  it('rejects an arch or a platform outside the CHECK lists', async () => {
    const appId = uniqueAppId();
    const insert = (platform: string, arch: string) =>
      env.DB.prepare(
        `INSERT INTO patches (app_id, release_version, patch_number, platform, arch, download_url, hash, created_at)
         VALUES (?, '1.0.0+1', 1, ?, ?, 'https://example.test/p', 'h', 0)`,
      )
        .bind(appId, platform, arch)
        .run();

    await expectRejected(insert('android', 'mips'), /CHECK constraint failed: patches_arch_check/);
    await expectRejected(
      insert('windows', 'x86_64'),
      /CHECK constraint failed: patches_platform_check/,
    );
    expect(await db().select().from(patches).where(eq(patches.appId, appId))).toEqual([]);

    // Every listed value passes the same statement.
    for (const arch of ['aarch64', 'x86_64', 'x86', 'arm']) {
      await insert('android', arch);
    }
    expect(await db().select().from(patches).where(eq(patches.appId, appId))).toHaveLength(4);
  });
});

describe('check for update', () => {
  it('returns the newest active patch and skips one that was rolled back', async () => {
    const appId = uniqueAppId();
    const key = {
      appId,
      releaseVersion: '1.0.0+1',
      platform: 'android',
      arch: 'aarch64',
    } as const;
    await db()
      .insert(patches)
      .values([
        patch(appId, { patchNumber: 1, hash: 'hash-1' }),
        patch(appId, { patchNumber: 2, hash: 'hash-2', hashSignature: 'sig-2' }),
        patch(appId, { patchNumber: 3, hash: 'hash-3' }),
        // Same app and release, other keys: never returned for the key above.
        patch(appId, { patchNumber: 9, arch: 'x86_64', hash: 'other-arch' }),
        patch(appId, { patchNumber: 9, platform: 'ios', hash: 'other-platform' }),
        patch(appId, { patchNumber: 9, releaseVersion: '2.0.0+1', hash: 'other-release' }),
      ]);

    expect(await latestPatchQuery(key)).toEqual([
      {
        patchNumber: 3,
        downloadUrl: `https://pub-test.r2.dev/${appId}/patch`,
        hash: 'hash-3',
        hashSignature: null,
      },
    ]);

    const rollback = await env.DB.prepare(ROLLBACK_SQL)
      .bind(key.appId, key.releaseVersion, key.platform, key.arch, 3)
      .run();
    expect(rollback.meta.changes).toBe(1);
    expect(await latestPatchQuery(key)).toEqual([
      expect.objectContaining({ patchNumber: 2, hash: 'hash-2', hashSignature: 'sig-2' }),
    ]);

    await env.DB.prepare(ROLLBACK_SQL)
      .bind(key.appId, key.releaseVersion, key.platform, key.arch, 2)
      .run();
    await env.DB.prepare(ROLLBACK_SQL)
      .bind(key.appId, key.releaseVersion, key.platform, key.arch, 1)
      .run();
    expect(await latestPatchQuery(key)).toEqual([]);
  });

  it('is the seed query: same SQL shape and parameters', () => {
    const { sql, params } = latestPatchQuery({
      appId: 'com.example.app',
      releaseVersion: '1.0.0+1',
      platform: 'android',
      arch: 'aarch64',
    }).toSQL();
    const normalized = sql.replaceAll('"', '').replace(/\s+/g, ' ').toLowerCase();
    expect(normalized).toBe(
      'select patch_number, download_url, hash, hash_signature from patches ' +
        'where (patches.app_id = ? and patches.release_version = ? and patches.platform = ? ' +
        'and patches.arch = ? and patches.active = ?) order by patches.patch_number desc limit ?',
    );
    expect(params).toEqual(['com.example.app', '1.0.0+1', 'android', 'aarch64', 1, 1]);
  });

  it('runs on idx_patches_lookup without a temporary sort', async () => {
    const appId = uniqueAppId();
    // Rows in the table, so the plan is not the one of an empty table. One insert per row:
    // D1 binds at most 100 parameters per statement.
    const [first, ...rest] = Array.from({ length: 20 }, (_, i) =>
      db()
        .insert(patches)
        .values(patch(appId, { patchNumber: i + 1, arch: i % 2 === 0 ? 'aarch64' : 'arm' })),
    );
    if (!first) throw new Error('no rows to insert');
    await db().batch([first, ...rest]);
    const { sql, params } = latestPatchQuery({
      appId,
      releaseVersion: '1.0.0+1',
      platform: 'android',
      arch: 'aarch64',
    }).toSQL();

    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    const details = results.map((row) => row.detail);
    expect(details.length, 'EXPLAIN QUERY PLAN returned no rows').toBeGreaterThan(0);
    expect(details.join('\n')).toMatch(/USING (COVERING )?INDEX idx_patches_lookup\b/);
    expect(details.filter((detail) => /TEMP B-TREE/i.test(detail))).toEqual([]);
    expect(details.filter((detail) => /^SCAN patches$/.test(detail))).toEqual([]);
  });
});
