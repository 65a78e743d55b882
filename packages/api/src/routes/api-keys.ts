import {
  ApiKeyJson,
  ApiKeyPageJson,
  CreateApiKeyBody,
  CreatedApiKeyJson,
  PageQuery,
} from '@skypatch/protocol';
import type { ApiKey } from '../db/schema';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  isoOrNull,
  jsonBody,
  jsonResponse,
  toPageJson,
} from './openapi';
import { IdParam, OrgParams } from './params';

/** Field by field: a column added to api_keys later (a hash, say) cannot leak through here. */
function toApiKeyJson(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    scope: key.scope,
    appId: key.appId,
    createdByUserId: key.createdByUserId,
    lastUsedAt: isoOrNull(key.lastUsedAt),
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
    createdAt: iso(key.createdAt),
  };
}

const tags = ['api keys'];

const listKeys = defineRoute(
  { kind: 'org', permission: 'key.manage' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/api-keys',
    tags,
    operationId: 'listApiKeys',
    summary: "The org's live API keys (prefixes only)",
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: jsonResponse(ApiKeyPageJson, 'Newest first'), ...errorResponses },
  },
);

const createKey = defineRoute(
  { kind: 'org', permission: 'key.manage' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/api-keys',
    tags,
    operationId: 'createApiKey',
    summary: 'Create an API key for CI or the CLI',
    description:
      'The secret is in this response only. A key may be narrowed to one app and to read-only, ' +
      'may expire, and never has a higher role than its creator.',
    request: { params: OrgParams, body: jsonBody(CreateApiKeyBody) },
    responses: { 201: jsonResponse(CreatedApiKeyJson, 'Created'), ...errorResponses },
  },
);

const revokeKey = defineRoute(
  { kind: 'org', permission: 'key.manage' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}/api-keys/{keyId}',
    tags,
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key; it fails from the next request on',
    request: { params: OrgParams.extend({ keyId: IdParam }) },
    responses: { 200: jsonResponse(ApiKeyJson, 'The revoked key'), ...errorResponses },
  },
);

export const apiKeyRoutes = createRouter()
  .openapi(listKeys, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    const page = await c.var.services.apiKeys.list(c.var.actor, input);
    return c.json(toPageJson(page, toApiKeyJson), 200);
  })
  .openapi(createKey, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const { key, secret } = await c.var.services.apiKeys.create(c.var.actor, input);
    return c.json({ ...toApiKeyJson(key), secret }, 201);
  })
  .openapi(revokeKey, async (c) =>
    c.json(
      toApiKeyJson(await c.var.services.apiKeys.revoke(c.var.actor, c.req.valid('param'))),
      200,
    ),
  );
