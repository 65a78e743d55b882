import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { ErrorBody } from '@skypatch/protocol';
import type { z } from 'zod';
import type { AppEnv } from '../env';
import { validationHook } from '../middleware/errors';

// Shared pieces of every route declaration, so each route file states only what is its own.

/** Security requirements: every operation must say which one applies. */
export const SECURITY = {
  public: [],
  apiKey: [{ apiKey: [] }],
  bootstrapToken: [{ bootstrapToken: [] }],
} as const satisfies Record<string, RouteConfig['security']>;

export function jsonBody<T extends z.ZodType>(schema: T, description = 'JSON body') {
  return { required: true, description, content: { 'application/json': { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

const errorResponse = (description: string) => jsonResponse(ErrorBody, description);

export const errorResponses = {
  400: errorResponse('Invalid request'),
  401: errorResponse('Missing or invalid credentials'),
  403: errorResponse('The credentials do not allow this'),
  404: errorResponse('Not found'),
  413: errorResponse('Body too large'),
  415: errorResponse('Unsupported content type'),
  429: errorResponse('Rate limited'),
};

/** A sub-router whose zod validation failures answer in the common error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export { createRoute };
