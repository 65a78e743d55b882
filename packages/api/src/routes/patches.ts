import { z } from '@hono/zod-openapi';
import {
  CreatePatchBody,
  PatchArch,
  PatchArtifactJson,
  PatchJson,
  PatchListJson,
  PatchPlatform,
  ReleaseVersion,
  SetPatchChannelBody,
} from '@skypatch/protocol';
import type { Patch } from '../db/schema';
import type { PatchWithArtifacts } from '../services/patches';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  jsonBody,
  jsonResponse,
  noContent,
  streamedBody,
} from './openapi';
import { AppParams } from './params';

const PatchParams = AppParams.extend({
  releaseVersion: ReleaseVersion,
  number: z.coerce.number().int().min(1),
});
const ArtifactParams = PatchParams.extend({ platform: PatchPlatform, arch: PatchArch });
const base = '/v1/orgs/{orgId}/apps/{appId}/patches';
const one = `${base}/{releaseVersion}/{number}`;
const tags = ['flutter patches'];

function toArtifactJson(row: Patch) {
  return {
    platform: row.platform,
    arch: row.arch,
    hash: row.hash,
    hashSignature: row.hashSignature,
    createdAt: iso(row.createdAt),
  };
}

function toPatchJson(patch: PatchWithArtifacts) {
  return {
    releaseVersion: patch.releaseVersion,
    number: patch.number,
    channel: patch.channel,
    rolledBack: patch.rolledBack,
    artifacts: patch.artifacts.map(toArtifactJson),
    createdAt: iso(patch.createdAt),
  };
}

const listPatches = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: base,
    tags,
    operationId: 'listPatches',
    summary: 'The patches of one Flutter release version, with their artifacts and tracks',
    request: { params: AppParams, query: z.object({ releaseVersion: ReleaseVersion }) },
    responses: { 200: jsonResponse(PatchListJson, 'By number'), ...errorResponses },
  },
);

const createPatch = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'post',
    path: base,
    tags,
    operationId: 'createPatch',
    summary: 'Reserve the next patch number of a release version (1, 2, … never reused)',
    request: { params: AppParams, body: jsonBody(CreatePatchBody) },
    responses: { 201: jsonResponse(PatchJson, 'The reserved number'), ...errorResponses },
  },
);

const uploadArtifact = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'put',
    path: `${one}/artifacts/{platform}/{arch}`,
    tags,
    operationId: 'uploadPatchArtifact',
    summary: "Upload one platform/arch artifact of a patch (zstd'd bipatch), immutable",
    description:
      'Body: the artifact (`application/octet-stream`, `Content-Length` required, ≤ 100 MB). ' +
      'Headers: `x-patch-hash` (SHA-256 hex of the patched file) and, required when the app has ' +
      'a code-signing key, `x-hash-signature` (base64 RSA-SHA256 over the hex hash).',
    request: {
      params: ArtifactParams,
      body: {
        required: true,
        content: {
          'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
        },
      },
    },
    responses: { 201: jsonResponse(PatchArtifactJson, 'Stored'), ...errorResponses },
  },
);

function activeRoute(verb: 'rollback' | 'roll-forward', summary: string) {
  return defineRoute(
    { kind: 'org', permission: 'release.rollback' },
    {
      method: 'post',
      path: `${one}/${verb}`,
      tags,
      operationId: verb === 'rollback' ? 'rollbackPatch' : 'rollForwardPatch',
      summary,
      request: { params: PatchParams },
      responses: { 204: noContent('Done'), ...errorResponses },
    },
  );
}
const rollbackPatch = activeRoute(
  'rollback',
  'Roll a patch back (active = 0): devices return to the one before',
);
const rollForwardPatch = activeRoute(
  'roll-forward',
  'Undo a rollback (prefer publishing a new number)',
);

const setChannel = defineRoute(
  { kind: 'org', permission: 'release.rollout' },
  {
    method: 'patch',
    path: one,
    tags,
    operationId: 'setPatchChannel',
    summary: 'Move a patch to another track (stable, beta, …)',
    request: { params: PatchParams, body: jsonBody(SetPatchChannelBody) },
    responses: {
      200: jsonResponse(
        PatchJson.pick({ releaseVersion: true, number: true, channel: true }),
        'Moved',
      ),
      ...errorResponses,
    },
  },
);

export const patchRoutes = createRouter()
  .openapi(listPatches, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    return c.json(
      { items: (await c.var.services.patches.list(c.var.actor, input)).map(toPatchJson) },
      200,
    );
  })
  .openapi(createPatch, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const reserved = await c.var.services.patches.reserve(c.var.actor, input);
    const patch = {
      releaseVersion: reserved.releaseVersion,
      number: reserved.patchNumber,
      channel: reserved.channel,
      rolledBack: false,
      artifacts: [],
      createdAt: reserved.createdAt,
    };
    return c.json(toPatchJson(patch), 201);
  })
  .openapi(uploadArtifact, async (c) => {
    const { body, contentLength } = streamedBody(c.req.raw, 'The artifact', [
      'application/octet-stream',
    ]);
    const signature = c.req.header('x-hash-signature');
    const input = {
      ...c.req.valid('param'),
      contentLength,
      hash: c.req.header('x-patch-hash')?.toLowerCase() ?? '',
      ...(signature ? { hashSignature: signature } : {}),
    };
    const row = await c.var.services.patches.uploadArtifact(c.var.actor, input, body);
    return c.json(toArtifactJson(row), 201);
  })
  .openapi(rollbackPatch, async (c) => {
    await c.var.services.patches.setActive(c.var.actor, c.req.valid('param'), false);
    return c.body(null, 204);
  })
  .openapi(rollForwardPatch, async (c) => {
    await c.var.services.patches.setActive(c.var.actor, c.req.valid('param'), true);
    return c.body(null, 204);
  })
  .openapi(setChannel, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const moved = await c.var.services.patches.setChannel(c.var.actor, input);
    return c.json(
      { releaseVersion: moved.releaseVersion, number: moved.patchNumber, channel: moved.channel },
      200,
    );
  });
