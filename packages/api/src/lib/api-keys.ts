import { BASE62, randomString, sha256Hex } from './crypto';

// `sk_live_` + 32 base62 chars (~190 bits). The prefix shown in lists is the first 12 chars;
// only the SHA-256 of the whole key is stored.
const KEY_PREFIX = 'sk_live_';
const KEY_PATTERN = /^sk_live_[0-9A-Za-z]{32}$/;
const VISIBLE_CHARS = 12;

export interface GeneratedApiKey {
  secret: string;
  prefix: string;
  hash: string;
}

export async function generateApiKey(): Promise<GeneratedApiKey> {
  const secret = `${KEY_PREFIX}${randomString(32, BASE62)}`;
  return { secret, prefix: secret.slice(0, VISIBLE_CHARS), hash: await sha256Hex(secret) };
}

export function looksLikeApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}
