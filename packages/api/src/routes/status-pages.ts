import type { RouteHandler } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { CreateStatusPageBody, StatusPageJson, UpdateStatusPageBody } from '@skypatch/protocol';
import type { Context } from 'hono';
import type { Page } from '../db/schema';
import type { AppEnv } from '../env';
import { defineRoute, jsonResponse } from './openapi';
import { OrgParams } from './params';
import { toStatusPageJson } from './status-json';
import {
  createStatusRouter,
  jsonAlias,
  PageParams,
  statuspageBody,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// Status pages (spec §4.2). Creating and listing per org are ours; Statuspage has no create.

const tags = ['status pages'];
const PageList = z.array(StatusPageJson);

const listReadablePages = defineRoute(
  { kind: 'authenticated' },
  {
    method: 'get',
    path: '/v1/pages',
    tags,
    operationId: 'listStatusPages',
    summary: 'Every status page of every org the caller may read (Statuspage `GET /pages`)',
    responses: { 200: jsonResponse(PageList, 'Pages, oldest first'), ...statuspageErrors },
  },
);

const listOrgPages = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/pages',
    tags,
    operationId: 'listOrgStatusPages',
    summary: "An org's status pages",
    request: { params: OrgParams },
    responses: { 200: jsonResponse(PageList, 'Pages, oldest first'), ...statuspageErrors },
  },
);

const createPage = defineRoute(
  { kind: 'org', permission: 'statuspage.manage' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/pages',
    tags,
    operationId: 'createStatusPage',
    summary: 'Create a status page (a subdomain taken by any page is a 409)',
    request: { params: OrgParams, body: statuspageBody(CreateStatusPageBody, '`{ page: {…} }`') },
    responses: { 201: jsonResponse(StatusPageJson, 'The new page'), ...statuspageErrors },
  },
);

const getPage = defineRoute(
  { kind: 'page', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/pages/{page_id}',
    tags,
    operationId: 'getStatusPage',
    summary: 'One status page, with its stored indicator',
    request: { params: PageParams },
    responses: { 200: jsonResponse(StatusPageJson, 'The page'), ...statuspageErrors },
  },
);

function updatePageRoute(method: 'patch' | 'put') {
  return defineRoute(
    { kind: 'page', permission: 'statuspage.manage' },
    {
      method,
      path: '/v1/pages/{page_id}',
      tags,
      operationId: method === 'patch' ? 'updateStatusPage' : 'replaceStatusPage',
      summary: 'Change a page: only the fields sent',
      request: {
        params: PageParams,
        body: statuspageBody(UpdateStatusPageBody, '`{ page: {…} }`'),
      },
      responses: { 200: jsonResponse(StatusPageJson, 'The page'), ...statuspageErrors },
    },
  );
}
const patchPage = updatePageRoute('patch');
const putPage = updatePageRoute('put');

const verifyPageDomain = defineRoute(
  { kind: 'page', permission: 'statuspage.manage' },
  {
    method: 'post',
    path: '/v1/pages/{page_id}/domain/verify',
    tags,
    operationId: 'verifyStatusPageDomain',
    summary: 'Check the pending custom domain’s DNS TXT record; on a match the page answers on it',
    description:
      'Looks up `domain_verification.name` (TXT) over DNS-over-HTTPS. When it holds ' +
      '`domain_verification.value`, `domain_pending` becomes `domain`. No pending domain or a ' +
      'reserved one: 400. Record missing or wrong, or the domain held by another page: 409.',
    request: { params: PageParams },
    responses: { 200: jsonResponse(StatusPageJson, 'The page'), ...statuspageErrors },
  },
);

/** The management JSON of a page, with the TXT record of its pending domain if it has one. */
async function pageJson(c: Context<AppEnv>, page: Page) {
  return toStatusPageJson(page, await c.var.services.statusPages.domainVerification(page));
}
const pageListJson = (c: Context<AppEnv>, pages: Page[]) =>
  Promise.all(pages.map((page) => pageJson(c, page)));

const listReadable: RouteHandler<typeof listReadablePages, AppEnv> = async (c) =>
  c.json(await pageListJson(c, await c.var.services.statusPages.listReadable(c.var.actor)), 200);

const listForOrg: RouteHandler<typeof listOrgPages, AppEnv> = async (c) => {
  const { orgId } = c.req.valid('param');
  const pages = await c.var.services.statusPages.listForOrg(c.var.actor, orgId);
  return c.json(await pageListJson(c, pages), 200);
};

const create: RouteHandler<typeof createPage, AppEnv> = async (c) => {
  const { orgId } = c.req.valid('param');
  const page = await c.var.services.statusPages.create(c.var.actor, orgId, c.req.valid('json'));
  return c.json(await pageJson(c, page), 201);
};

const update: RouteHandler<typeof patchPage, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const page = await c.var.services.statusPages.update(c.var.actor, page_id, c.req.valid('json'));
  return c.json(await pageJson(c, page), 200);
};

export const statusPageRoutes = createStatusRouter()
  .openapi(listReadablePages, listReadable)
  .openapi(jsonAlias(listReadablePages), listReadable)
  .openapi(listOrgPages, listForOrg)
  .openapi(createPage, create)
  .openapi(getPage, async (c) => {
    const { page_id } = withoutJsonSuffix(c.req.valid('param'));
    return c.json(
      await pageJson(c, await c.var.services.statusPages.get(c.var.actor, page_id)),
      200,
    );
  })
  .openapi(patchPage, update)
  .openapi(putPage, update)
  .openapi(verifyPageDomain, async (c) => {
    const { page_id } = withoutJsonSuffix(c.req.valid('param'));
    const page = await c.var.services.statusPages.verifyDomain(c.var.actor, page_id);
    return c.json(await pageJson(c, page), 200);
  });
