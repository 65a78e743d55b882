// A DNS-over-HTTPS resolver at https://doh.test, composed into miniflare's outbound service in
// vitest.config.ts (DOH_URL points here in tests): custom-domain verification looks its TXT
// records up here. It speaks the JSON dialect of cloudflare-dns.com (`accept:
// application/dns-json`, `?name=…&type=TXT`). Tests (inside workerd) set records with
//
//   POST https://doh.test/_records  {"name": "_skypatch.status.acme.test", "values": ["…"]}
//
// (values [] removes them). A name under `down.test` answers 503, as a resolver outage would.
// Only web-standard APIs here.

export const DOH_ORIGIN = 'https://doh.test';
export const DOH_URL = `${DOH_ORIGIN}/dns-query`;

const records = new Map<string, string[]>();
const TXT = 16;

/** Answers requests to doh.test; null for any other host (the next fake's turn). */
export function fakeDoh(request: Request): Promise<Response> | null {
  const url = new URL(request.url);
  if (url.origin !== DOH_ORIGIN) return null;
  return answer(request, url);
}

async function answer(request: Request, url: URL): Promise<Response> {
  if (request.method === 'POST' && url.pathname === '/_records') {
    const { name, values } = (await request.json()) as { name: string; values: string[] };
    records.set(name.toLowerCase(), values);
    return new Response(null, { status: 204 });
  }
  if (url.pathname !== '/dns-query') return new Response('not found', { status: 404 });
  if (request.headers.get('accept') !== 'application/dns-json') {
    return new Response('send accept: application/dns-json', { status: 415 });
  }
  const name = (url.searchParams.get('name') ?? '').toLowerCase();
  if (name.endsWith('.down.test')) return new Response('unavailable', { status: 503 });
  const values = url.searchParams.get('type') === 'TXT' ? (records.get(name) ?? []) : [];
  return Response.json(
    {
      Status: values.length === 0 ? 3 : 0, // NXDOMAIN when there is nothing
      Question: [{ name, type: TXT }],
      // Real resolvers quote each character-string; long values come in 255-byte pieces.
      Answer: values.map((value) => ({
        name,
        type: TXT,
        TTL: 300,
        data: (value.match(/.{1,255}/g) ?? ['']).map((part) => `"${part}"`).join(' '),
      })),
    },
    { headers: { 'content-type': 'application/dns-json' } },
  );
}
