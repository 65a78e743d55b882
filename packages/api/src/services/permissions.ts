import { ROLES, type Role } from '../db/schema';

/**
 * The permission table: what each role may do inside an organization. docs/permissions.md
 * renders this very object (a test fails when the two drift), and every org route names one
 * of these permissions, so who may call what is written down in exactly one place.
 *
 * - `minimumRole`: roles rank viewer < developer < admin < owner.
 * - `write`: a read-only API key is refused.
 * - `appScoped`: an API key narrowed to one app may use it (only on that app); org-wide
 *   management stays out of reach of such a key.
 */
export const PERMISSIONS = {
  'org.read': {
    minimumRole: 'viewer',
    write: false,
    appScoped: true,
    what: 'See the org, its apps, channels and releases',
  },
  'org.update': { minimumRole: 'admin', write: true, appScoped: false, what: 'Rename the org' },
  'org.delete': {
    minimumRole: 'owner',
    write: true,
    appScoped: false,
    what: 'Delete or restore the org',
  },
  'org.transfer': {
    minimumRole: 'owner',
    write: true,
    appScoped: false,
    what: 'Transfer ownership',
  },
  'member.read': { minimumRole: 'viewer', write: false, appScoped: false, what: 'List members' },
  'member.manage': {
    minimumRole: 'admin',
    write: true,
    appScoped: false,
    what: 'Invite members, change roles, remove members',
  },
  'key.manage': {
    minimumRole: 'admin',
    write: true,
    appScoped: false,
    what: 'Create, list and revoke API keys',
  },
  'secret.read': {
    minimumRole: 'developer',
    write: false,
    appScoped: false,
    what: 'List secrets (previews only)',
  },
  'secret.manage': {
    minimumRole: 'admin',
    write: true,
    appScoped: false,
    what: 'Store and delete secrets (signing keys)',
  },
  'audit.read': {
    minimumRole: 'admin',
    write: false,
    appScoped: false,
    what: 'Read the audit log',
  },
  'app.manage': {
    minimumRole: 'admin',
    write: true,
    appScoped: false,
    what: 'Create, configure and delete apps and channels',
  },
  'release.create': {
    minimumRole: 'developer',
    write: true,
    appScoped: true,
    what: 'Upload a release',
  },
  'release.rollout': {
    minimumRole: 'developer',
    write: true,
    appScoped: true,
    what: 'Change a rollout, promote a release',
  },
  'release.rollback': {
    minimumRole: 'developer',
    write: true,
    appScoped: true,
    what: 'Roll back or disable a release',
  },
  'statuspage.manage': {
    minimumRole: 'admin',
    write: true,
    appScoped: false,
    what: 'Create and configure status pages and components',
  },
  'incident.manage': {
    minimumRole: 'developer',
    write: true,
    appScoped: false,
    what: 'Open and update incidents',
  },
} as const satisfies Record<string, PermissionRule>;

export interface PermissionRule {
  minimumRole: Role;
  write: boolean;
  appScoped: boolean;
  what: string;
}

export type Permission = keyof typeof PERMISSIONS;

const ROLE_RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

/** What one caller holds inside one org, once authenticated and found to be a member. */
export interface OrgAccess {
  orgId: string;
  role: Role;
  readOnly: boolean;
  /** Set for an API key narrowed to one app. */
  appId: string | null;
  /** The person behind the call: the signed-in user, or the user who created the key. */
  userId: string | null;
}

/** Why `access` may not use `permission`, or null when it may. Pure, so it is table-tested. */
export function denialReason(access: OrgAccess, permission: Permission): string | null {
  const rule: PermissionRule = PERMISSIONS[permission];
  if (!roleAtLeast(access.role, rule.minimumRole)) {
    return `Requires the ${rule.minimumRole} role; this caller is ${access.role}`;
  }
  if (rule.write && access.readOnly) return 'This API key is read-only';
  if (access.appId && !rule.appScoped) return 'This API key is limited to one app';
  return null;
}

export { ROLES };
