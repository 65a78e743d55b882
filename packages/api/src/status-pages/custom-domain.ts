import type { DomainVerificationRecord } from '@skypatch/protocol';
import { z } from 'zod';
import { derivedHmac } from '../lib/derived-hmac';
import { isPlatformHost, nonPublicHostReason } from '../lib/hosts';

// Custom domains are proven before they serve anything (docs/status-pages.md "Custom domains"):
// a page asks for a domain, which waits in pages.custom_domain_pending, and the owner of the
// domain's DNS publishes `_skypatch.<domain> TXT skypatch-verify=<token>`. The token is an HMAC
// of `<page id>:<domain>`, derived rather than stored, so nothing about it sits in D1; another
// page asking for the same domain gets another token.

export const DEFAULT_DOH_URL = 'https://cloudflare-dns.com/dns-query';
const RECORD_PREFIX = '_skypatch';
const VALUE_PREFIX = 'skypatch-verify=';

export interface CustomDomainEnv {
  PUBLIC_URL?: string;
  STATUS_PAGES_DOMAIN?: string;
}

/**
 * Why `domain` can never be a page's custom domain, or null when it may be. The API's own host
 * and the status base domain would hand the service's traffic to a page; the rest are names
 * that no public DNS answers for or that belong to the platform (*.workers.dev).
 */
export function reservedDomainReason(domain: string, env: CustomDomainEnv): string | null {
  const host = domain.toLowerCase().replace(/\.$/, '');
  if (isPlatformHost(host, env)) return "it is one of this service's own hosts";
  if (host === 'workers.dev' || host.endsWith('.workers.dev')) return '*.workers.dev is reserved';
  return nonPublicHostReason(host);
}

/** The TXT record that proves `domain` for page `pageId`: the same every time it is asked. */
export async function domainVerificationRecord(
  secretsKey: string,
  pageId: string,
  domain: string,
): Promise<DomainVerificationRecord> {
  const mac = await derivedHmac(
    secretsKey,
    'skypatch/status-domain-verify/v1',
    `${pageId}:${domain}`,
  );
  return { type: 'TXT', name: `${RECORD_PREFIX}.${domain}`, value: `${VALUE_PREFIX}${mac}` };
}

/** RFC 8484's JSON dialect as Cloudflare and Google answer it; TXT is type 16. */
const DnsJsonAnswer = z.object({
  Status: z.number(),
  Answer: z
    .array(z.object({ type: z.number(), data: z.string() }))
    .optional()
    .default([]),
});
const TXT = 16;

/** A TXT record's text: its quoted character-strings joined (long values come split). */
function txtText(data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) =>
    (match[1] ?? '').replace(/\\(.)/g, '$1'),
  );
  return parts.length > 0 ? parts.join('') : data;
}

export type TxtLookup = { ok: true; values: string[] } | { ok: false; reason: string };

/** The TXT records at `name`, over DNS-over-HTTPS (`DOH_URL`, Cloudflare's resolver by default). */
export async function lookupTxt(dohUrl: string | undefined, name: string): Promise<TxtLookup> {
  const url = new URL(dohUrl || DEFAULT_DOH_URL);
  url.searchParams.set('name', name);
  url.searchParams.set('type', 'TXT');
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/dns-json' } });
  } catch {
    return { ok: false, reason: 'the DNS resolver could not be reached' };
  }
  if (!response.ok) return { ok: false, reason: `the DNS resolver answered ${response.status}` };
  const parsed = DnsJsonAnswer.safeParse(await response.json().catch(() => null));
  if (!parsed.success) return { ok: false, reason: 'the DNS resolver sent an unreadable answer' };
  // 3 (NXDOMAIN) is simply "no record"; anything else but 0 is the resolver's failure.
  if (parsed.data.Status !== 0 && parsed.data.Status !== 3) {
    return { ok: false, reason: `the DNS lookup failed (rcode ${parsed.data.Status})` };
  }
  const values = parsed.data.Answer.filter((answer) => answer.type === TXT).map((answer) =>
    txtText(answer.data),
  );
  return { ok: true, values };
}
