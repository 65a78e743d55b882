import { BASE62, randomString, sha256Hex } from './crypto';

/**
 * Opaque bearer secrets other than API keys. The prefix says what a token is (so the auth
 * middleware knows which table to ask, and secret scanners can spot a leaked one); only the
 * SHA-256 of a token is ever stored.
 */
export const TOKEN_PREFIXES = {
  access: 'sp_at_',
  refresh: 'sp_rt_',
  invitation: 'sp_inv_',
} as const;

export type TokenKind = keyof typeof TOKEN_PREFIXES;

// 40 base62 characters: ~238 bits, far beyond guessing.
const BODY_LENGTH = 40;
const BODY = /^[0-9A-Za-z]{40}$/;

export interface MintedToken {
  secret: string;
  hash: string;
}

export async function mintToken(kind: TokenKind): Promise<MintedToken> {
  const secret = `${TOKEN_PREFIXES[kind]}${randomString(BODY_LENGTH, BASE62)}`;
  return { secret, hash: await sha256Hex(secret) };
}

export function isToken(kind: TokenKind, value: string): boolean {
  const prefix = TOKEN_PREFIXES[kind];
  return value.startsWith(prefix) && BODY.test(value.slice(prefix.length));
}
