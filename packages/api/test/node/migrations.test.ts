import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeRebuildsSafe, splitStatements } from '../../scripts/lib/migration-safety';
import { dependentsFromSchema } from '../../scripts/lib/schema-graph';
import * as schema from '../../src/db/schema';

const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const migrationsDir = join(apiDir, 'migrations');
const drizzleKit = join(apiDir, '..', '..', 'node_modules', '.bin', 'drizzle-kit');
const sqlFiles = () =>
  readdirSync(migrationsDir)
    .filter((file) => file.endsWith('.sql'))
    .sort();

describe('migrations', () => {
  it('match the schema: drizzle-kit finds nothing to generate', () => {
    // drizzle-kit reads --out as relative to the working directory.
    const scratch = mkdtempSync(join(tmpdir(), 'skypatch-drift-'));
    try {
      cpSync(migrationsDir, scratch, { recursive: true });
      const result = spawnSync(
        drizzleKit,
        [
          'generate',
          '--dialect=sqlite',
          '--schema=./src/db/schema/index.ts',
          `--out=${relative(apiDir, scratch)}`,
        ],
        { cwd: apiDir, encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
      const generated = readdirSync(scratch)
        .filter((file) => file.endsWith('.sql'))
        .sort();
      expect(generated, 'schema changed without a migration: run `npm run db:generate`').toEqual(
        sqlFiles(),
      );
      expect(`${result.stdout}${result.stderr}`).toContain('No schema changes');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  it('are committed in their D1-safe form (generated through `npm run db:generate`)', () => {
    const graph = dependentsFromSchema(schema);
    for (const file of sqlFiles()) {
      const sql = readFileSync(join(migrationsDir, file), 'utf8');
      expect(sql, `${file} uses PRAGMA foreign_keys, which D1 ignores`).not.toMatch(
        /PRAGMA foreign_keys\s*=/i,
      );
      expect(
        splitStatements(makeRebuildsSafe(sql, graph)),
        `${file} has an unguarded table rebuild`,
      ).toEqual(splitStatements(sql));
    }
  });

  it('the schema graph knows every cascade of seed 003 and its additions', () => {
    const graph = dependentsFromSchema(schema);
    const children = (parent: string) =>
      (graph.get(parent) ?? []).map((d) => `${d.child}.${d.column} ${d.onDelete}`).sort();
    expect(children('pages')).toEqual([
      'component_groups.page_id CASCADE',
      'component_status_log.page_id CASCADE',
      'components.page_id CASCADE',
      'incidents.page_id CASCADE',
      'subscribers.page_id CASCADE',
    ]);
    expect(children('component_groups')).toEqual(['components.group_id SET NULL']);
    expect(children('components')).toEqual([
      'component_status_log.component_id CASCADE',
      'incident_components.component_id CASCADE',
    ]);
    expect(children('subscribers')).toEqual(['webhook_deliveries.subscriber_id CASCADE']);
  });
});
