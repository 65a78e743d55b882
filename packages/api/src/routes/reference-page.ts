// A readable API reference rendered on the server from the OpenAPI document: no JavaScript and
// no CDN, so it works offline and in a terminal browser.

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  summary?: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  responses?: Record<string, { description?: string }>;
  requestBody?: unknown;
}

interface Document {
  info: { title: string; version: string; description?: string };
  paths?: object;
}

type PathItem = Partial<Record<(typeof METHODS)[number], Operation>>;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function securityLabel(security: Operation['security']): string {
  if (!security || security.length === 0) return 'public';
  return security.flatMap((requirement) => Object.keys(requirement)).join(' or ');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const responses = Object.entries(op.responses ?? {})
    .map(
      ([status, r]) =>
        `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? '')}</li>`,
    )
    .join('');
  return `<section class="op" id="${escapeHtml(op.operationId ?? `${method}-${path}`)}">
  <h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
  <p>${escapeHtml(op.summary ?? '')}</p>
  ${op.description ? `<p class="description">${escapeHtml(op.description)}</p>` : ''}
  <p class="meta">Auth: <strong>${escapeHtml(securityLabel(op.security))}</strong>${op.requestBody ? ' · JSON body' : ''}</p>
  <ul class="responses">${responses}</ul>
</section>`;
}

export function renderReferencePage(doc: Document): string {
  const byTag = new Map<string, string[]>();
  // The document comes from our own router, so its path items have the OpenAPI shape.
  for (const [path, item] of Object.entries(doc.paths ?? {}) as Array<
    [string, PathItem | undefined]
  >) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op)]);
    }
  }
  const sections = [...byTag.entries()]
    .map(([tag, ops]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops.join('\n')}`)
    .join('\n');
  const nav = [...byTag.keys()]
    .map((tag) => `<a href="#tag-${escapeHtml(tag)}">${escapeHtml(tag)}</a>`)
    .join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} API reference</title>
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --bg: #ffffff; --muted: #5b6475; --line: #d8dde6; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --bg: #12151c; --muted: #a3abba; --line: #2c3340; } }
  body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); max-width: 60rem; margin: 0 auto; padding: 1rem; }
  code { font: 0.95em ui-monospace, monospace; }
  .op { border-top: 1px solid var(--line); padding: 0.5rem 0; }
  .method { display: inline-block; min-width: 4.5rem; font: 600 0.85rem ui-monospace, monospace; }
  .get { color: #1a7f37; } .post { color: #0550ae; } .patch, .put { color: #9a6700; } .delete { color: #cf222e; }
  @media (prefers-color-scheme: dark) { .get { color: #3fb950; } .post { color: #58a6ff; } .patch, .put { color: #d29922; } .delete { color: #f85149; } }
  .meta, .description { color: var(--muted); }
</style>
</head>
<body>
<header><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>
<nav aria-label="Sections">${nav}</nav></header>
<main>${sections}</main>
</body>
</html>`;
}
