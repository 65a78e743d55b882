import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as schema from '../src/db/schema';
import { findSchemaTables, renderDataModelDocument } from './lib/data-model';
import { TABLE_NOTES } from './lib/data-model-notes';

// Regenerates the schema-derived blocks of docs/data-model.md (npm run docs:data-model).
// `--check` writes nothing and exits 1 when the committed file is stale, for CI.

// Resolved from this file, not the working directory: npm runs it from packages/api, CI from the root.
const docPath = fileURLToPath(new URL('../../../docs/data-model.md', import.meta.url));
const isCheck = process.argv.includes('--check');

const current = readFileSync(docPath, 'utf8');
const next = renderDataModelDocument(current, findSchemaTables(schema), TABLE_NOTES);

if (next === current) {
  process.stdout.write('docs/data-model.md is up to date.\n');
} else if (isCheck) {
  process.stderr.write(
    'docs/data-model.md is stale: run `npm run docs:data-model` and commit the result.\n',
  );
  process.exitCode = 1;
} else {
  writeFileSync(docPath, next);
  process.stdout.write('docs/data-model.md regenerated.\n');
}
