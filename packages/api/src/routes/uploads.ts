import { z } from '@hono/zod-openapi';
import { UPLOAD_CONTENT_TYPES, UploadJobJson, UploadQuery } from '@skypatch/protocol';
import type { UploadJob } from '../db/schema';
import { AppError } from '../lib/errors';
import { uploadStatusOf } from '../services/upload-status';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  isoOrNull,
  jsonResponse,
  streamedBody,
} from './openapi';
import { ChannelParams, JobParams } from './params';

export function toUploadJobJson(job: UploadJob) {
  return {
    id: job.id,
    appId: job.appId,
    channelId: job.channelId,
    releaseId: job.status === 'complete' ? job.releaseId : null,
    status: job.status,
    progress: job.progress,
    error: job.error,
    size: job.size,
    createdAt: iso(job.createdAt),
    completedAt: isoOrNull(job.completedAt),
  };
}

const Binary = z.string().openapi({ type: 'string', format: 'binary' });
const tags = ['releases'];

const upload = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/apps/{appId}/channels/{channelId}/uploads',
    tags,
    operationId: 'uploadRelease',
    summary: 'Upload a package (a zip or one bundle file); it becomes a release once processed',
    description:
      'The body is the package itself, streamed to R2 (at most 100 MB, `Content-Length` ' +
      'required). Metadata goes in the query string. Optionally send `x-content-sha256` (hex) ' +
      'and the upload is refused unless it matches. Answers 202 with the job; watch it at ' +
      '`/v1/orgs/{orgId}/uploads/{jobId}` or over the WebSocket at `…/events`.',
    request: {
      params: ChannelParams,
      query: UploadQuery,
      body: {
        required: true,
        content: Object.fromEntries(UPLOAD_CONTENT_TYPES.map((type) => [type, { schema: Binary }])),
      },
    },
    responses: {
      202: jsonResponse(UploadJobJson, 'Accepted; processing on a queue'),
      ...errorResponses,
    },
  },
);

const getUpload = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/uploads/{jobId}',
    tags,
    operationId: 'getUpload',
    summary: 'The state of an upload job (for clients that poll)',
    request: { params: JobParams },
    responses: { 200: jsonResponse(UploadJobJson, 'The job'), ...errorResponses },
  },
);

const watchUpload = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/uploads/{jobId}/events',
    tags,
    operationId: 'watchUpload',
    summary: 'A WebSocket that receives every state of the job as JSON, the current one first',
    request: { params: JobParams },
    responses: { 101: { description: 'Switching to a WebSocket' }, ...errorResponses },
  },
);

export const uploadRoutes = createRouter()
  .openapi(upload, async (c) => {
    const { body, contentLength } = streamedBody(c.req.raw, 'The package', UPLOAD_CONTENT_TYPES);
    const declaredHash = c.req.header('x-content-sha256')?.toLowerCase();
    const input = {
      ...c.req.valid('param'),
      ...c.req.valid('query'),
      contentLength,
      ...(declaredHash ? { declaredHash } : {}),
    };
    const job = await c.var.services.uploads.accept(c.var.actor, input, body);
    return c.json(toUploadJobJson(job), 202);
  })
  .openapi(getUpload, async (c) =>
    c.json(
      toUploadJobJson(await c.var.services.uploads.get(c.var.actor, c.req.valid('param'))),
      200,
    ),
  )
  .openapi(watchUpload, async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new AppError('BAD_REQUEST', 'Connect with a WebSocket (Upgrade: websocket)');
    }
    const job = await c.var.services.uploads.get(c.var.actor, c.req.valid('param'));
    // The DO accepts the socket (hibernation API) and pushes every state to it.
    return uploadStatusOf(c.env, job.id).fetch(c.req.raw);
  });
