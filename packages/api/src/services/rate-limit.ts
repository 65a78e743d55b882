import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';

/**
 * Fixed-window counters in the RATE_LIMITS KV namespace. KV is eventually consistent across
 * locations, so a limit can be overshot by a few requests hitting different colos at once;
 * these limits slow down credential stuffing and key spraying, they are not quotas. Account
 * lockout (users.locked_until, in D1) is the exact defence behind them.
 */
export const RATE_LIMITS = {
  signIn: { prefix: 'auth:signin', limit: 10, windowSeconds: 60 },
  signUp: { prefix: 'auth:signup', limit: 5, windowSeconds: 3600 },
  keyCreate: { prefix: 'keys:create', limit: 30, windowSeconds: 3600 },
  invitationCreate: { prefix: 'invitations:create', limit: 50, windowSeconds: 3600 },
} as const satisfies Record<string, { prefix: string; limit: number; windowSeconds: number }>;

export type RateLimitName = keyof typeof RATE_LIMITS;

// KV refuses expirations shorter than 60 seconds.
const MIN_KV_TTL_SECONDS = 60;

export class RateLimitService {
  constructor(private readonly kv: KVNamespace) {}

  /**
   * Counts one hit of `subject` (an IP, an org id) against `name`, or throws RATE_LIMITED with
   * the seconds until the window ends (rendered as `Retry-After`). Subjects are hashed so no IP
   * address sits in KV.
   */
  async consume(name: RateLimitName, subject: string, now = Date.now()): Promise<void> {
    const { prefix, limit, windowSeconds } = RATE_LIMITS[name];
    const windowMs = windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    // docs/data-model.md's key patterns, plus the window, so a new window starts at zero.
    const key = `${prefix}:${await sha256Hex(subject)}:${window}`;
    const count = Number((await this.kv.get(key)) ?? '0');
    if (count >= limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
      throw new AppError('RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds}s`, {
        retryAfterSeconds,
      });
    }
    await this.kv.put(key, String(count + 1), {
      expirationTtl: Math.max(MIN_KV_TTL_SECONDS, windowSeconds * 2),
    });
  }
}
