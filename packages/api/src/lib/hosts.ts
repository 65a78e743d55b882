/** The lower-cased host of a URL, or null when there is no (valid) URL. */
export function hostnameOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

// Names that only resolve inside a network (RFC 6761, RFC 6762, ICANN's .internal), and the
// shape of an IPv4 literal once the URL parser has normalised 0x7f.1 and friends.
const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal'];
const IPV4_LITERAL = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * Why `host` (lower case, no trailing dot) is not a public DNS name, or null when it is: the
 * rule for webhook endpoints and custom domains alike, neither of which may be an address or a
 * name that only a private network answers for.
 */
export function nonPublicHostReason(host: string): string | null {
  if (host.startsWith('[') || host.includes(':') || IPV4_LITERAL.test(host)) {
    return 'an IP address, not a host name';
  }
  if (host === 'localhost' || PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    return 'a name that only resolves inside a private network';
  }
  if (!host.includes('.')) return 'a single-label name, not a public domain';
  return null;
}

/** The platform's own hosts: PUBLIC_URL's and STATUS_PAGES_DOMAIN (with its subdomains). */
export function isPlatformHost(
  host: string,
  env: { PUBLIC_URL?: string; STATUS_PAGES_DOMAIN?: string },
): boolean {
  const own = [hostnameOf(env.PUBLIC_URL), env.STATUS_PAGES_DOMAIN?.toLowerCase() || null];
  return own.some((name) => name !== null && (host === name || host.endsWith(`.${name}`)));
}
