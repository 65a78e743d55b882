import {
  PageQuery,
  PromoteReleaseBody,
  ReleaseHealthJson,
  ReleaseJson,
  ReleasePageJson,
  RollbackReleaseBody,
  UpdateReleaseBody,
} from '@skypatch/protocol';
import type { Release } from '../db/schema';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  jsonBody,
  jsonResponse,
  toPageJson,
} from './openapi';
import { AppParams, IdParam } from './params';

const ReleaseParams = AppParams.extend({ releaseId: IdParam });

export function toReleaseJson(release: Release) {
  return {
    id: release.id,
    appId: release.appId,
    channelId: release.channelId,
    label: release.label,
    appVersion: release.appVersionRange,
    description: release.releaseNotes,
    isMandatory: release.isMandatory,
    rollout: release.rolloutPercentage,
    status: release.status,
    rollbackReason: release.rollbackReason,
    size: release.bundleSize,
    bundleHash: release.bundleHash,
    packageHash: release.packageHash,
    releaseMethod: release.releaseMethod,
    originReleaseId: release.originReleaseId,
    targetingRules: release.targetingRules ?? null,
    createdByUserId: release.createdByUserId,
    createdAt: iso(release.createdAt),
  };
}

const tags = ['releases'];
const one = '/v1/orgs/{orgId}/apps/{appId}/releases/{releaseId}';

const listReleases = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/apps/{appId}/releases',
    tags,
    operationId: 'listReleases',
    summary: "An app's release history, newest first (filter by channel)",
    request: {
      params: AppParams,
      query: PageQuery.extend({ channelId: IdParam.optional() }),
    },
    responses: { 200: jsonResponse(ReleasePageJson, 'Newest first'), ...errorResponses },
  },
);

const getRelease = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: one,
    tags,
    operationId: 'getRelease',
    summary: 'One release',
    request: { params: ReleaseParams },
    responses: { 200: jsonResponse(ReleaseJson, 'The release'), ...errorResponses },
  },
);

const updateRelease = defineRoute(
  { kind: 'org', permission: 'release.rollout' },
  {
    method: 'patch',
    path: one,
    tags,
    operationId: 'updateRelease',
    summary: 'Edit a release: notes, mandatory, target versions, targeting, a larger rollout',
    description: "CodePush's `patch`: the rollout can only grow, and only while it is below 100%.",
    request: { params: ReleaseParams, body: jsonBody(UpdateReleaseBody) },
    responses: { 200: jsonResponse(ReleaseJson, 'The release'), ...errorResponses },
  },
);

function statusRoute(verb: 'pause' | 'resume', summary: string) {
  return defineRoute(
    { kind: 'org', permission: 'release.rollout' },
    {
      method: 'post',
      path: `${one}/${verb}`,
      tags,
      operationId: `${verb}Release`,
      summary,
      request: { params: ReleaseParams },
      responses: { 200: jsonResponse(ReleaseJson, 'The release'), ...errorResponses },
    },
  );
}
const pauseRelease = statusRoute('pause', 'Stop offering a release to more devices');
const resumeRelease = statusRoute('resume', 'Offer a paused release again');

const rollbackRelease = defineRoute(
  { kind: 'org', permission: 'release.rollback' },
  {
    method: 'post',
    path: `${one}/rollback`,
    tags,
    operationId: 'rollbackRelease',
    summary: 'Roll a release back, with a reason: devices return to the release before it',
    request: { params: ReleaseParams, body: jsonBody(RollbackReleaseBody) },
    responses: { 200: jsonResponse(ReleaseJson, 'The rolled-back release'), ...errorResponses },
  },
);

const promoteRelease = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'post',
    path: `${one}/promote`,
    tags,
    operationId: 'promoteRelease',
    summary: 'Promote a release to another channel of the app, without uploading it again',
    request: { params: ReleaseParams, body: jsonBody(PromoteReleaseBody) },
    responses: {
      201: jsonResponse(ReleaseJson, 'The new release in the target channel'),
      ...errorResponses,
    },
  },
);

const releaseHealth = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: `${one}/health`,
    tags,
    operationId: 'getReleaseHealth',
    summary: "A release's health: counters, active devices, crash rate, hourly adoption",
    description:
      'The crash rate comes with its 95% Wilson score lower bound, the number crash-rate ' +
      'auto-rollback compares with the app’s threshold.',
    request: { params: ReleaseParams },
    responses: { 200: jsonResponse(ReleaseHealthJson, 'The release’s health'), ...errorResponses },
  },
);

export const releaseRoutes = createRouter()
  .openapi(listReleases, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    return c.json(
      toPageJson(await c.var.services.releases.list(c.var.actor, input), toReleaseJson),
      200,
    );
  })
  .openapi(getRelease, async (c) =>
    c.json(
      toReleaseJson(await c.var.services.releases.get(c.var.actor, c.req.valid('param'))),
      200,
    ),
  )
  .openapi(releaseHealth, async (c) =>
    c.json(await c.var.services.releases.health(c.var.actor, c.req.valid('param')), 200),
  )
  .openapi(updateRelease, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toReleaseJson(await c.var.services.releases.update(c.var.actor, input)), 200);
  })
  .openapi(pauseRelease, async (c) =>
    c.json(
      toReleaseJson(await c.var.services.releases.pause(c.var.actor, c.req.valid('param'))),
      200,
    ),
  )
  .openapi(resumeRelease, async (c) =>
    c.json(
      toReleaseJson(await c.var.services.releases.resume(c.var.actor, c.req.valid('param'))),
      200,
    ),
  )
  .openapi(rollbackRelease, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toReleaseJson(await c.var.services.releases.rollback(c.var.actor, input)), 200);
  })
  .openapi(promoteRelease, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toReleaseJson(await c.var.services.releases.promote(c.var.actor, input)), 201);
  });
