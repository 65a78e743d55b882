/**
 * Polls until `read` gives a value. Background work (waitUntil, queue consumers) lands after
 * the response that caused it; the telemetry queue delivers batches every 5 s (wrangler.jsonc).
 */
export async function eventually<T>(read: () => Promise<T | null>, timeoutMs = 2_000): Promise<T> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    const value = await read();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nothing after ${timeoutMs} ms`);
}
