import { z } from '@hono/zod-openapi';
import {
  AuthJson,
  RefreshBody,
  SessionTokensJson,
  SignInBody,
  SignUpBody,
} from '@skypatch/protocol';
import type { User } from '../db/schema';
import type { IssuedTokens } from '../services/sessions';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  jsonBody,
  jsonResponse,
  noContent,
  requestOrigin,
} from './openapi';

export function toUserJson(user: User) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    avatarUrl: user.avatarUrl,
    provider: user.provider,
    emailVerified: user.emailVerified ?? false,
    createdAt: iso(user.createdAt),
  };
}

function toTokensJson(tokens: IssuedTokens) {
  return {
    sessionId: tokens.sessionId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: iso(tokens.accessExpiresAt),
    expiresAt: iso(tokens.expiresAt),
  };
}

const tags = ['auth'];

const signUp = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/auth/sign-up',
    tags,
    operationId: 'signUp',
    summary: 'Create an account with email and password, and sign in',
    request: { body: jsonBody(SignUpBody) },
    responses: {
      201: jsonResponse(AuthJson, 'The new user and a session; the tokens are shown only now'),
      409: jsonResponse(errorResponses[400].content['application/json'].schema, 'Email taken'),
      ...errorResponses,
    },
  },
);

const signIn = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/auth/sign-in',
    tags,
    operationId: 'signIn',
    summary: 'Sign in with email and password',
    description:
      'Every failure (unknown email, wrong password, locked account) answers the same 401 after ' +
      'the same work. Five failures in a row lock the account for 15 minutes.',
    request: { body: jsonBody(SignInBody) },
    responses: { 200: jsonResponse(AuthJson, 'Signed in'), ...errorResponses },
  },
);

const refresh = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/v1/auth/refresh',
    tags,
    operationId: 'refreshSession',
    summary: 'Trade a refresh token for new tokens (the old refresh token stops working)',
    description: 'Presenting a refresh token that was already rotated revokes the whole session.',
    request: { body: jsonBody(RefreshBody) },
    responses: { 200: jsonResponse(SessionTokensJson, 'New tokens'), ...errorResponses },
  },
);

const signOut = defineRoute(
  { kind: 'user' },
  {
    method: 'post',
    path: '/v1/auth/sign-out',
    tags,
    operationId: 'signOut',
    summary: 'Revoke the current session',
    responses: { 204: noContent('Signed out'), ...errorResponses },
  },
);

const githubStart = defineRoute(
  { kind: 'public' },
  {
    method: 'get',
    path: '/v1/auth/github',
    tags,
    operationId: 'startGitHubSignIn',
    summary: 'Redirect to GitHub to sign in (404 unless GitHub sign-in is configured)',
    responses: { 302: { description: 'To GitHub' }, ...errorResponses },
  },
);

const githubCallback = defineRoute(
  { kind: 'public' },
  {
    method: 'get',
    path: '/v1/auth/github/callback',
    tags,
    operationId: 'finishGitHubSignIn',
    summary: "GitHub's redirect back: signs in, creating the account on first use",
    request: {
      query: z.object({ code: z.string().min(1).max(200), state: z.string().min(1).max(100) }),
    },
    responses: {
      200: jsonResponse(AuthJson, 'Signed in'),
      201: jsonResponse(AuthJson, 'Account created and signed in'),
      ...errorResponses,
    },
  },
);

const callbackUrl = (requestUrl: string) =>
  new URL('/v1/auth/github/callback', requestUrl).toString();

export const authRoutes = createRouter()
  .openapi(signUp, async (c) => {
    const { user, tokens } = await c.var.services.accounts.signUp(
      c.req.valid('json'),
      requestOrigin(c),
    );
    return c.json({ user: toUserJson(user), session: toTokensJson(tokens) }, 201);
  })
  .openapi(signIn, async (c) => {
    const { user, tokens } = await c.var.services.accounts.signIn(
      c.req.valid('json'),
      requestOrigin(c),
    );
    return c.json({ user: toUserJson(user), session: toTokensJson(tokens) }, 200);
  })
  .openapi(refresh, async (c) => {
    const tokens = await c.var.services.sessions.refresh(c.req.valid('json'), requestOrigin(c));
    return c.json(toTokensJson(tokens), 200);
  })
  .openapi(signOut, async (c) => {
    await c.var.services.accounts.signOut(c.var.actor);
    return c.body(null, 204);
  })
  .openapi(githubStart, async (c) => {
    const url = await c.var.services.github.start(callbackUrl(c.req.url));
    return c.redirect(url, 302);
  })
  .openapi(githubCallback, async (c) => {
    const result = await c.var.services.github.callback(
      c.req.valid('query'),
      callbackUrl(c.req.url),
      requestOrigin(c),
    );
    const body = { user: toUserJson(result.user), session: toTokensJson(result.tokens) };
    return c.json(body, result.created ? 201 : 200);
  });
