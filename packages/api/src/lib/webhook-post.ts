/** Success is a 2xx within this long (spec §5.3, WH). */
export const DELIVERY_TIMEOUT_MS = 30_000;
export const DELIVERY_USER_AGENT = 'Skypatch-Webhooks/1';

export interface WebhookPostResult {
  ok: boolean;
  /** The HTTP status, or null when none came back (timeout, network error). */
  status: number | null;
  error: string | null;
}

/**
 * One webhook POST: success is a 2xx within 30 s; a 3xx is a failure and is not followed (the
 * receiver must register its final URL, and following could lead anywhere). Never throws.
 */
export async function postWebhook(
  endpoint: string,
  body: string,
  headers: Record<string, string>,
): Promise<WebhookPostResult> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': DELIVERY_USER_AGENT,
        ...headers,
      },
      body,
      redirect: 'manual', // a 3xx is a failure (WH), and following it could leave the host
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel(); // only the status matters
    const ok = response.status >= 200 && response.status < 300;
    // The status only: a redirect's Location (or any other answer text) is the receiver's to
    // choose, and lastError is shown to the page's team; it could carry a token or steer them.
    const redirect = response.status >= 300 && response.status < 400;
    const error = ok
      ? null
      : `HTTP ${response.status}${redirect ? ' (redirect not followed)' : ''}`;
    return { ok, status: response.status, error };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const reason = timedOut
      ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
      : String(error instanceof Error ? error.message : error).slice(0, 500);
    return { ok: false, status: null, error: reason };
  }
}
