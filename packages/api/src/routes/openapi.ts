import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { ErrorBody } from '@skypatch/protocol';
import type { z } from 'zod';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { describePolicy, enforcePolicy, type RoutePolicy } from '../middleware/auth';
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

/** The OpenAPI extension that carries a route's policy; the authorization matrix reads it. */
export const POLICY_EXTENSION = 'x-skypatch-policy';

/**
 * A route with its access policy: the policy is enforced by middleware that runs before input
 * validation, and published in the OpenAPI document, so every route states who may call it.
 */
export function defineRoute<const R extends Parameters<typeof createRoute>[0]>(
  policy: RoutePolicy,
  config: R,
) {
  return createRoute({
    ...config,
    security: config.security ?? (policy.kind === 'public' ? SECURITY.public : SECURITY.apiKey),
    middleware: [enforcePolicy(policy)],
    [POLICY_EXTENSION]: describePolicy(policy),
  });
}

/** A sub-router whose zod validation failures answer in the common error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export { requestOrigin } from '../middleware/request';
export { createRoute };

export const noContent = (description: string) => ({ description });

export const iso = (date: Date) => date.toISOString();
export const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

/** A service page as JSON, each item through the route's mapper. */
export function toPageJson<T, J>(
  page: { items: T[]; nextCursor: string | null },
  map: (item: T) => J,
) {
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}

/**
 * A request body that streams to R2: present, of one of `types` (when given) and with a
 * Content-Length, which R2 needs up front. Checked before the service sees anything.
 */
export function streamedBody(req: Request, what: string, types?: readonly string[]) {
  const body = req.body;
  if (!body) throw new AppError('BAD_REQUEST', `${what} is empty`);
  const type = req.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (types && !types.includes(type)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send ${what.toLowerCase()} as ${types.join(' or ')}`,
    );
  }
  const length = req.headers.get('content-length');
  if (!length || !/^\d+$/.test(length)) {
    throw new AppError(
      'BAD_REQUEST',
      'Content-Length is required (chunked bodies are not accepted)',
    );
  }
  return { body, contentLength: Number(length) };
}
