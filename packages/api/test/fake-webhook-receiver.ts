// A webhook receiver at https://hooks.test, composed into miniflare's outbound service in
// vitest.config.ts: the Worker's status webhooks land here, in the Node process running Vitest.
// The first path segment says how to answer; the rest is the test's own (keep it unique):
//
//   /ok/…        200
//   /fail/…      500
//   /redirect/…  302 to https://hooks.test/ok/redirected/… (which must never be reached)
//
// GET https://hooks.test/_received?prefix=/ok/abc lists what arrived under that prefix, oldest
// first, so a test (inside workerd) reads it with fetch(). Only web-standard APIs here.

export const HOOKS_ORIGIN = 'https://hooks.test';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

const received: ReceivedWebhook[] = [];

const ANSWERS: Record<string, (path: string) => Response> = {
  ok: () => new Response('ok', { status: 200 }),
  fail: () => new Response('broken', { status: 500 }),
  redirect: (path) =>
    new Response(null, {
      status: 302,
      headers: { location: `${HOOKS_ORIGIN}/ok/redirected${path}` },
    }),
};

/** Answers requests to hooks.test; null for any other host (the next fake's turn). */
export function fakeWebhookReceiver(request: Request): Promise<Response> | null {
  const url = new URL(request.url);
  if (url.origin !== HOOKS_ORIGIN) return null;
  return answer(request, url);
}

async function answer(request: Request, url: URL): Promise<Response> {
  if (request.method === 'GET' && url.pathname === '/_received') {
    const prefix = url.searchParams.get('prefix') ?? '/';
    return Response.json(received.filter((hook) => hook.path.startsWith(prefix)));
  }
  received.push({
    method: request.method,
    path: url.pathname,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
    receivedAt: Date.now(),
  });
  const behaviour = url.pathname.split('/')[1] ?? '';
  return ANSWERS[behaviour]?.(url.pathname) ?? new Response('no such hook', { status: 404 });
}
