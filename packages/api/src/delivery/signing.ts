import { importPKCS8 } from 'jose';
import { decryptSecret, importSecretKey } from '../lib/secret-box';

/**
 * Signs check responses with the app's server-held RSA key (services/code-signing.ts), the way
 * expo-updates expects its `expo-signature` header (expo-updates.md §4): RSASSA-PKCS1-v1_5 with
 * SHA-256 over the exact body bytes, as an SFV dictionary naming the key.
 */
export const SIGNATURE_HEADER = 'skypatch-signature';

// Decrypting and importing costs ~1 ms; each isolate does it once per key.
const imported = new Map<string, Promise<CryptoKey>>();

export async function signBody(
  env: Pick<Env, 'SECRETS_ENCRYPTION_KEY'>,
  signing: { keyId: string; encryptedPrivateKey: string },
  body: string,
): Promise<string> {
  let key = imported.get(signing.encryptedPrivateKey);
  if (!key) {
    key = importSecretKey(env.SECRETS_ENCRYPTION_KEY)
      .then((box) => decryptSecret(box, signing.encryptedPrivateKey))
      .then((pem) => importPKCS8(pem, 'RS256'));
    key.catch(() => imported.delete(signing.encryptedPrivateKey));
    imported.set(signing.encryptedPrivateKey, key);
  }
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    await key,
    new TextEncoder().encode(body),
  );
  const sig = btoa(String.fromCharCode(...new Uint8Array(signature)));
  return `sig="${sig}", keyid="${signing.keyId}", alg="rsa-v1_5-sha256"`;
}
