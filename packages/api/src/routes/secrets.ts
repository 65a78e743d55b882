import { CreateSecretBody, PageQuery, SecretJson, SecretPageJson } from '@skypatch/protocol';
import type { SecretSummary } from '../services/secrets';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  isoOrNull,
  jsonBody,
  jsonResponse,
  noContent,
  toPageJson,
} from './openapi';
import { IdParam, OrgParams } from './params';

function toSecretJson(secret: SecretSummary) {
  return {
    id: secret.id,
    provider: secret.provider,
    secretType: secret.secretType,
    displayName: secret.displayName,
    keyPreview: secret.keyPreview,
    createdByUserId: secret.userId,
    lastUsed: isoOrNull(secret.lastUsed),
    usageCount: secret.usageCount ?? 0,
    expiresAt: isoOrNull(secret.expiresAt),
    createdAt: iso(secret.createdAt),
  };
}

const tags = ['secrets'];

const listSecrets = defineRoute(
  { kind: 'org', permission: 'secret.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/secrets',
    tags,
    operationId: 'listSecrets',
    summary: "The org's secrets, as previews",
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: jsonResponse(SecretPageJson, 'Newest first'), ...errorResponses },
  },
);

const createSecret = defineRoute(
  { kind: 'org', permission: 'secret.manage' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/secrets',
    tags,
    operationId: 'createSecret',
    summary: 'Store a secret (a code-signing private key, say), encrypted with AES-GCM',
    description:
      'The value is never returned by any route; the Worker decrypts it to sign releases.',
    request: { params: OrgParams, body: jsonBody(CreateSecretBody) },
    responses: {
      201: jsonResponse(SecretJson, 'Stored; only a preview comes back'),
      ...errorResponses,
    },
  },
);

const deleteSecret = defineRoute(
  { kind: 'org', permission: 'secret.manage' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}/secrets/{secretId}',
    tags,
    operationId: 'deleteSecret',
    summary: 'Delete a secret for good',
    request: { params: OrgParams.extend({ secretId: IdParam }) },
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

export const secretRoutes = createRouter()
  .openapi(listSecrets, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    const page = await c.var.services.secrets.list(c.var.actor, input);
    return c.json(toPageJson(page, toSecretJson), 200);
  })
  .openapi(createSecret, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toSecretJson(await c.var.services.secrets.create(c.var.actor, input)), 201);
  })
  .openapi(deleteSecret, async (c) => {
    await c.var.services.secrets.remove(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
