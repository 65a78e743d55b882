import { exports } from 'cloudflare:workers';

export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  key?: string;
  headers?: Record<string, string>;
  /** A JSON value (serialised, with its content type) or a raw body sent as is. */
  json?: unknown;
  raw?: BodyInit;
}

/** Sends a request through the real Worker entry (`export default`), as a client would. */
export async function request<T = unknown>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse<T>> {
  const headers = new Headers(options.headers);
  if (options.key) headers.set('authorization', `Bearer ${options.key}`);
  let body: BodyInit | undefined = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await exports.default.fetch(
    new Request(`https://skypatch.test${path}`, { method, headers, body }),
  );
  const text = await res.text();
  let parsed: unknown = text;
  if (res.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
  // The body's type is the caller's claim; tests check it with the protocol schemas.
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export function api(key?: string) {
  return {
    get: <T = unknown>(path: string) => request<T>('GET', path, { key }),
    delete: <T = unknown>(path: string) => request<T>('DELETE', path, { key }),
    post: <T = unknown>(path: string, json?: unknown) => request<T>('POST', path, { key, json }),
    patch: <T = unknown>(path: string, json?: unknown) => request<T>('PATCH', path, { key, json }),
    put: <T = unknown>(path: string, json?: unknown) => request<T>('PUT', path, { key, json }),
  };
}
