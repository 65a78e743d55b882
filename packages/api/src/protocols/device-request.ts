import type { Context } from 'hono';
import { DEFAULT_CHECKS_PER_MINUTE, type LimitVerdict, limitCheck } from '../delivery/rate-limit';
import { channelViewOf } from '../delivery/resolve';
import type { ChannelView } from '../delivery/view';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';

/** What every device-facing adapter takes from the request: no services, no D1 client. */
export interface DeviceRequest {
  env: Env;
  waitUntil: (work: Promise<unknown>) => void;
  ip: string;
  url: string;
  checksPerMinute: number;
  /** D1 rows this request read, reported in the `x-d1-rows-read` response header. */
  d1RowsRead: number;
  meter: (rowsRead: number) => void;
}

export function deviceRequest(c: Context<AppEnv>): DeviceRequest {
  const configured = Number(c.env.SDK_CHECKS_PER_MINUTE);
  const request: DeviceRequest = {
    env: c.env,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    // Cloudflare sets it at the edge; locally every caller shares one bucket.
    ip: c.req.header('cf-connecting-ip') ?? 'local',
    url: c.req.url,
    checksPerMinute:
      Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_CHECKS_PER_MINUTE,
    d1RowsRead: 0,
    meter: (rowsRead) => {
      request.d1RowsRead += rowsRead;
    },
  };
  return request;
}

/** The header that tells what a device request cost in D1 (0 on a cache hit). */
export const D1_ROWS_HEADER = 'x-d1-rows-read';

/** The per app + address limit of update checks (delivery/rate-limit.ts), for this request. */
export function checkLimit(request: DeviceRequest, appId: string): Promise<LimitVerdict> {
  return limitCheck(
    request.env.RATE_LIMITS,
    { appId, ip: request.ip },
    request.checksPerMinute,
    request.waitUntil,
  );
}

/** checkLimit, refusing in the API's error shape (429 with Retry-After). */
export async function enforceCheckLimit(request: DeviceRequest, appId: string): Promise<void> {
  const verdict = await checkLimit(request, appId);
  if (!verdict.allowed) {
    throw new AppError('RATE_LIMITED', 'Too many update checks from this address', {
      retryAfterSeconds: verdict.retryAfterSeconds,
    });
  }
}

/**
 * The channel view behind a deployment key, for device routes that answer in the API's error
 * shape: 404 for an unknown key, 400 for a key of the other platform's app, then the per app +
 * address limit.
 */
export async function deviceChannel(
  request: DeviceRequest,
  deploymentKey: string,
  platform: 'ios' | 'android',
): Promise<ChannelView> {
  const view = await channelViewOf(request.env, deploymentKey, request.waitUntil, request.meter);
  if (!view) throw new AppError('NOT_FOUND', 'Unknown deployment key');
  if (view.platform !== platform) {
    throw new AppError('BAD_REQUEST', `This deployment key belongs to an ${view.platform} app`);
  }
  await enforceCheckLimit(request, view.appId);
  return view;
}
