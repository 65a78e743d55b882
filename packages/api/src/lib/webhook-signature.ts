import { BASE62, randomString, timingSafeEqual } from './crypto';
import { toHex } from './encoding';

/**
 * Signed webhook deliveries, Stripe-style. Every POST carries
 *
 *   X-Skypatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The HMAC key is the whole secret string (`whsec_…`) as UTF-8. Signing the timestamp with the
 * body lets a receiver refuse replays: a captured request stops verifying once `t` is older
 * than the receiver's tolerance (5 minutes by default). Several `v1=` entries may appear (a
 * future secret rotation signs with both); a receiver accepts any one that matches.
 */
export const SIGNATURE_HEADER = 'X-Skypatch-Signature';
export const SIGNING_SECRET_PREFIX = 'whsec_';
export const DEFAULT_TOLERANCE_S = 300;

const encoder = new TextEncoder();

/** A fresh signing secret: `whsec_` and 40 base62 characters (~238 bits). */
export function newSigningSecret(): string {
  return `${SIGNING_SECRET_PREFIX}${randomString(40, BASE62)}`;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message))));
}

const unixSeconds = (at: Date | number) =>
  Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000);

/** The header value for `body` sent at `at`. */
export async function signWebhook(
  secret: string,
  body: string,
  at: Date | number,
): Promise<string> {
  const t = unixSeconds(at);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

function parseHeader(header: string): { t: number; signatures: string[] } | null {
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (!value) continue;
    if (name === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return t === null || signatures.length === 0 ? null : { t, signatures };
}

/**
 * What a receiver runs: true when `header` signs exactly `body` (the raw bytes as received,
 * before any JSON parsing) with `secret`, at a time within `toleranceS` of `now`.
 */
export async function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  now: Date | number,
  toleranceS = DEFAULT_TOLERANCE_S,
): Promise<boolean> {
  const parsed = header ? parseHeader(header) : null;
  if (!parsed) return false;
  if (Math.abs(unixSeconds(now) - parsed.t) > toleranceS) return false;
  const expected = await hmacHex(secret, `${parsed.t}.${body}`);
  return parsed.signatures.some((signature) => timingSafeEqual(signature, expected));
}
