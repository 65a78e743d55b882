import { randomBytes, timingSafeEqual } from './crypto';
import { fromBase64Url, toBase64Url } from './encoding';

/**
 * Password hashing with WebCrypto PBKDF2-SHA256. Cloudflare's edge refuses more than 100,000
 * iterations per deriveBits call (local workerd accepts more, so only this constant and its
 * test stand between us and a production-only failure). To reach OWASP's 600,000 we chain
 * rounds: each round's output is the next round's password.
 * Stored as `pbkdf2-sha256$<iterations>x<rounds>$<salt>$<hash>` so the parameters can be
 * raised later and old hashes upgraded at the next sign-in.
 */
export const PBKDF2_ITERATIONS_PER_CALL = 100_000;
export const PBKDF2_ROUNDS = 6;
const SCHEME = 'pbkdf2-sha256';
const MAX_ROUNDS = 20;
const HASH_BYTES = 32;

async function derive(password: Uint8Array, salt: Uint8Array, iterations: number, rounds: number) {
  let material = password;
  for (let round = 0; round < rounds; round++) {
    const key = await crypto.subtle.importKey('raw', material, 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
      key,
      HASH_BYTES * 8,
    );
    material = new Uint8Array(bits);
  }
  return material;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(
    new TextEncoder().encode(password),
    salt,
    PBKDF2_ITERATIONS_PER_CALL,
    PBKDF2_ROUNDS,
  );
  return `${SCHEME}$${PBKDF2_ITERATIONS_PER_CALL}x${PBKDF2_ROUNDS}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/**
 * A well-formed hash no password matches, verified when the account does not exist (or has no
 * password), so that "no such user" costs the same PBKDF2 work as "wrong password".
 */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS_PER_CALL}x${PBKDF2_ROUNDS}$${'A'.repeat(22)}$${'A'.repeat(43)}`;

export interface PasswordCheck {
  valid: boolean;
  /** The stored hash uses weaker parameters than today's: rehash after a successful sign-in. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const [scheme, params, salt, expected] = stored.split('$');
  const match = params?.match(/^(\d+)x(\d+)$/);
  if (scheme !== SCHEME || !match || !salt || !expected)
    return { valid: false, needsRehash: false };
  const iterations = Number(match[1]);
  const rounds = Number(match[2]);
  // Zero rounds would compare the password itself; zero iterations make WebCrypto throw; a
  // huge round count in a tampered row would pin the CPU of every sign-in attempt.
  if (
    iterations < 1 ||
    rounds < 1 ||
    rounds > MAX_ROUNDS ||
    iterations > PBKDF2_ITERATIONS_PER_CALL
  )
    return { valid: false, needsRehash: false };
  let saltBytes: Uint8Array;
  try {
    saltBytes = fromBase64Url(salt);
  } catch {
    return { valid: false, needsRehash: false }; // a corrupt row is a failed check, not a 500
  }
  const actual = await derive(new TextEncoder().encode(password), saltBytes, iterations, rounds);
  return {
    valid: timingSafeEqual(toBase64Url(actual), expected),
    needsRehash: iterations * rounds < PBKDF2_ITERATIONS_PER_CALL * PBKDF2_ROUNDS,
  };
}
