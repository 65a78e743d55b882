// A stand-in for GitHub's OAuth and REST endpoints, installed as miniflare's `outboundService`
// in vitest.config.ts: every `fetch()` the Worker makes to the internet during tests lands
// here, in the Node process running Vitest. Only web-standard APIs, so the tests (in workerd)
// can import the helpers below too.
//
// A code names the GitHub account it signs in: `code-<githubId>` or
// `code-<githubId>-<variant>`; `bad` is a code GitHub refuses.

export const GITHUB_TEST_CLIENT_ID = 'test-github-client';
export const GITHUB_TEST_CLIENT_SECRET = 'test-github-secret';

/**
 * - `unverified`: the primary email is not verified (a verified secondary one exists).
 * - `noname`: the profile has no display name, only a login.
 */
export type GitHubVariant = 'unverified' | 'noname';
const VARIANTS: readonly string[] = ['unverified', 'noname'] satisfies GitHubVariant[];

/** The `code` GitHub would hand back to the callback for this account. */
export const githubCode = (githubId: number, variant?: GitHubVariant) =>
  variant ? `code-${githubId}-${variant}` : `code-${githubId}`;

/** The login GitHub reports for this account. */
export const githubLogin = (githubId: number) => `octo-${githubId}`;

/** The primary email GitHub reports for this account, mixed case as users type it. */
export const githubEmail = (githubId: number) => `Octo-${githubId}@GitHub-Users.example.test`;

interface Account {
  id: number;
  variant: GitHubVariant | undefined;
}

const CODE = /^code-(\d{1,12})(?:-([a-z]+))?$/;
const TOKEN = /^gho_(\d{1,12})_([a-z]+)$/;

function accountFrom(pattern: RegExp, value: string): Account | undefined {
  const match = pattern.exec(value);
  const variant = match?.[2];
  if (!match || (variant !== undefined && variant !== 'std' && !VARIANTS.includes(variant))) {
    return undefined;
  }
  return {
    id: Number(match[1]),
    variant: variant === undefined || variant === 'std' ? undefined : (variant as GitHubVariant),
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

async function readParams(request: Request): Promise<Record<string, string>> {
  const type = request.headers.get('content-type') ?? '';
  const text = await request.text();
  if (type.includes('application/json')) {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null) return {};
    return Object.fromEntries(
      Object.entries(body).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  }
  return Object.fromEntries(new URLSearchParams(text));
}

// https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
async function exchangeCode(request: Request): Promise<Response> {
  const params = await readParams(request);
  let answer: Record<string, string>;
  if (
    params.client_id !== GITHUB_TEST_CLIENT_ID ||
    params.client_secret !== GITHUB_TEST_CLIENT_SECRET
  ) {
    answer = {
      error: 'incorrect_client_credentials',
      error_description: 'The client_id and/or client_secret passed are incorrect.',
    };
  } else if (!params.redirect_uri?.endsWith('/v1/auth/github/callback')) {
    answer = {
      error: 'redirect_uri_mismatch',
      error_description:
        'The redirect_uri MUST match the registered callback URL for this application.',
    };
  } else {
    const account = params.code ? accountFrom(CODE, params.code) : undefined;
    answer = account
      ? {
          access_token: `gho_${account.id}_${account.variant ?? 'std'}`,
          token_type: 'bearer',
          scope: 'read:user,user:email',
        }
      : {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        };
  }
  // GitHub answers 200 even for errors, and JSON only when asked for it.
  if (request.headers.get('accept')?.includes('application/json')) return json(answer);
  return new Response(new URLSearchParams(answer).toString(), {
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
}

function authenticate(request: Request): Account | Response {
  if (!request.headers.get('user-agent')) {
    return new Response(
      'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      { status: 403, headers: { 'content-type': 'text/plain' } },
    );
  }
  const [scheme, token] = (request.headers.get('authorization') ?? '').split(' ');
  const account =
    token && /^(bearer|token)$/i.test(scheme ?? '') ? accountFrom(TOKEN, token) : undefined;
  return (
    account ??
    json(
      {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      },
      401,
    )
  );
}

function profile({ id, variant }: Account) {
  return {
    id,
    login: githubLogin(id),
    node_id: `U_${id}`,
    name: variant === 'noname' ? null : `Octo Cat ${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    type: 'User',
  };
}

function emails({ id, variant }: Account) {
  return [
    {
      email: githubEmail(id),
      primary: true,
      verified: variant !== 'unverified',
      visibility: 'private',
    },
    {
      email: `${id}+${githubLogin(id)}@users.noreply.github.com`,
      primary: false,
      verified: true,
      visibility: null,
    },
    { email: `old-${id}@example.test`, primary: false, verified: false, visibility: null },
  ];
}

export async function fakeGitHub(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const route = `${request.method} ${url.origin}${url.pathname}`;
  if (route === 'POST https://github.com/login/oauth/access_token') return exchangeCode(request);
  if (
    route === 'GET https://api.github.com/user' ||
    route === 'GET https://api.github.com/user/emails'
  ) {
    const account = authenticate(request);
    if (account instanceof Response) return account;
    return json(url.pathname === '/user' ? profile(account) : emails(account));
  }
  // Any other request would leave the machine: fail loudly instead.
  return new Response(`unexpected outbound request: ${request.method} ${request.url}`, {
    status: 502,
    headers: { 'content-type': 'text/plain' },
  });
}
