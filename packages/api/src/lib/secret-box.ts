import { fromBase64Url, toBase64Url } from './encoding';

/**
 * AES-256-GCM for secrets at rest (signing keys, provider tokens). Stored as
 * `v1.<iv>.<ciphertext>` (base64url): a fresh 12-byte IV per value, and a version so the key
 * or the algorithm can rotate later without guessing which rows use what.
 * Seed 004's `encrypt('AES-GCM', key, data)` passes no IV, which WebCrypto rejects.
 */
const VERSION = 'v1';
const IV_BYTES = 12;

// Importing the key is the slow part; do it once per isolate per key.
const imported = new Map<string, Promise<CryptoKey>>();

export function importSecretKey(base64UrlKey: string): Promise<CryptoKey> {
  let key = imported.get(base64UrlKey);
  if (!key) {
    const raw = fromBase64Url(base64UrlKey);
    if (raw.length !== 32) throw new Error('SECRETS_ENCRYPTION_KEY must be 32 bytes (base64url)');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    imported.set(base64UrlKey, key);
  }
  return key;
}

export async function encryptSecret(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const data = new TextEncoder().encode(plaintext);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data));
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(sealed)}`;
}

/** Throws on a tampered or foreign value: GCM authenticates as well as encrypts. */
export async function decryptSecret(key: CryptoKey, stored: string): Promise<string> {
  const [version, iv, sealed] = stored.split('.');
  if (version !== VERSION || !iv || !sealed) throw new Error('Unknown secret format');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64Url(iv) },
    key,
    fromBase64Url(sealed),
  );
  return new TextDecoder().decode(plain);
}

/**
 * What lists show instead of the value. Seed 004 shows the first and last four characters;
 * for short values that is most of the secret, so those show only the last four, and the
 * shortest nothing.
 */
export function previewSecret(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length <= 8) return '****';
  if (trimmed.length <= 24) return `****${trimmed.slice(-4)}`;
  return `${trimmed.slice(0, 4)}…${trimmed.slice(-4)}`;
}
