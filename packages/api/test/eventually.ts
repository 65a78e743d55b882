/**
 * Polls until `read` gives a value. Background work (waitUntil, queue consumers) lands after
 * the response that caused it; the telemetry queue delivers batches every 5 s (wrangler.jsonc),
 * later when the whole suite loads the machine.
 */
export async function eventually<T>(read: () => Promise<T | null>, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() >= deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How long a test waits for the telemetry queue, and the timeout of such a test. */
export const QUEUE_WAIT_MS = 30_000;
export const QUEUE_TEST_MS = 45_000;
