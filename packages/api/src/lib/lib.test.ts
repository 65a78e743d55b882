import { describe, expect, it } from 'vitest';
import { generateApiKey, looksLikeApiKey } from './api-keys';
import { BASE62, randomBytes, randomString, sha256Hex, timingSafeEqual } from './crypto';
import { fromBase64Url, toBase64Url, toHex } from './encoding';
import { AppError } from './errors';
import { ID_PREFIXES, type IdKind, newId, newPublicId } from './ids';
import { type Cursor, decodeCursor, encodeCursor, toPage } from './pagination';
import {
  hashPassword,
  PBKDF2_ITERATIONS_PER_CALL,
  PBKDF2_ROUNDS,
  verifyPassword,
} from './password';

// Unit tests of the shared helpers. They run in workerd, where WebCrypto behaves as in production.

/** Reference base64url built on btoa, independent of the hand-rolled encoder. */
function referenceBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * An independent implementation of the documented format `pbkdf2-sha256$<i>x<r>$<salt>$<hash>`:
 * `r` chained PBKDF2-SHA256 calls of `i` iterations, each call's 32-byte output the next password.
 */
async function craftHash(
  password: string,
  iterations: number,
  rounds: number,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): Promise<string> {
  let material: Uint8Array = new TextEncoder().encode(password);
  for (let round = 0; round < rounds; round++) {
    const key = await crypto.subtle.importKey('raw', material, 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
      key,
      256,
    );
    material = new Uint8Array(bits);
  }
  return `pbkdf2-sha256$${iterations}x${rounds}$${referenceBase64Url(salt)}$${referenceBase64Url(material)}`;
}

describe('password', () => {
  it('never asks WebCrypto for more than 100,000 PBKDF2 iterations per call', () => {
    // Cloudflare's edge rejects deriveBits above 100,000 iterations; local workerd accepts it,
    // so this constant is the only guard against a production-only sign-in failure.
    expect(PBKDF2_ITERATIONS_PER_CALL).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_ITERATIONS_PER_CALL).toBeGreaterThan(0);
    // OWASP's 600,000 PBKDF2-SHA256 iterations, reached by chaining rounds.
    expect(PBKDF2_ITERATIONS_PER_CALL * PBKDF2_ROUNDS).toBeGreaterThanOrEqual(600_000);
  });

  it('hashes in the documented format and verifies the same password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^pbkdf2-sha256\$100000x6\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain('correct horse');
    // Byte for byte what the documented scheme gives for the same salt.
    const salt = fromBase64Url(stored.split('$')[2] ?? '');
    expect(await craftHash('correct horse battery staple', 100_000, 6, salt)).toBe(stored);
    expect(await verifyPassword('correct horse battery staple', stored)).toEqual({
      valid: true,
      needsRehash: false,
    });
  });

  it('rejects a wrong password, and salts every hash', async () => {
    const stored = await hashPassword('s3cret-password');
    expect(await verifyPassword('s3cret-passworD', stored)).toEqual({
      valid: false,
      needsRehash: false,
    });
    expect(await verifyPassword('', stored)).toMatchObject({ valid: false });
    const again = await hashPassword('s3cret-password');
    expect(again).not.toBe(stored);
    expect(again.split('$')[2]).not.toBe(stored.split('$')[2]);
  });

  it('produces what an independent derivation of the documented format produces', async () => {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const crafted = await craftHash('pässwörd ✓', 1_000, 3, salt);
    const [, , saltText] = crafted.split('$');
    expect(saltText && fromBase64Url(saltText)).toEqual(salt);
    expect(await verifyPassword('pässwörd ✓', crafted)).toMatchObject({ valid: true });
    expect(await verifyPassword('passwort ✓', crafted)).toMatchObject({ valid: false });
  });

  it('verifies a hash made with weaker parameters and asks for a rehash', async () => {
    const fewerRounds = await craftHash('legacy-password', PBKDF2_ITERATIONS_PER_CALL, 1);
    expect(await verifyPassword('legacy-password', fewerRounds)).toEqual({
      valid: true,
      needsRehash: true,
    });
    const fewerIterations = await craftHash('legacy-password', 10_000, PBKDF2_ROUNDS);
    expect(await verifyPassword('legacy-password', fewerIterations)).toEqual({
      valid: true,
      needsRehash: true,
    });
    // A wrong password against a weak hash is simply invalid.
    expect(await verifyPassword('wrong', fewerRounds)).toMatchObject({ valid: false });
  });

  it('treats a tampered, foreign or malformed stored string as invalid', async () => {
    const stored = await craftHash('tamper-test', 1_000, 2);
    const [scheme, params, salt, hash] = stored.split('$');
    if (!scheme || !params || !salt || !hash) throw new Error('crafted hash has four parts');
    // Change the first character: the last one of a base64url string may carry only padding bits.
    const flip = (text: string) => `${text.startsWith('A') ? 'B' : 'A'}${text.slice(1)}`;

    const variants: Record<string, string> = {
      'tampered hash': [scheme, params, salt, flip(hash)].join('$'),
      'tampered salt': [scheme, params, flip(salt), hash].join('$'),
      'other params': [scheme, '1000x3', salt, hash].join('$'),
      'unknown scheme': ['bcrypt', params, salt, hash].join('$'),
      'sha1 scheme': ['pbkdf2-sha1', params, salt, hash].join('$'),
      'params without rounds': [scheme, '1000', salt, hash].join('$'),
      'non-numeric params': [scheme, 'ax2', salt, hash].join('$'),
      'missing hash': [scheme, params, salt].join('$'),
      'empty string': '',
      'plain text': 'tamper-test',
      'over the per-call limit': [scheme, `${PBKDF2_ITERATIONS_PER_CALL + 1}x1`, salt, hash].join(
        '$',
      ),
      'salt not base64url': [scheme, params, 'not*base64!', hash].join('$'),
      'zero iterations': [scheme, '0x2', salt, hash].join('$'),
      // Zero rounds would compare the password itself with the stored "hash".
      'zero rounds, password as hash': [
        scheme,
        '1000x0',
        salt,
        referenceBase64Url(new TextEncoder().encode('tamper-test')),
      ].join('$'),
    };
    const failures: string[] = [];
    for (const [name, variant] of Object.entries(variants)) {
      // Resolves (a corrupt row must not turn a sign-in into a 500) and says invalid.
      const result = await verifyPassword('tamper-test', variant).catch(
        (error: unknown) => `threw ${String(error)}`,
      );
      if (typeof result === 'string' || result.valid !== false)
        failures.push(`${name}: ${JSON.stringify(result)}`);
    }
    expect(failures).toEqual([]);
    // The untampered string still verifies, so the variants fail for their change alone.
    expect(await verifyPassword('tamper-test', stored)).toMatchObject({ valid: true });
  });
});

describe('encoding', () => {
  it('round-trips base64url for every length from 0 to 40, matching a btoa reference', () => {
    for (let length = 0; length <= 40; length++) {
      for (const bytes of [
        randomBytes(length),
        new Uint8Array(length).fill(0xff),
        new Uint8Array(length).fill(0xfb),
        new Uint8Array(length),
      ]) {
        const encoded = toBase64Url(bytes);
        expect(encoded, `length ${length}`).toBe(referenceBase64Url(bytes));
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(encoded), `length ${length}`).toEqual(bytes);
      }
    }
  });

  it('uses the URL-safe alphabet and decodes padded input', () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(fromBase64Url('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(fromBase64Url('aGk=')).toEqual(new TextEncoder().encode('hi'));
    expect(toBase64Url(new TextEncoder().encode('hello world'))).toBe('aGVsbG8gd29ybGQ');
  });

  it('rejects characters outside base64url', () => {
    expect(() => fromBase64Url('ab+c')).toThrow(/Invalid base64url/);
    expect(() => fromBase64Url('ab/c')).toThrow(/Invalid base64url/);
    expect(() => fromBase64Url('ab c')).toThrow(/Invalid base64url/);
  });

  it('writes lowercase, zero-padded hex', () => {
    expect(toHex(new Uint8Array([]))).toBe('');
    expect(toHex(new Uint8Array([0, 1, 15, 16, 127, 128, 255]))).toBe('00010f107f80ff');
    const bytes = randomBytes(33);
    expect(toHex(bytes)).toMatch(/^[0-9a-f]{66}$/);
    expect(
      toHex(bytes)
        .match(/../g)
        ?.map((pair) => Number.parseInt(pair, 16)),
    ).toEqual([...bytes]);
  });
});

describe('crypto', () => {
  it('draws random strings of the requested length from the alphabet only', () => {
    for (const alphabet of ['ab', 'xyz', BASE62, '0123456789abcdefghijklmnopqrstuvwxyz']) {
      for (const length of [0, 1, 7, 64, 500]) {
        const value = randomString(length, alphabet);
        expect(value).toHaveLength(length);
        for (const char of value) expect(alphabet, `${char} from ${alphabet}`).toContain(char);
      }
    }
    // Every character of the alphabet shows up: no character is unreachable.
    const sample = randomString(5_000, BASE62);
    expect(new Set(sample).size).toBe(BASE62.length);
    expect(randomString(32, BASE62)).not.toBe(randomString(32, BASE62));
  });

  it('compares secrets in constant time, equal only for identical strings', () => {
    expect(timingSafeEqual('', '')).toBe(true);
    expect(timingSafeEqual('abc123', 'abc123')).toBe(true);
    expect(timingSafeEqual('abc123', 'abc124')).toBe(false);
    expect(timingSafeEqual('abc123', 'Abc123')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('abcd', 'abc')).toBe(false);
    expect(timingSafeEqual('é', 'e\u0301')).toBe(false);
  });

  it('hashes with SHA-256 to lowercase hex', async () => {
    expect(await sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('ids', () => {
  it('prefixes ids with their kind and 22 base62 characters', () => {
    expect(newId('release')).toMatch(/^rel_[0-9A-Za-z]{22}$/);
    for (const [kind, prefix] of Object.entries(ID_PREFIXES)) {
      expect(newId(kind as IdKind)).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{22}$`));
    }
    // Prefixes are distinct, so an id names its kind unambiguously.
    const prefixes = Object.values(ID_PREFIXES);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('does not repeat ids', () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => newId('release')));
    expect(ids.size).toBe(2_000);
  });

  it("mints public ids in Statuspage's format: 12 chars of [0-9a-z]", () => {
    const ids = Array.from({ length: 500 }, () => newPublicId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('pagination', () => {
  it('round-trips a cursor through an opaque URL-safe string', () => {
    const cursor: Cursor = { createdAt: 1_700_000_000_123, id: 'rel_abc/+=?&"' };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ createdAt: 0, id: '' }))).toEqual({ createdAt: 0, id: '' });
  });

  it('rejects anything that is not one of its cursors with BAD_REQUEST', () => {
    const encode = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)));
    const garbage = [
      '',
      'not a cursor',
      '!!!',
      'eyJhIjoxfQ', // {"a":1}
      encode([1]),
      encode([1, 'a', 'extra']),
      encode(['1', 'a']),
      encode([1.5, 'a']),
      encode([Number.MAX_SAFE_INTEGER + 2, 'a']),
      encode([1, 2]),
      encode(null),
    ];
    for (const text of garbage) {
      let caught: unknown;
      try {
        decodeCursor(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(text)).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('BAD_REQUEST');
    }
  });

  it('turns limit + 1 rows into a page whose cursor points at the last kept row', () => {
    const rows = [1, 2, 3].map((n) => ({
      id: `rel_${n}`,
      createdAt: new Date(1_700_000_000_000 + n),
    }));

    const page = toPage(rows, 2, (r) => r.createdAt);
    expect(page.items.map((row) => row.id)).toEqual(['rel_1', 'rel_2']);
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor ?? '')).toEqual({
      createdAt: 1_700_000_000_002,
      id: 'rel_2',
    });

    expect(toPage(rows, 3, (r) => r.createdAt)).toEqual({ items: rows, nextCursor: null });
    expect(toPage(rows.slice(0, 2), 3, (r) => r.createdAt)).toEqual({
      items: rows.slice(0, 2),
      nextCursor: null,
    });
    expect(toPage<{ id: string; createdAt: Date }>([], 20, (r) => r.createdAt)).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('api keys', () => {
  it('generates sk_live_ + 32 base62 characters, a 12-character prefix and a SHA-256 hash', async () => {
    const key = await generateApiKey();
    expect(key.secret).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(key.prefix).toBe(key.secret.slice(0, 12));
    expect(key.prefix).toHaveLength(12);
    expect(key.prefix.startsWith('sk_live_')).toBe(true);
    expect(key.hash).toMatch(/^[0-9a-f]{64}$/);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key.secret));
    expect(key.hash).toBe(toHex(new Uint8Array(digest)));
    expect(key.hash).not.toContain(key.secret.slice(8));
  });

  it('generates a different key every time', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => generateApiKey()));
    expect(new Set(keys.map((key) => key.secret)).size).toBe(20);
    expect(new Set(keys.map((key) => key.hash)).size).toBe(20);
  });

  it('recognises the key format and nothing else', async () => {
    expect(looksLikeApiKey((await generateApiKey()).secret)).toBe(true);
    expect(looksLikeApiKey(`sk_live_${'a'.repeat(32)}`)).toBe(true);
    for (const token of [
      '',
      'sk_live_',
      `sk_live_${'a'.repeat(31)}`,
      `sk_live_${'a'.repeat(33)}`,
      `sk_test_${'a'.repeat(32)}`,
      `SK_LIVE_${'a'.repeat(32)}`,
      `sk_live_${'a'.repeat(31)}-`,
      `sk_live_${'a'.repeat(31)}_`,
      ` sk_live_${'a'.repeat(32)}`,
      `sk_live_${'a'.repeat(32)}\n`,
      `Bearer sk_live_${'a'.repeat(32)}`,
    ]) {
      expect(looksLikeApiKey(token), JSON.stringify(token)).toBe(false);
    }
  });
});
