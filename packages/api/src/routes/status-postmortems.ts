import type { RouteHandler } from '@hono/zod-openapi';
import { PostmortemJson, PublishPostmortemBody, SavePostmortemBody } from '@skypatch/protocol';
import type { Incident } from '../db/schema';
import type { AppEnv } from '../env';
import { defineRoute, isoOrNull, jsonResponse } from './openapi';
import {
  createStatusRouter,
  IncidentParams,
  jsonAlias,
  statuspageBody,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// An incident's postmortem (spec §4.2, OAS `Postmortem`): draft, publish, revert, delete. The
// rules live in services/status-postmortems.ts; docs/status-pages.md "Postmortems".

const tags = ['status pages'];
const postmortem = '/v1/pages/{page_id}/incidents/{incident_id}/postmortem';
const read = { kind: 'page', permission: 'org.read' } as const;
const manage = { kind: 'page', permission: 'incident.manage' } as const;
const ok = { 200: jsonResponse(PostmortemJson, 'The postmortem'), ...statuspageErrors };

const getPostmortem = defineRoute(read, {
  method: 'get',
  path: postmortem,
  tags,
  operationId: 'getPostmortem',
  summary: 'The incident’s postmortem: the draft, and the published text once published',
  request: { params: IncidentParams },
  responses: ok,
});
const savePostmortem = defineRoute(manage, {
  method: 'put',
  path: postmortem,
  tags,
  operationId: 'savePostmortem',
  summary: 'Save the postmortem draft (≤ 25,000 characters); 409 once published',
  request: {
    params: IncidentParams,
    body: statuspageBody(SavePostmortemBody, '`{ postmortem: { body_draft } }`'),
  },
  responses: ok,
});
const deletePostmortem = defineRoute(manage, {
  method: 'delete',
  path: postmortem,
  tags,
  operationId: 'deletePostmortem',
  summary: 'Discard the draft; 409 while published (revert first)',
  request: { params: IncidentParams },
  responses: ok,
});
const publishPostmortem = defineRoute(manage, {
  method: 'put',
  path: `${postmortem}/publish`,
  tags,
  operationId: 'publishPostmortem',
  summary: 'Publish the draft; a resolved incident becomes `postmortem`',
  request: {
    params: IncidentParams,
    // Optional: `notify_subscribers` is the one field that does anything.
    body: {
      ...statuspageBody(PublishPostmortemBody, '`{ postmortem: { notify_subscribers } }`'),
      required: false,
    },
  },
  responses: ok,
});
const revertPostmortem = defineRoute(manage, {
  method: 'put',
  path: `${postmortem}/revert`,
  tags,
  operationId: 'revertPostmortem',
  summary: 'Unpublish; a `postmortem` incident is `resolved` again',
  request: { params: IncidentParams },
  responses: ok,
});

/** OAS `Postmortem` from the incident's two columns: the text, and when it went public. */
export function toPostmortemJson(incident: Incident): PostmortemJson {
  const published = incident.postmortemPublishedAt;
  return {
    preview_key: null,
    body: published ? incident.postmortemBody : null,
    body_updated_at: isoOrNull(published),
    body_draft: incident.postmortemBody,
    published_at: isoOrNull(published),
    notify_twitter: false,
    custom_tweet: null,
  };
}

const get: RouteHandler<typeof getPostmortem, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusPostmortems.getPostmortem(
    c.var.actor,
    page_id,
    incident_id,
  );
  return c.json(toPostmortemJson(row), 200);
};
const save: RouteHandler<typeof savePostmortem, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusPostmortems.saveDraft(
    c.var.actor,
    page_id,
    incident_id,
    c.req.valid('json'),
  );
  return c.json(toPostmortemJson(row), 200);
};
const remove: RouteHandler<typeof deletePostmortem, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusPostmortems.deleteDraft(c.var.actor, page_id, incident_id);
  return c.json(toPostmortemJson(row), 200);
};
const publish: RouteHandler<typeof publishPostmortem, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusPostmortems.publish(
    c.var.actor,
    page_id,
    incident_id,
    c.req.valid('json'),
  );
  return c.json(toPostmortemJson(row), 200);
};
const revert: RouteHandler<typeof revertPostmortem, AppEnv> = async (c) => {
  const { page_id, incident_id } = withoutJsonSuffix(c.req.valid('param'));
  const row = await c.var.services.statusPostmortems.revert(c.var.actor, page_id, incident_id);
  return c.json(toPostmortemJson(row), 200);
};

// `.json` aliases (hidden): Statuspage clients may call `…/postmortem.json` (spec §4.1).
export const statusPostmortemRoutes = createStatusRouter()
  .openapi(getPostmortem, get)
  .openapi(jsonAlias(getPostmortem), get)
  .openapi(savePostmortem, save)
  .openapi(jsonAlias(savePostmortem), save)
  .openapi(deletePostmortem, remove)
  .openapi(jsonAlias(deletePostmortem), remove)
  .openapi(publishPostmortem, publish)
  .openapi(jsonAlias(publishPostmortem), publish)
  .openapi(revertPostmortem, revert)
  .openapi(jsonAlias(revertPostmortem), revert);
