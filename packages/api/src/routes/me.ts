import { z } from '@hono/zod-openapi';
import { SessionListJson, UserJson } from '@skypatch/protocol';
import { toUserJson } from './auth';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  isoOrNull,
  jsonResponse,
  noContent,
} from './openapi';
import { IdParam } from './params';

const tags = ['me'];

const getMe = defineRoute(
  { kind: 'user' },
  {
    method: 'get',
    path: '/v1/me',
    tags,
    operationId: 'getMe',
    summary: 'The signed-in user',
    responses: { 200: jsonResponse(UserJson, 'The user'), ...errorResponses },
  },
);

const deleteMe = defineRoute(
  { kind: 'user' },
  {
    method: 'delete',
    path: '/v1/me',
    tags,
    operationId: 'deleteMe',
    summary: 'Delete my account (restorable by signing in within 30 days)',
    description:
      'Revokes every session and every API key you created. Refused (409) while you are the only ' +
      'owner of an organization.',
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

const listSessions = defineRoute(
  { kind: 'user' },
  {
    method: 'get',
    path: '/v1/me/sessions',
    tags,
    operationId: 'listMySessions',
    summary: 'My live sessions: device, IP, user agent, last use and expiry',
    responses: { 200: jsonResponse(SessionListJson, 'Newest use first'), ...errorResponses },
  },
);

const revokeSession = defineRoute(
  { kind: 'user' },
  {
    method: 'delete',
    path: '/v1/me/sessions/{sessionId}',
    tags,
    operationId: 'revokeMySession',
    summary: 'Sign one of my sessions out',
    request: { params: z.object({ sessionId: IdParam }) },
    responses: { 204: noContent('Revoked'), ...errorResponses },
  },
);

export const meRoutes = createRouter()
  .openapi(getMe, async (c) =>
    c.json(toUserJson(await c.var.services.accounts.me(c.var.actor)), 200),
  )
  .openapi(deleteMe, async (c) => {
    await c.var.services.accounts.deleteMe(c.var.actor);
    return c.body(null, 204);
  })
  .openapi(listSessions, async (c) => {
    const actor = c.var.actor;
    const currentId = actor.kind === 'user' ? actor.sessionId : null;
    const sessions = await c.var.services.sessions.listMine(actor);
    const items = sessions.map((s) => ({
      id: s.id,
      current: s.id === currentId,
      deviceName: s.deviceName,
      deviceType: s.deviceType,
      osName: s.osName,
      browserName: s.browserName,
      ipAddress: s.ipAddress,
      userAgent: s.userAgent,
      country: s.country,
      city: s.city,
      createdAt: iso(s.createdAt),
      lastUsedAt: isoOrNull(s.lastUsedAt),
      expiresAt: iso(s.expiresAt),
    }));
    return c.json({ items }, 200);
  })
  .openapi(revokeSession, async (c) => {
    await c.var.services.sessions.revoke(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
