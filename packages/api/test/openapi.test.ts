import { describe, expect, it } from 'vitest';
import { PUBLIC_V1_PATHS } from '../src/app';
import { escapeHtml, renderReferencePage } from '../src/routes/reference-page';
import { api, request } from './request';

// The published OpenAPI document and the HTML reference rendered from it.

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  security?: unknown;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

interface OperationEntry {
  path: string;
  method: string;
  operation: OpenApiOperation;
}

async function fetchDocument(): Promise<OpenApiDocument> {
  const res = await api().get<OpenApiDocument>('/openapi.json');
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return res.body;
}

function operationsOf(doc: OpenApiDocument): OperationEntry[] {
  const entries: OperationEntry[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation && typeof operation === 'object') entries.push({ path, method, operation });
    }
  }
  return entries;
}

/** The security requirement objects of an operation; fails the test if it declares none. */
function securityOf({ path, method, operation }: OperationEntry): Array<Record<string, unknown>> {
  const label = `${method.toUpperCase()} ${path}`;
  expect(Array.isArray(operation.security), `${label} declares no security array`).toBe(true);
  const security = operation.security as unknown[];
  for (const requirement of security) {
    expect(typeof requirement, `${label}: security requirement`).toBe('object');
  }
  return security as Array<Record<string, unknown>>;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1.0 document with the system routes', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Skypatch', version: expect.any(String) });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health', '/v1/bootstrap', '/v1/whoami']),
    );
    expect(doc.paths['/health']?.get).toBeDefined();
    expect(doc.paths['/v1/bootstrap']?.post).toBeDefined();
    expect(doc.paths['/v1/whoami']?.get).toBeDefined();
  });

  it('declares a security array on every operation, public ones empty', async () => {
    const doc = await fetchDocument();
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(3);
    for (const entry of operations) securityOf(entry);

    const health = operations.find((entry) => entry.path === '/health');
    expect(health && securityOf(health)).toEqual([]);
    const bootstrap = operations.find((entry) => entry.path === '/v1/bootstrap');
    expect(bootstrap && securityOf(bootstrap)).toEqual([{ bootstrapToken: [] }]);
  });

  it('requires the apiKey scheme on every /v1 operation but the public ones', async () => {
    const doc = await fetchDocument();
    const guarded = operationsOf(doc).filter(
      (entry) => entry.path.startsWith('/v1/') && !PUBLIC_V1_PATHS.has(entry.path),
    );
    expect(guarded.map((entry) => entry.path)).toContain('/v1/whoami');
    for (const entry of guarded) {
      const security = securityOf(entry);
      const label = `${entry.method.toUpperCase()} ${entry.path}`;
      // Non-empty, and no alternative without an API key (an `{}` entry would make it optional).
      expect(security.length, `${label} is public`).toBeGreaterThan(0);
      for (const requirement of security) {
        expect(Object.keys(requirement), `${label} can be called without apiKey`).toContain(
          'apiKey',
        );
      }
    }
  });

  it('answers 401 without a key on every operation the document says needs one', async () => {
    const doc = await fetchDocument();
    for (const entry of operationsOf(doc)) {
      const security = securityOf(entry);
      if (!security.some((requirement) => 'apiKey' in requirement)) continue;
      const path = entry.path.replace(/\{[^}]+\}/g, 'placeholder');
      const res = await request(entry.method.toUpperCase(), path);
      expect(res.status, `${entry.method.toUpperCase()} ${entry.path}`).toBe(401);
    }
  });

  it('defines every security scheme an operation refers to', async () => {
    const doc = await fetchDocument();
    const schemes = doc.components?.securitySchemes ?? {};
    expect(schemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.bootstrapToken).toMatchObject({ type: 'apiKey' });
    const referenced = new Set(
      operationsOf(doc).flatMap((entry) =>
        securityOf(entry).flatMap((requirement) => Object.keys(requirement)),
      ),
    );
    expect(referenced.size).toBeGreaterThan(0);
    for (const name of referenced) expect(Object.keys(schemes), name).toContain(name);
  });
});

describe('GET /docs', () => {
  it('renders an HTML page listing every operation with its method and path', async () => {
    const doc = await fetchDocument();
    const res = await request('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!doctype html>/i);
    for (const { path, method } of operationsOf(doc)) {
      expect(res.text, `${method} ${path}`).toContain(
        `<span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>`,
      );
    }
    expect(res.text).toContain('Auth: <strong>public</strong>');
    expect(res.text).toContain('Auth: <strong>apiKey</strong>');
  });
});

describe('reference page rendering', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
    );
    expect(escapeHtml('plain text / {id}')).toBe('plain text / {id}');
  });

  it('never lets document text through as markup', () => {
    const html = renderReferencePage({
      info: { title: 'Evil <b>API</b>', version: '1"', description: 'a & b' },
      paths: {
        '/v1/things/{id}': {
          get: {
            operationId: 'x" onmouseover="alert(1)',
            summary: '<script>alert("summary")</script>',
            description: '<img src=x onerror=alert(2)>',
            tags: ['<i>tag</i>'],
            security: [{ apiKey: [] }],
            responses: { '200': { description: '<script>alert(3)</script>' } },
          },
        },
      },
    });

    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>API');
    expect(html).not.toContain('<i>tag');
    expect(html).not.toContain('" onmouseover="');
    expect(html).toContain('&#60;script&#62;alert(&#34;summary&#34;)&#60;/script&#62;');
    expect(html).toContain('&#60;img src=x onerror=alert(2)&#62;');
    expect(html).toContain('<title>Evil &#60;b&#62;API&#60;/b&#62; API reference</title>');
    expect(html).toContain('id="x&#34; onmouseover=&#34;alert(1)"');
    expect(html).toContain('<span class="method get">GET</span> <code>/v1/things/{id}</code>');
    expect(html).toContain('Auth: <strong>apiKey</strong>');
  });
});
