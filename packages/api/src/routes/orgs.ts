import {
  CreateOrgBody,
  OrgJson,
  OrgListJson,
  TransferOrgBody,
  UpdateOrgBody,
} from '@skypatch/protocol';
import type { OrgWithRole } from '../services/orgs';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  isoOrNull,
  jsonBody,
  jsonResponse,
  noContent,
} from './openapi';
import { OrgParams } from './params';

function toOrgJson({ org, role }: OrgWithRole) {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    plan: org.plan,
    role,
    createdAt: iso(org.createdAt),
    deletedAt: isoOrNull(org.deletedAt),
  };
}

const tags = ['organizations'];

const listOrgs = defineRoute(
  { kind: 'authenticated' },
  {
    method: 'get',
    path: '/v1/orgs',
    tags,
    operationId: 'listOrgs',
    summary: 'My organizations (an API key sees its own)',
    responses: { 200: jsonResponse(OrgListJson, 'With my role in each'), ...errorResponses },
  },
);

const createOrg = defineRoute(
  { kind: 'user' },
  {
    method: 'post',
    path: '/v1/orgs',
    tags,
    operationId: 'createOrg',
    summary: 'Create an organization, owned by me',
    request: { body: jsonBody(CreateOrgBody) },
    responses: { 201: jsonResponse(OrgJson, 'Created'), ...errorResponses },
  },
);

const getOrg = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}',
    tags,
    operationId: 'getOrg',
    summary: 'One organization',
    request: { params: OrgParams },
    responses: { 200: jsonResponse(OrgJson, 'The organization'), ...errorResponses },
  },
);

const updateOrg = defineRoute(
  { kind: 'org', permission: 'org.update' },
  {
    method: 'patch',
    path: '/v1/orgs/{orgId}',
    tags,
    operationId: 'updateOrg',
    summary: 'Rename an organization',
    request: { params: OrgParams, body: jsonBody(UpdateOrgBody) },
    responses: { 200: jsonResponse(OrgJson, 'Renamed'), ...errorResponses },
  },
);

const deleteOrg = defineRoute(
  { kind: 'org', permission: 'org.delete' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}',
    tags,
    operationId: 'deleteOrg',
    summary: 'Delete an organization (restorable for 30 days)',
    description: 'Its API keys stop working at once; an owner can restore it while signed in.',
    request: { params: OrgParams },
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

const restoreOrg = defineRoute(
  { kind: 'org', permission: 'org.delete', includeDeleted: true },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/restore',
    tags,
    operationId: 'restoreOrg',
    summary: 'Undo the deletion of an organization within the grace period',
    request: { params: OrgParams },
    responses: { 200: jsonResponse(OrgJson, 'Restored'), ...errorResponses },
  },
);

const transferOrg = defineRoute(
  { kind: 'org', permission: 'org.transfer', userOnly: true },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/transfer',
    tags,
    operationId: 'transferOrg',
    summary: 'Make another member the owner; I become an admin',
    request: { params: OrgParams, body: jsonBody(TransferOrgBody) },
    responses: { 204: noContent('Transferred'), ...errorResponses },
  },
);

const leaveOrg = defineRoute(
  { kind: 'org', permission: 'org.read', userOnly: true },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/leave',
    tags,
    operationId: 'leaveOrg',
    summary: 'Leave an organization (its last owner cannot)',
    description: 'The API keys I created in it are revoked.',
    request: { params: OrgParams },
    responses: { 204: noContent('Left'), ...errorResponses },
  },
);

export const orgRoutes = createRouter()
  .openapi(listOrgs, async (c) => {
    const orgs = await c.var.services.orgs.listMine(c.var.actor);
    return c.json({ items: orgs.map(toOrgJson) }, 200);
  })
  .openapi(createOrg, async (c) => {
    const created = await c.var.services.orgs.create(c.var.actor, c.req.valid('json'));
    return c.json(toOrgJson(created), 201);
  })
  .openapi(getOrg, async (c) =>
    c.json(toOrgJson(await c.var.services.orgs.get(c.var.actor, c.req.valid('param'))), 200),
  )
  .openapi(updateOrg, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toOrgJson(await c.var.services.orgs.update(c.var.actor, input)), 200);
  })
  .openapi(deleteOrg, async (c) => {
    await c.var.services.orgs.remove(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  })
  .openapi(restoreOrg, async (c) =>
    c.json(toOrgJson(await c.var.services.orgs.restore(c.var.actor, c.req.valid('param'))), 200),
  )
  .openapi(transferOrg, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    await c.var.services.orgs.transfer(c.var.actor, input);
    return c.body(null, 204);
  })
  .openapi(leaveOrg, async (c) => {
    await c.var.services.members.leave(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
