// `npm run db:generate [-- --name <name>]`: drizzle-kit generate, then make every new migration
// safe for D1 (see lib/migration-safety.ts). Review the result before committing it.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from '../src/db/schema';
import { makeRebuildsSafe } from './lib/migration-safety';
import { dependentsFromSchema } from './lib/schema-graph';

const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const migrationsDir = join(apiDir, 'migrations');
const listSql = () => new Set(readdirSync(migrationsDir).filter((file) => file.endsWith('.sql')));

const before = listSql();
const result = spawnSync('drizzle-kit', ['generate', ...process.argv.slice(2)], {
  cwd: apiDir,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

const graph = dependentsFromSchema(schema);
for (const file of [...listSql()].filter((name) => !before.has(name))) {
  const path = join(migrationsDir, file);
  const original = readFileSync(path, 'utf8');
  const safe = makeRebuildsSafe(original, graph);
  if (safe !== original) {
    writeFileSync(path, safe);
    console.log(
      `${file}: rewrote table rebuilds to keep dependent rows (D1 ignores foreign_keys=OFF).`,
    );
  }
}
