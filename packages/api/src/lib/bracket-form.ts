import { AppError } from './errors';

// Statuspage's v1 API takes form bodies with bracket names, as Rails reads them (OAS, LEG,
// hubot-statuspage): `incident[name]=x&incident[components][abc]=major_outage&
// incident[component_ids][]=abc`. This turns such a body into the nested object a JSON client
// would have sent, so one zod schema validates both. Values stay strings; the schemas coerce.

const MAX_DEPTH = 4;
const KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

type Node = Record<string, unknown> | unknown[];

const invalid = (key: string) => new AppError('BAD_REQUEST', `Invalid form field name: ${key}`);

/** `a[b][]` → ['a', 'b', ''], or null for a name that is not bracket syntax. */
function segmentsOf(key: string): string[] | null {
  const match = KEY.exec(key);
  if (!match?.[1]) return null;
  const rest = [...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '');
  return [match[1], ...rest];
}

export function parseBracketForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const segments = segmentsOf(key);
    if (!segments || segments.length > MAX_DEPTH + 1) throw invalid(key);
    if (segments.some((segment) => FORBIDDEN.has(segment))) throw invalid(key);
    let node: Node = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] ?? '';
      const isLast = i === segments.length - 1;
      if (Array.isArray(node)) {
        // `[]` is only allowed last: arrays of objects are not part of the v1 API.
        if (segment !== '' || !isLast) throw invalid(key);
        node.push(value);
        break;
      }
      if (segment === '') throw invalid(key); // `a[][b]` or `[]` on an object
      if (isLast) {
        if (segment in node && typeof node[segment] === 'object') throw invalid(key);
        node[segment] = value;
        break;
      }
      const nextIsArray = segments[i + 1] === '';
      const existing: unknown = node[segment];
      if (existing === undefined) {
        const created: Node = nextIsArray ? [] : {};
        node[segment] = created;
        node = created;
      } else if (
        typeof existing === 'object' &&
        existing !== null &&
        Array.isArray(existing) === nextIsArray
      ) {
        node = existing as Node; // an object or array this function created
      } else {
        throw invalid(key);
      }
    }
  }
  return root;
}
