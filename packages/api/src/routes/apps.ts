import {
  AppJson,
  AppPageJson,
  AppSettings,
  ChannelJson,
  ChannelListJson,
  CreateAppBody,
  CreateChannelBody,
  CreatedAppJson,
  PageQuery,
  RenameChannelBody,
  UpdateAppBody,
} from '@skypatch/protocol';
import type { App, Channel } from '../db/schema';
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
import { AppParams, ChannelParams, OrgParams } from './params';

export function toAppJson(app: App) {
  return {
    id: app.id,
    orgId: app.orgId,
    name: app.name,
    bundleId: app.bundleId,
    platform: app.platform,
    // Rows written before a setting existed parse to what is there; unknown keys are dropped.
    settings: AppSettings.strip().parse(app.settings ?? {}),
    createdAt: iso(app.createdAt),
    deletedAt: isoOrNull(app.deletedAt),
  };
}

export function toChannelJson(channel: Channel) {
  return {
    id: channel.id,
    appId: channel.appId,
    name: channel.name,
    deploymentKey: channel.deploymentKey,
    createdAt: iso(channel.createdAt),
  };
}

const tags = ['apps'];
const base = '/v1/orgs/{orgId}/apps';

const listApps = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: base,
    tags,
    operationId: 'listApps',
    summary: "The org's apps (an app-scoped key sees its own)",
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: jsonResponse(AppPageJson, 'Newest first'), ...errorResponses },
  },
);

const createApp = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'post',
    path: base,
    tags,
    operationId: 'createApp',
    summary: 'Create an app, with Staging and Production channels as CodePush does',
    request: { params: OrgParams, body: jsonBody(CreateAppBody) },
    responses: { 201: jsonResponse(CreatedAppJson, 'The app and its channels'), ...errorResponses },
  },
);

const getApp = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: `${base}/{appId}`,
    tags,
    operationId: 'getApp',
    summary: 'One app',
    request: { params: AppParams },
    responses: { 200: jsonResponse(AppJson, 'The app'), ...errorResponses },
  },
);

const updateApp = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'patch',
    path: `${base}/{appId}`,
    tags,
    operationId: 'updateApp',
    summary: 'Rename an app, change its bundle id or its release-health settings',
    request: { params: AppParams, body: jsonBody(UpdateAppBody) },
    responses: { 200: jsonResponse(AppJson, 'The app'), ...errorResponses },
  },
);

const deleteApp = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'delete',
    path: `${base}/{appId}`,
    tags,
    operationId: 'deleteApp',
    summary: 'Delete an app (restorable for 30 days); its deployment keys stop working at once',
    request: { params: AppParams },
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

const restoreApp = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'post',
    path: `${base}/{appId}/restore`,
    tags,
    operationId: 'restoreApp',
    summary: 'Undo the deletion of an app within the grace period',
    request: { params: AppParams },
    responses: { 200: jsonResponse(AppJson, 'Restored'), ...errorResponses },
  },
);

const listChannels = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: `${base}/{appId}/channels`,
    tags,
    operationId: 'listChannels',
    summary: "An app's channels (CodePush: deployments) with their deployment keys",
    request: { params: AppParams },
    responses: { 200: jsonResponse(ChannelListJson, 'By name'), ...errorResponses },
  },
);

const createChannel = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'post',
    path: `${base}/{appId}/channels`,
    tags,
    operationId: 'createChannel',
    summary: 'Add a channel, optionally with an existing deployment key',
    request: { params: AppParams, body: jsonBody(CreateChannelBody) },
    responses: { 201: jsonResponse(ChannelJson, 'Created'), ...errorResponses },
  },
);

const renameChannel = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'patch',
    path: `${base}/{appId}/channels/{channelId}`,
    tags,
    operationId: 'renameChannel',
    summary: 'Rename a channel',
    request: { params: ChannelParams, body: jsonBody(RenameChannelBody) },
    responses: { 200: jsonResponse(ChannelJson, 'Renamed'), ...errorResponses },
  },
);

const deleteChannel = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'delete',
    path: `${base}/{appId}/channels/{channelId}`,
    tags,
    operationId: 'deleteChannel',
    summary: 'Delete a channel; its deployment key stops working at once',
    request: { params: ChannelParams },
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

const rotateKey = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'post',
    path: `${base}/{appId}/channels/{channelId}/rotate-key`,
    tags,
    operationId: 'rotateDeploymentKey',
    summary: "Replace a channel's deployment key; the old one stops working at once",
    request: { params: ChannelParams },
    responses: { 200: jsonResponse(ChannelJson, 'With its new key'), ...errorResponses },
  },
);

export const appRoutes = createRouter()
  .openapi(listApps, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    return c.json(toPageJson(await c.var.services.apps.list(c.var.actor, input), toAppJson), 200);
  })
  .openapi(createApp, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const created = await c.var.services.apps.create(c.var.actor, input);
    return c.json(
      { ...toAppJson(created.app), channels: created.channels.map(toChannelJson) },
      201,
    );
  })
  .openapi(getApp, async (c) =>
    c.json(toAppJson(await c.var.services.apps.get(c.var.actor, c.req.valid('param'))), 200),
  )
  .openapi(updateApp, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toAppJson(await c.var.services.apps.update(c.var.actor, input)), 200);
  })
  .openapi(deleteApp, async (c) => {
    await c.var.services.apps.remove(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  })
  .openapi(restoreApp, async (c) =>
    c.json(toAppJson(await c.var.services.apps.restore(c.var.actor, c.req.valid('param'))), 200),
  )
  .openapi(listChannels, async (c) => {
    const channels = await c.var.services.apps.listChannels(c.var.actor, c.req.valid('param'));
    return c.json({ items: channels.map(toChannelJson) }, 200);
  })
  .openapi(createChannel, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toChannelJson(await c.var.services.apps.createChannel(c.var.actor, input)), 201);
  })
  .openapi(renameChannel, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toChannelJson(await c.var.services.apps.renameChannel(c.var.actor, input)), 200);
  })
  .openapi(deleteChannel, async (c) => {
    await c.var.services.apps.removeChannel(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  })
  .openapi(rotateKey, async (c) => {
    const channel = await c.var.services.apps.rotateDeploymentKey(
      c.var.actor,
      c.req.valid('param'),
    );
    return c.json(toChannelJson(channel), 200);
  });
