import type { ErrorBody } from '@skypatch/protocol';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError, type z } from 'zod';
import { AppError, type ErrorCode } from '../lib/errors';
import { createLogger } from '../lib/log';

const logger = createLogger('http');

/** The one code → status table. Protocol adapters that speak another dialect reuse it. */
export const STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422, // well-formed, but breaks a rule (Statuspage's status kinds)
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(STATUS).map(([code, status]) => [status, code as ErrorCode]), // keys of STATUS
);

/** Zod issues without their `input`, which may hold the very secret that failed validation. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

export function toErrorResponse(err: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (err instanceof AppError) {
    const error = {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    };
    return { status: STATUS[err.code], body: { error } };
  }
  if (err instanceof ZodError) {
    return {
      status: 400,
      body: {
        error: {
          code: 'BAD_REQUEST',
          message: 'Invalid request',
          details: describeIssues(err.issues),
        },
      },
    };
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = CODE_BY_STATUS.get(err.status) ?? 'BAD_REQUEST';
    return {
      status: err.status as ContentfulStatusCode,
      body: { error: { code, message: err.message } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error' } } };
}

/** Seconds a RATE_LIMITED error asks the client to wait, for the `Retry-After` header. */
export function retryAfterOf(err: unknown): number | null {
  if (!(err instanceof AppError) || err.code !== 'RATE_LIMITED') return null;
  const details = err.details;
  if (typeof details !== 'object' || details === null || !('retryAfterSeconds' in details))
    return null;
  return typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
}

export const onError: ErrorHandler = (err, c) => {
  const { status, body } = toErrorResponse(err);
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== null) c.header('retry-after', String(retryAfter));
  // 4xx are the caller's mistakes, not ours; only 5xx are logged, with their cause.
  if (status >= 500)
    logger.error('Unhandled error', {
      error: err,
      path: c.req.path,
      requestId: c.get('requestId'),
    });
  return c.json(body, status);
};

export const notFound: NotFoundHandler = (c) =>
  c.json(
    {
      error: { code: 'NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}` },
    } satisfies ErrorBody,
    404,
  );

/** The OpenAPIHono defaultHook: a failed zod validation becomes the same 400 as everywhere. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError },
  c: Context,
) {
  if (!result.success) {
    const { status, body } = toErrorResponse(result.error);
    return c.json(body, status);
  }
  return undefined;
}
