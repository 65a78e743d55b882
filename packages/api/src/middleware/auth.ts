import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  // Statuspage clients send `OAuth <key>`; everyone else `Bearer <key>`.
  const match = header.match(/^(?:Bearer|OAuth)\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/**
 * Default-deny: everything mounted behind this middleware needs a valid credential. Routes
 * that are public are mounted outside it (and declare `security: []` in OpenAPI).
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <api key>');
  const result = await c.var.services.auth.authenticateApiKey(token, {
    ip: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent') ?? null,
  });
  if (!result) throw new AppError('UNAUTHORIZED', 'Invalid, revoked or expired credentials');
  if (result.touch) c.executionCtx.waitUntil(result.touch);
  c.set('actor', result.actor);
  await next();
});
