import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type User, users } from '../db/schema';
import { randomToken } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Actor } from './actor';
import { BaseService, isUniqueViolation } from './base';
import { type IssuedTokens, type SessionOrigin, SessionService } from './sessions';
import { isRestorable } from './soft-delete';

// GitHub's OAuth web flow: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
const AUTHORIZE_URL = 'https://github.com/login/oauth/authorize';
const TOKEN_URL = 'https://github.com/login/oauth/access_token';
const API = 'https://api.github.com';
const SCOPES = 'read:user user:email';
const STATE_TTL_SECONDS = 600;
const stateKey = (state: string) => `oauth:github:state:${state}`;

const TokenResponse = z.union([
  z.object({ access_token: z.string().min(1) }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
const GitHubUser = z.object({
  id: z.number().int(),
  login: z.string(),
  name: z.string().nullable().optional(),
  avatar_url: z.string().nullable().optional(),
});
const GitHubEmails = z.array(
  z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);

const CallbackInput = z.object({
  code: z.string().min(1).max(200),
  state: z.string().min(1).max(100),
});

/**
 * GitHub as a second sign-in provider (users.provider = 'github', provider_id = GitHub's
 * numeric id, unique together). It exists only while GITHUB_CLIENT_ID and
 * GITHUB_CLIENT_SECRET are set; otherwise both routes answer 404.
 */
export class GitHubAuthService extends BaseService {
  private readonly sessions = new SessionService(this.env);

  get isConfigured(): boolean {
    return Boolean(this.env.GITHUB_CLIENT_ID && this.env.GITHUB_CLIENT_SECRET);
  }

  private credentials() {
    const clientId = this.env.GITHUB_CLIENT_ID;
    const clientSecret = this.env.GITHUB_CLIENT_SECRET;
    if (!clientId || !clientSecret) {
      throw new AppError('NOT_FOUND', 'GitHub sign-in is not configured on this instance');
    }
    return { clientId, clientSecret };
  }

  /** The GitHub URL to send the browser to; `state` is remembered for ten minutes. */
  async start(callbackUrl: string): Promise<string> {
    const { clientId } = this.credentials();
    const state = randomToken(24);
    await this.env.CACHE.put(stateKey(state), '1', { expirationTtl: STATE_TTL_SECONDS });
    const url = new URL(AUTHORIZE_URL);
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: callbackUrl,
      scope: SCOPES,
      state,
      allow_signup: 'true',
    }).toString();
    return url.toString();
  }

  async callback(
    input: z.input<typeof CallbackInput>,
    callbackUrl: string,
    origin: SessionOrigin,
  ): Promise<{ user: User; tokens: IssuedTokens; created: boolean }> {
    const { clientId, clientSecret } = this.credentials();
    const { code, state } = CallbackInput.parse(input);
    // One use per state: a replayed or forged callback finds nothing here.
    const key = stateKey(state);
    if (!(await this.env.CACHE.get(key))) {
      throw new AppError('BAD_REQUEST', 'Unknown or expired OAuth state; start the sign-in again');
    }
    await this.env.CACHE.delete(key);

    const token = TokenResponse.parse(
      await this.fetchJson(TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: clientId,
          client_secret: clientSecret,
          code,
          redirect_uri: callbackUrl,
        }),
      }),
    );
    if ('error' in token) {
      throw new AppError('UNAUTHORIZED', `GitHub refused the code: ${token.error}`);
    }
    const auth = { authorization: `Bearer ${token.access_token}` };
    const [profile, emails] = await Promise.all([
      this.fetchJson(`${API}/user`, { headers: auth }).then((body) => GitHubUser.parse(body)),
      this.fetchJson(`${API}/user/emails`, { headers: auth }).then((b) => GitHubEmails.parse(b)),
    ]);
    const email = emails.find((e) => e.primary && e.verified)?.email.toLowerCase();
    if (!email) {
      throw new AppError('FORBIDDEN', 'Your GitHub account has no verified primary email');
    }
    return this.signInOrCreate(profile, email, origin);
  }

  private async signInOrCreate(
    profile: z.infer<typeof GitHubUser>,
    email: string,
    origin: SessionOrigin,
  ) {
    const providerId = String(profile.id);
    const now = new Date();
    const [existing] = await this.getReadDb('fresh')
      .select()
      .from(users)
      .where(and(eq(users.provider, 'github'), eq(users.providerId, providerId)))
      .limit(1);
    if (
      existing &&
      (existing.isSuspended || (existing.deletedAt && !isRestorable(existing.deletedAt, now)))
    ) {
      throw new AppError('UNAUTHORIZED', 'This account cannot sign in');
    }
    const userId = existing?.id ?? newId('user');
    const { tokens, insert } = await this.sessions.open(userId, origin, now);
    const actor: Actor = { kind: 'user', userId, sessionId: tokens.sessionId, ...origin };
    const write = existing
      ? this.database
          .update(users)
          .set({ lastActiveAt: now, deletedAt: null, avatarUrl: profile.avatar_url ?? null })
          .where(eq(users.id, existing.id))
          .returning()
      : this.database
          .insert(users)
          .values({
            id: userId,
            email,
            displayName: profile.name || profile.login,
            avatarUrl: profile.avatar_url ?? null,
            provider: 'github',
            providerId,
            emailVerified: true,
            lastActiveAt: now,
          })
          .returning();
    try {
      const [[user]] = await this.database.batch([
        write,
        insert,
        this.audit(actor, {
          orgId: null,
          action: existing ? 'user.sign_in' : 'user.sign_up',
          resourceType: 'user',
          resourceId: userId,
          after: { provider: 'github', providerId },
        }),
      ]);
      if (!user) throw new AppError('INTERNAL', 'GitHub sign-in wrote no user');
      return { user, tokens, created: !existing };
    } catch (error) {
      // GitHub proved this person owns the address, so saying it is taken leaks nothing.
      if (isUniqueViolation(error)) {
        throw new AppError(
          'CONFLICT',
          'An account with this email already exists; sign in with your password',
        );
      }
      this.handleDatabaseError(error, 'githubSignIn');
    }
  }

  private async fetchJson(url: string, init: RequestInit): Promise<unknown> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    headers.set('user-agent', 'skypatch'); // GitHub's API refuses requests without one
    const res = await fetch(url, { ...init, headers });
    if (!res.ok) {
      this.logger.warn('GitHub answered an error', { url, status: res.status });
      throw new AppError('UNAUTHORIZED', 'GitHub sign-in failed; try again');
    }
    try {
      return await res.json();
    } catch {
      throw new AppError(
        'UNAUTHORIZED',
        'GitHub sign-in failed: GitHub answered something unexpected',
      );
    }
  }
}
