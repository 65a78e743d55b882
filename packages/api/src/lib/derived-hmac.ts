import { fromBase64Url, toBase64Url } from './encoding';

// Values the Worker can rebuild instead of storing (unsubscribe links, domain verification
// records) are HMACs under keys derived from SECRETS_ENCRYPTION_KEY by HKDF, one key per
// purpose (`info`), so none of them is ever the AES key itself.
const keys = new Map<string, Promise<CryptoKey>>();

function derivedKey(secretsKey: string, info: string): Promise<CryptoKey> {
  const cacheKey = `${info}\n${secretsKey}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', fromBase64Url(secretsKey), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: new Uint8Array(0),
            info: new TextEncoder().encode(info),
          },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign'],
        ),
      );
    keys.set(cacheKey, key);
  }
  return key;
}

/** base64url(HMAC-SHA256(the key derived for `info`, message)). */
export async function derivedHmac(secretsKey: string, info: string, message: string) {
  const key = await derivedKey(secretsKey, info);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
  return toBase64Url(new Uint8Array(mac));
}
