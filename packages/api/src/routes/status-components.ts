import type { RouteHandler } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import {
  ComponentGroupJson,
  ComponentListQuery,
  CreateComponentBody,
  CreateComponentGroupBody,
  StatusComponentJson,
  UpdateComponentBody,
  UpdateComponentGroupBody,
} from '@skypatch/protocol';
import type { AppEnv } from '../env';
import { defineRoute, jsonResponse, noContent } from './openapi';
import { toComponentGroupJson, toStatusComponentJson } from './status-json';
import {
  ComponentParams,
  createStatusRouter,
  GroupParams,
  jsonAlias,
  PageParams,
  statuspageBody,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// Components and component groups of a status page (spec §4.2, Statuspage v1 paths).

const tags = ['status pages'];
const components = '/v1/pages/{page_id}/components';
const groups = '/v1/pages/{page_id}/component-groups';
const read = { kind: 'page', permission: 'org.read' } as const;
const manage = { kind: 'page', permission: 'statuspage.manage' } as const;

const listComponents = defineRoute(read, {
  method: 'get',
  path: components,
  tags,
  operationId: 'listStatusComponents',
  summary: "A page's components by position (`page`, `per_page` ≤ 100)",
  request: { params: PageParams, query: ComponentListQuery },
  responses: { 200: jsonResponse(z.array(StatusComponentJson), 'Components'), ...statuspageErrors },
});
const createComponent = defineRoute(manage, {
  method: 'post',
  path: components,
  tags,
  operationId: 'createStatusComponent',
  summary: 'Add a component (its status log starts now)',
  request: {
    params: PageParams,
    body: statuspageBody(CreateComponentBody, '`{ component: {…} }`'),
  },
  responses: { 201: jsonResponse(StatusComponentJson, 'The component'), ...statuspageErrors },
});
const getComponent = defineRoute(read, {
  method: 'get',
  path: `${components}/{component_id}`,
  tags,
  operationId: 'getStatusComponent',
  summary: 'One component',
  request: { params: ComponentParams },
  responses: { 200: jsonResponse(StatusComponentJson, 'The component'), ...statuspageErrors },
});
function updateComponentRoute(method: 'patch' | 'put') {
  return defineRoute(manage, {
    method,
    path: `${components}/{component_id}`,
    tags,
    operationId: method === 'patch' ? 'updateStatusComponent' : 'replaceStatusComponent',
    summary: 'Change a component: a status change outside an incident, a move, a rename',
    request: {
      params: ComponentParams,
      body: statuspageBody(UpdateComponentBody, '`{ component: {…} }`'),
    },
    responses: { 200: jsonResponse(StatusComponentJson, 'The component'), ...statuspageErrors },
  });
}
const patchComponent = updateComponentRoute('patch');
const putComponent = updateComponentRoute('put');
const deleteComponent = defineRoute(manage, {
  method: 'delete',
  path: `${components}/{component_id}`,
  tags,
  operationId: 'deleteStatusComponent',
  summary: 'Delete a component and its history',
  request: { params: ComponentParams },
  responses: { 204: noContent('Deleted'), ...statuspageErrors },
});

const listGroups = defineRoute(read, {
  method: 'get',
  path: groups,
  tags,
  operationId: 'listStatusComponentGroups',
  summary: "A page's component groups by position",
  request: { params: PageParams },
  responses: { 200: jsonResponse(z.array(ComponentGroupJson), 'Groups'), ...statuspageErrors },
});
const createGroup = defineRoute(manage, {
  method: 'post',
  path: groups,
  tags,
  operationId: 'createStatusComponentGroup',
  summary: 'Group components (`component_group.components` lists them in order)',
  request: {
    params: PageParams,
    body: statuspageBody(CreateComponentGroupBody, '`{ component_group: {…} }`'),
  },
  responses: { 201: jsonResponse(ComponentGroupJson, 'The group'), ...statuspageErrors },
});
const getGroup = defineRoute(read, {
  method: 'get',
  path: `${groups}/{component_group_id}`,
  tags,
  operationId: 'getStatusComponentGroup',
  summary: 'One component group',
  request: { params: GroupParams },
  responses: { 200: jsonResponse(ComponentGroupJson, 'The group'), ...statuspageErrors },
});
function updateGroupRoute(method: 'patch' | 'put') {
  return defineRoute(manage, {
    method,
    path: `${groups}/{component_group_id}`,
    tags,
    operationId: method === 'patch' ? 'updateStatusComponentGroup' : 'replaceStatusComponentGroup',
    summary: 'Change a group; a `components` list replaces its membership',
    request: {
      params: GroupParams,
      body: statuspageBody(UpdateComponentGroupBody, '`{ component_group: {…} }`'),
    },
    responses: { 200: jsonResponse(ComponentGroupJson, 'The group'), ...statuspageErrors },
  });
}
const patchGroup = updateGroupRoute('patch');
const putGroup = updateGroupRoute('put');
const deleteGroup = defineRoute(manage, {
  method: 'delete',
  path: `${groups}/{component_group_id}`,
  tags,
  operationId: 'deleteStatusComponentGroup',
  summary: 'Delete a group; its components stay, ungrouped',
  request: { params: GroupParams },
  responses: { 200: jsonResponse(ComponentGroupJson, 'The deleted group'), ...statuspageErrors },
});

const list: RouteHandler<typeof listComponents, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const rows = await c.var.services.statusComponents.list(
    c.var.actor,
    page_id,
    c.req.valid('query'),
  );
  return c.json(rows.map(toStatusComponentJson), 200);
};
const create: RouteHandler<typeof createComponent, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusComponents.create(
    c.var.actor,
    page_id,
    c.req.valid('json'),
  );
  return c.json(toStatusComponentJson(row), 201);
};
const update: RouteHandler<typeof patchComponent, AppEnv> = async (c) => {
  const { page_id, component_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusComponents.update(
    c.var.actor,
    page_id,
    component_id,
    c.req.valid('json'),
  );
  return c.json(toStatusComponentJson(row), 200);
};
const listAllGroups: RouteHandler<typeof listGroups, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const rows = await c.var.services.statusComponentGroups.list(c.var.actor, page_id);
  return c.json(rows.map(toComponentGroupJson), 200);
};
const addGroup: RouteHandler<typeof createGroup, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const group = await c.var.services.statusComponentGroups.create(
    c.var.actor,
    page_id,
    c.req.valid('json'),
  );
  return c.json(toComponentGroupJson(group), 201);
};
const changeGroup: RouteHandler<typeof patchGroup, AppEnv> = async (c) => {
  const { page_id, component_group_id } = withoutJsonSuffix(c.req.valid('param'));
  const group = await c.var.services.statusComponentGroups.update(
    c.var.actor,
    page_id,
    component_group_id,
    c.req.valid('json'),
  );
  return c.json(toComponentGroupJson(group), 200);
};

export const statusComponentRoutes = createStatusRouter()
  .openapi(listComponents, list)
  .openapi(jsonAlias(listComponents), list)
  .openapi(createComponent, create)
  .openapi(jsonAlias(createComponent), create)
  .openapi(getComponent, async (c) => {
    const { page_id, component_id } = withoutJsonSuffix(c.req.valid('param'));
    const row = await c.var.services.statusComponents.get(c.var.actor, page_id, component_id);
    return c.json(toStatusComponentJson(row), 200);
  })
  .openapi(patchComponent, update)
  .openapi(putComponent, update)
  .openapi(deleteComponent, async (c) => {
    const { page_id, component_id } = withoutJsonSuffix(c.req.valid('param'));
    await c.var.services.statusComponents.delete(c.var.actor, page_id, component_id);
    return c.body(null, 204);
  })
  .openapi(listGroups, listAllGroups)
  .openapi(jsonAlias(listGroups), listAllGroups)
  .openapi(createGroup, addGroup)
  .openapi(jsonAlias(createGroup), addGroup)
  .openapi(getGroup, async (c) => {
    const { page_id, component_group_id } = withoutJsonSuffix(c.req.valid('param'));
    const group = await c.var.services.statusComponentGroups.get(
      c.var.actor,
      page_id,
      component_group_id,
    );
    return c.json(toComponentGroupJson(group), 200);
  })
  .openapi(patchGroup, changeGroup)
  .openapi(putGroup, changeGroup)
  .openapi(deleteGroup, async (c) => {
    const { page_id, component_group_id } = withoutJsonSuffix(c.req.valid('param'));
    const group = await c.var.services.statusComponentGroups.delete(
      c.var.actor,
      page_id,
      component_group_id,
    );
    return c.json(toComponentGroupJson(group), 200);
  });
