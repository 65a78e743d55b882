import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  renderPermissionsDocument,
  renderPermissionTable,
} from '../../scripts/lib/permissions-doc';
import { denialReason, type OrgAccess, PERMISSIONS } from '../../src/services/permissions';

const docPath = fileURLToPath(new URL('../../../../docs/permissions.md', import.meta.url));

describe('docs/permissions.md', () => {
  it('holds the permission table the API enforces (run `npm run docs:permissions`)', () => {
    const committed = readFileSync(docPath, 'utf8');
    expect(renderPermissionsDocument(committed)).toBe(committed);
  });

  it('has one row per permission, with a mark per allowed role', () => {
    const table = renderPermissionTable().split('\n');
    expect(table).toHaveLength(Object.keys(PERMISSIONS).length + 2);
    const orgDelete = table.find((row) => row.startsWith('| `org.delete`'));
    // viewer, developer, admin blank; owner marked; not for read-only or app-scoped keys.
    expect(
      orgDelete
        ?.split('|')
        .map((cell) => cell.trim())
        .slice(3, 9),
    ).toEqual(['', '', '', '✓', '', '']);
  });
});

describe('denialReason', () => {
  const access = (overrides: Partial<OrgAccess>): OrgAccess => ({
    orgId: 'org_1',
    role: 'developer',
    readOnly: false,
    appId: null,
    userId: 'usr_1',
    ...overrides,
  });

  it.each([
    ['a developer releasing', access({}), 'release.create', null],
    ['a developer managing keys', access({}), 'key.manage', /admin role/],
    ['a viewer reading', access({ role: 'viewer' }), 'org.read', null],
    [
      'a read-only owner key writing',
      access({ role: 'owner', readOnly: true }),
      'org.update',
      /read-only/,
    ],
    ['a read-only key reading', access({ role: 'owner', readOnly: true }), 'audit.read', null],
    ['an app-scoped key releasing', access({ appId: 'app_1' }), 'release.rollback', null],
    [
      'an app-scoped admin key managing members',
      access({ role: 'admin', appId: 'app_1' }),
      'member.manage',
      /one app/,
    ],
  ] as const)('%s', (_, who, permission, expected) => {
    const reason = denialReason(who, permission);
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toMatch(expected);
  });
});
