import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPermissionsDocument } from './lib/permissions-doc';

// Regenerates the permission table of docs/permissions.md (npm run docs:permissions).
const docPath = fileURLToPath(new URL('../../../docs/permissions.md', import.meta.url));
const current = readFileSync(docPath, 'utf8');
const next = renderPermissionsDocument(current);
if (next === current) {
  process.stdout.write('docs/permissions.md is up to date.\n');
} else {
  writeFileSync(docPath, next);
  process.stdout.write('docs/permissions.md regenerated.\n');
}
