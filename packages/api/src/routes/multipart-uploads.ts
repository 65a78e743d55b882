import { z } from '@hono/zod-openapi';
import {
  CompleteMultipartBody,
  MultipartStartedJson,
  StartMultipartBody,
  UploadedPartJson,
  UploadJobJson,
} from '@skypatch/protocol';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
  noContent,
  streamedBody,
} from './openapi';
import { ChannelParams, JobParams } from './params';
import { toUploadJobJson } from './uploads';

const tags = ['releases'];

const start = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/apps/{appId}/channels/{channelId}/uploads/multipart',
    tags,
    operationId: 'startMultipartUpload',
    summary: 'Start an upload of a package over 100 MB, sent in parts',
    request: { params: ChannelParams, body: jsonBody(StartMultipartBody) },
    responses: {
      201: jsonResponse(MultipartStartedJson, 'Send the parts next'),
      ...errorResponses,
    },
  },
);

const part = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'put',
    path: '/v1/orgs/{orgId}/uploads/{jobId}/parts/{partNumber}',
    tags,
    operationId: 'uploadPart',
    summary: 'Send one part (1-based; `partSize` bytes except the last)',
    request: {
      params: JobParams.extend({ partNumber: z.coerce.number().int().min(1).max(10_000) }),
      body: {
        required: true,
        content: {
          'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
        },
      },
    },
    responses: {
      200: jsonResponse(UploadedPartJson, 'Keep the etag for completion'),
      ...errorResponses,
    },
  },
);

const complete = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/uploads/{jobId}/complete',
    tags,
    operationId: 'completeMultipartUpload',
    summary: 'Assemble the parts and queue the package, like a single-request upload',
    request: { params: JobParams, body: jsonBody(CompleteMultipartBody) },
    responses: { 202: jsonResponse(UploadJobJson, 'Queued'), ...errorResponses },
  },
);

const abort = defineRoute(
  { kind: 'org', permission: 'release.create' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}/uploads/{jobId}',
    tags,
    operationId: 'abortMultipartUpload',
    summary: 'Abort an open multipart upload; its parts are discarded and the job fails',
    request: { params: JobParams },
    responses: { 204: noContent('Aborted'), ...errorResponses },
  },
);

export const multipartUploadRoutes = createRouter()
  .openapi(start, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const started = await c.var.services.multipartUploads.start(c.var.actor, input);
    return c.json(
      { job: toUploadJobJson(started.job), partSize: started.partSize, parts: started.parts },
      201,
    );
  })
  .openapi(part, async (c) => {
    const { body, contentLength } = streamedBody(c.req.raw, 'The part');
    const input = { ...c.req.valid('param'), contentLength };
    const uploaded = await c.var.services.multipartUploads.uploadPart(c.var.actor, input, body);
    return c.json({ partNumber: uploaded.partNumber, etag: uploaded.etag }, 200);
  })
  .openapi(complete, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(
      toUploadJobJson(await c.var.services.multipartUploads.complete(c.var.actor, input)),
      202,
    );
  })
  .openapi(abort, async (c) => {
    await c.var.services.multipartUploads.abort(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
