import type { RouteHandler } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import {
  CreateIncidentBody,
  IncidentListQuery,
  StatusIncidentJson,
  UpdateIncidentBody,
  UpdateIncidentUpdateBody,
} from '@skypatch/protocol';
import type { AppEnv } from '../env';
import type { IncidentFilter } from '../services/status-incidents';
import { defineRoute, jsonResponse } from './openapi';
import { toStatusIncidentJson } from './status-json';
import {
  createStatusRouter,
  IncidentParams,
  IncidentUpdateParams,
  jsonAlias,
  PageParams,
  statuspageBody,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// Incidents and scheduled maintenances (spec §3, §4.2). There is no POST for updates: a PATCH
// of the incident carrying a body or a status posts one (OAS, HUBOT).

const tags = ['status pages'];
const incidents = '/v1/pages/{page_id}/incidents';
const read = { kind: 'page', permission: 'org.read' } as const;
const manage = { kind: 'page', permission: 'incident.manage' } as const;
const IncidentList = z.array(StatusIncidentJson);

function listRoute(filter: IncidentFilter, summary: string) {
  const suffix = filter === 'all' ? '' : `/${filter}`;
  const name = filter.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  return defineRoute(read, {
    method: 'get',
    path: `${incidents}${suffix}`,
    tags,
    operationId:
      filter === 'all' ? 'listIncidents' : `list${name[0]?.toUpperCase()}${name.slice(1)}Incidents`,
    summary,
    request: { params: PageParams, query: IncidentListQuery },
    responses: { 200: jsonResponse(IncidentList, 'Incidents'), ...statuspageErrors },
  });
}
const LISTS = [
  ['unresolved', listRoute('unresolved', 'Open realtime incidents, newest first')],
  ['upcoming', listRoute('upcoming', 'Maintenances not started yet, soonest first')],
  ['scheduled', listRoute('scheduled', 'Every scheduled maintenance, newest first')],
  [
    'active_maintenance',
    listRoute('active_maintenance', 'Maintenances in progress or verifying, soonest first'),
  ],
  [
    'all',
    listRoute('all', 'Incidents and maintenances, newest first (`q`, `limit` ≤ 100, `page`)'),
  ],
] as const;

const createIncident = defineRoute(manage, {
  method: 'post',
  path: incidents,
  tags,
  operationId: 'createIncident',
  summary: 'Open an incident or schedule a maintenance, with its first update',
  request: { params: PageParams, body: statuspageBody(CreateIncidentBody, '`{ incident: {…} }`') },
  responses: { 201: jsonResponse(StatusIncidentJson, 'The incident'), ...statuspageErrors },
});
const getIncident = defineRoute(read, {
  method: 'get',
  path: `${incidents}/{incident_id}`,
  tags,
  operationId: 'getIncident',
  summary: 'One incident with its updates',
  request: { params: IncidentParams },
  responses: { 200: jsonResponse(StatusIncidentJson, 'The incident'), ...statuspageErrors },
});
function updateIncidentRoute(method: 'patch' | 'put') {
  return defineRoute(manage, {
    method,
    path: `${incidents}/{incident_id}`,
    tags,
    operationId: method === 'patch' ? 'updateIncident' : 'replaceIncident',
    summary: 'Post an update (body, status, components) or edit the incident',
    request: {
      params: IncidentParams,
      body: statuspageBody(UpdateIncidentBody, '`{ incident: {…} }`'),
    },
    responses: { 200: jsonResponse(StatusIncidentJson, 'The incident'), ...statuspageErrors },
  });
}
const patchIncident = updateIncidentRoute('patch');
const putIncident = updateIncidentRoute('put');
const deleteIncident = defineRoute(manage, {
  method: 'delete',
  path: `${incidents}/{incident_id}`,
  tags,
  operationId: 'deleteIncident',
  summary: 'Delete an incident; components keep their status',
  request: { params: IncidentParams },
  responses: { 200: jsonResponse(StatusIncidentJson, 'The deleted incident'), ...statuspageErrors },
});
function updateIncidentUpdateRoute(method: 'patch' | 'put') {
  return defineRoute(manage, {
    method,
    path: `${incidents}/{incident_id}/incident_updates/{incident_update_id}`,
    tags,
    operationId: method === 'patch' ? 'updateIncidentUpdate' : 'replaceIncidentUpdate',
    summary: 'Edit a posted update: body, display_at, deliver_notifications',
    request: {
      params: IncidentUpdateParams,
      body: statuspageBody(UpdateIncidentUpdateBody, '`{ incident_update: {…} }`'),
    },
    responses: { 200: jsonResponse(StatusIncidentJson, 'The incident'), ...statuspageErrors },
  });
}
const patchIncidentUpdate = updateIncidentUpdateRoute('patch');
const putIncidentUpdate = updateIncidentUpdateRoute('put');

const listHandler =
  (filter: IncidentFilter): RouteHandler<ReturnType<typeof listRoute>, AppEnv> =>
  async (c) => {
    const { page_id } = withoutJsonSuffix(c.req.valid('param'));
    const rows = await c.var.services.statusIncidents.list(
      c.var.actor,
      page_id,
      filter,
      c.req.valid('query'),
    );
    return c.json(rows.map(toStatusIncidentJson), 200);
  };
const create: RouteHandler<typeof createIncident, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const detail = await c.var.services.statusIncidents.create(
    c.var.actor,
    page_id,
    c.req.valid('json'),
  );
  return c.json(toStatusIncidentJson(detail), 201);
};
const update: RouteHandler<typeof patchIncident, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const detail = await c.var.services.statusIncidents.update(
    c.var.actor,
    page_id,
    incident_id,
    c.req.valid('json'),
  );
  return c.json(toStatusIncidentJson(detail), 200);
};
const updateUpdate: RouteHandler<typeof patchIncidentUpdate, AppEnv> = async (c) => {
  const { page_id, incident_id, incident_update_id } = withoutJsonSuffix(c.req.valid('param'));
  const detail = await c.var.services.statusIncidents.updateIncidentUpdate(
    c.var.actor,
    page_id,
    incident_id,
    incident_update_id,
    c.req.valid('json'),
  );
  return c.json(toStatusIncidentJson(detail), 200);
};

const router = createStatusRouter();
// The named lists first: `/incidents/unresolved` must not be read as an incident id.
for (const [filter, route] of LISTS) {
  router.openapi(route, listHandler(filter)).openapi(jsonAlias(route), listHandler(filter));
}

export const statusIncidentRoutes = router
  .openapi(createIncident, create)
  .openapi(jsonAlias(createIncident), create)
  .openapi(getIncident, async (c) => {
    const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
    const detail = await c.var.services.statusIncidents.get(c.var.actor, page_id, incident_id);
    return c.json(toStatusIncidentJson(detail), 200);
  })
  .openapi(patchIncident, update)
  .openapi(putIncident, update)
  .openapi(deleteIncident, async (c) => {
    const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
    const detail = await c.var.services.statusIncidents.delete(c.var.actor, page_id, incident_id);
    return c.json(toStatusIncidentJson(detail), 200);
  })
  .openapi(patchIncidentUpdate, updateUpdate)
  .openapi(putIncidentUpdate, updateUpdate);
