import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import type { Permission } from '../services/permissions';
import { requireUser } from '../services/sessions';
import { requestOrigin } from './request';

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  // Statuspage clients send `OAuth <key>`; everyone else `Bearer <key>`.
  const match = header.match(/^(?:Bearer|OAuth)\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/**
 * Default-deny: everything mounted behind this middleware needs a valid credential, an API key
 * or a session access token. Public routes are listed in app.ts (and declare `security: []`).
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token =
    bearerToken(c.req.header('authorization')) ??
    statuspageQueryKey(c.req.path, c.req.query('api_key'));
  if (!token) throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <token>');
  const { ip, userAgent } = requestOrigin(c);
  const result = await c.var.services.auth.authenticate(token, { ip, userAgent });
  if (!result) throw new AppError('UNAUTHORIZED', 'Invalid, revoked or expired credentials');
  if (result.touch) c.executionCtx.waitUntil(result.touch);
  c.set('actor', result.actor);
  await next();
});

/**
 * Who may call a route, declared next to the route (routes/openapi.ts `defineRoute`), shown in
 * the OpenAPI document as `x-skypatch-policy`, and walked by the authorization matrix test.
 */
export type RoutePolicy =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'user' }
  | { kind: 'org'; permission: Permission; includeDeleted?: boolean; userOnly?: boolean }
  /** Status-page routes: the org is the one owning `{page_id}`. */
  | { kind: 'page'; permission: Permission };

export function describePolicy(policy: RoutePolicy): string {
  if (policy.kind === 'page') return `page:${policy.permission}`;
  if (policy.kind !== 'org') return policy.kind;
  const flags = [policy.includeDeleted && 'include-deleted', policy.userOnly && 'user'];
  return ['org', policy.permission, ...flags.filter(Boolean)].join(':');
}

/** Checks the route's policy before its input is validated: outsiders learn nothing from 400s. */
export function enforcePolicy(policy: RoutePolicy) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (policy.kind === 'user' || (policy.kind === 'org' && policy.userOnly)) {
      requireUser(c.var.actor);
    }
    if (policy.kind === 'org') {
      const orgId = c.req.param('orgId');
      if (!orgId) throw new Error(`Route ${c.req.path} has an org policy but no {orgId}`);
      await c.var.services.authorization.check(c.var.actor, orgId, policy.permission, {
        includeDeleted: policy.includeDeleted ?? false,
      });
    }
    if (policy.kind === 'page') {
      const pageId = c.req.param('page_id')?.replace(/\.json$/, '');
      if (!pageId) throw new Error(`Route ${c.req.path} has a page policy but no {page_id}`);
      await c.var.services.statusPages.authorizePage(c.var.actor, pageId, policy.permission);
    }
    await next();
  });
}

/**
 * Statuspage clients may pass their key as `?api_key=` (OAS). Accepted on /v1/pages only, where
 * those clients call: elsewhere a key in a URL would end up in logs and browser history.
 */
function statuspageQueryKey(path: string, key: string | undefined): string | null {
  return key && path.startsWith('/v1/pages') ? key : null;
}
