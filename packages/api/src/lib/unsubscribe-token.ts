import { derivedHmac } from './derived-hmac';

// The unsubscribe token is derived, not stored: meta.unsubscribe must be rebuilt for every
// delivery, and only its hash sits in D1 (unsubscribe_token_hash, for the public link's lookup).

/** The subscriber's token: `spu_` and base64url(HMAC-SHA256(derived key, subscriber id)). */
export async function unsubscribeToken(secretsKey: string, subscriberId: string): Promise<string> {
  return `spu_${await derivedHmac(secretsKey, 'skypatch/status-unsubscribe/v1', subscriberId)}`;
}

/**
 * The public link in every payload's meta.unsubscribe, on the page's own address (its host, or
 * `/status/{subdomain}` on the API's), which routes to POST /status/{subdomain}/unsubscribe.
 */
export function unsubscribeUrl(pageUrl: string, token: string): string {
  return `${pageUrl}/unsubscribe?token=${encodeURIComponent(token)}`;
}
