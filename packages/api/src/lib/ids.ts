import { BASE62, randomString } from './crypto';

// Prefixed ids (`rel_…`) say what they point at in logs, URLs and support tickets.
export const ID_PREFIXES = {
  org: 'org',
  user: 'usr',
  membership: 'mem',
  invitation: 'inv',
  session: 'ses',
  apiKey: 'key',
  secret: 'sec',
  audit: 'aud',
  app: 'app',
  channel: 'chn',
  release: 'rel',
  diff: 'dif',
  uploadJob: 'job',
  request: 'req',
  event: 'evt',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomString(22, BASE62)}`;
}

/** Statuspage's public id format (12 chars of [0-9a-z]), used for every status-page object. */
export function newPublicId(): string {
  return randomString(12, '0123456789abcdefghijklmnopqrstuvwxyz');
}
